/**
 * The appraisal machine as a table: every state × every event → next state or refusal,
 * computed with XState's pure transition() (through step()); no database.
 */
import { describe, expect, it } from 'vitest';
import { transition } from 'xstate';
import {
  ACTIONS,
  allowedActions,
  APPRAISAL_MACHINE_VERSION,
  appraisalMachine,
  migrateSnapshot,
  restore,
  SnapshotVersionError,
  STATES,
  step,
  type AppraisalEvent,
  type AppraisalEventType,
  type Facts,
  type PersistedAppraisal,
  type ProjectState,
  type Role,
} from '../../workflows/appraisal/appraisal.machine';

const at = (state: ProjectState, round = 1): PersistedAppraisal => ({ machineId: 'appraisal', machineVersion: APPRAISAL_MACHINE_VERSION, state, context: { round } });

/** The caller each event expects, with every precondition met. */
function rightCaller(type: AppraisalEventType): Facts {
  const role: Role =
    type === 'COMPLETENESS' || type === 'ASSIGN' || type === 'ESCALATE_TO_COUNCIL'
      ? 'clerk'
      : type === 'RECORD_OPINION' || type === 'DECLARE_CONFLICT'
        ? 'appraiser'
        : type === 'DECIDE'
          ? 'approver'
          : 'investor';
  return {
    actor: { roles: [role], isOwner: role === 'investor', isAssigned: role === 'appraiser', hasConflict: false, hasRecordedOpinion: false },
    missingComponents: [],
    declarationPresent: true,
    appraisalComplete: true,
    prohibitedFindings: 0,
    unresolvedOutdatedFindings: 0,
  };
}

function event(type: AppraisalEventType, facts = rightCaller(type)): AppraisalEvent {
  if (type === 'COMPLETENESS') return { type, result: 'complete', facts };
  if (type === 'DECIDE') return { type, outcome: 'approved', facts };
  return { type, facts } as AppraisalEvent;
}

// The state takes the event, but not in this form: "complete" is refused once appraisal started
// (only "incomplete", a supplementation request, is accepted there).
const GUARDED: Array<[ProjectState, AppraisalEventType]> = [
  ['under_appraisal', 'COMPLETENESS'],
  ['appraised', 'COMPLETENESS'],
];

const EVENTS: AppraisalEventType[] = [...new Set([...Object.values(ACTIONS), 'SCREENING_COMPLETED' as const])];

// Expected next state per (state, event) for the right caller; absent = refused by the state.
const TABLE: Record<ProjectState, Partial<Record<AppraisalEventType, ProjectState>>> = {
  draft: { DECLARE_TECHNOLOGY: 'draft', UPLOAD_DOCUMENT: 'draft', SUBMIT: 'screening', WITHDRAW: 'withdrawn' },
  screening: { SCREENING_COMPLETED: 'completeness_review' },
  completeness_review: { COMPLETENESS: 'under_appraisal', WITHDRAW: 'withdrawn' },
  awaiting_supplement: { DECLARE_TECHNOLOGY: 'awaiting_supplement', UPLOAD_DOCUMENT: 'awaiting_supplement', RESUBMIT: 'screening', WITHDRAW: 'withdrawn' },
  under_appraisal: {
    ASSIGN: 'under_appraisal',
    ESCALATE_TO_COUNCIL: 'under_appraisal',
    DECLARE_CONFLICT: 'under_appraisal',
    RECORD_OPINION: 'appraised',
    WITHDRAW: 'withdrawn',
  },
  appraised: { DECIDE: 'approved', WITHDRAW: 'withdrawn' },
  approved: { REPORT_TECHNOLOGY_CHANGE: 'awaiting_supplement' },
  rejected: {},
  withdrawn: {},
};

describe('appraisal machine: state × event', () => {
  for (const state of STATES) {
    for (const type of EVENTS) {
      const expected = TABLE[state][type];
      const guarded = GUARDED.some(([s, t]) => s === state && t === type);
      it(`${state} + ${type} → ${expected ?? (guarded ? 'refused (precondition)' : 'refused (state)')}`, () => {
        const result = step(at(state), event(type));
        if (expected) {
          expect(result).toMatchObject({ ok: true, next: { state: expected } });
        } else if (guarded) {
          expect(result).toEqual({ ok: false, reason: 'precondition' });
        } else {
          expect(result).toEqual({ ok: false, reason: 'state' });
        }
      });
    }
  }

  it('uses XState transition() purely: the same input gives the same output, the input is untouched', () => {
    const snapshot = restore(at('draft'));
    const e = event('SUBMIT');
    const [a] = transition(appraisalMachine, snapshot, e);
    const [b] = transition(appraisalMachine, snapshot, e);
    expect(a.value).toBe('screening');
    expect(b.value).toBe('screening');
    expect(snapshot.value).toBe('draft');
  });
});

describe('guards', () => {
  const investor = rightCaller('SUBMIT');
  it.each<[string, ProjectState, AppraisalEvent, string]>([
    ['a clerk cannot submit', 'draft', event('SUBMIT', rightCaller('ASSIGN')), 'not_permitted'],
    ['an investor of another organisation cannot submit', 'draft', event('SUBMIT', { ...investor, actor: { ...investor.actor, isOwner: false } }), 'not_permitted'],
    ['submit needs the dossier complete', 'draft', event('SUBMIT', { ...investor, missingComponents: ['machinery_list'] }), 'precondition'],
    ['submit needs the declaration', 'draft', event('SUBMIT', { ...investor, declarationPresent: false }), 'precondition'],
    ['an auditor never writes, whatever else it holds', 'under_appraisal', event('ASSIGN', { ...rightCaller('ASSIGN'), actor: { ...rightCaller('ASSIGN').actor, roles: ['clerk', 'auditor'] } }), 'not_permitted'],
    ['an unassigned appraiser cannot give an opinion', 'under_appraisal', event('RECORD_OPINION', { ...rightCaller('RECORD_OPINION'), actor: { ...rightCaller('RECORD_OPINION').actor, isAssigned: false } }), 'not_permitted'],
    ['a conflicted appraiser cannot give an opinion', 'under_appraisal', event('RECORD_OPINION', { ...rightCaller('RECORD_OPINION'), actor: { ...rightCaller('RECORD_OPINION').actor, hasConflict: true } }), 'not_permitted'],
    ['whoever gave an opinion cannot decide', 'appraised', event('DECIDE', { ...rightCaller('DECIDE'), actor: { ...rightCaller('DECIDE').actor, hasRecordedOpinion: true } }), 'not_permitted'],
    ['a member of the investor cannot decide', 'appraised', event('DECIDE', { ...rightCaller('DECIDE'), actor: { ...rightCaller('DECIDE').actor, isOwner: true } }), 'not_permitted'],
    ['approval is impossible with a prohibited finding', 'appraised', event('DECIDE', { ...rightCaller('DECIDE'), prohibitedFindings: 1 }), 'precondition'],
    ['approval is impossible with an unresolved outdated finding', 'appraised', event('DECIDE', { ...rightCaller('DECIDE'), unresolvedOutdatedFindings: 2 }), 'precondition'],
    ['no decision without a complete appraisal', 'appraised', { type: 'DECIDE', outcome: 'rejected', facts: { ...rightCaller('DECIDE'), appraisalComplete: false } }, 'precondition'],
  ])('%s', (_name, state, e, reason) => {
    expect(step(at(state), e)).toEqual({ ok: false, reason });
  });

  it('a prohibited finding still allows rejection', () => {
    expect(step(at('appraised'), { type: 'DECIDE', outcome: 'rejected', facts: { ...rightCaller('DECIDE'), prohibitedFindings: 1 } })).toMatchObject({ ok: true, next: { state: 'rejected' } });
  });
  it('an opinion that does not complete the appraisal keeps it under appraisal', () => {
    expect(step(at('under_appraisal'), event('RECORD_OPINION', { ...rightCaller('RECORD_OPINION'), appraisalComplete: false }))).toMatchObject({ ok: true, next: { state: 'under_appraisal' }, changedState: false });
  });
  it('completeness "incomplete" asks for supplementation from review, appraisal and appraised', () => {
    for (const s of ['completeness_review', 'under_appraisal', 'appraised'] as const) {
      expect(step(at(s), { type: 'COMPLETENESS', result: 'incomplete', facts: rightCaller('COMPLETENESS') })).toMatchObject({ ok: true, next: { state: 'awaiting_supplement' } });
    }
  });
  it('a reported technology change after approval opens round 2 (Art. 13.4)', () => {
    expect(step(at('approved'), event('REPORT_TECHNOLOGY_CHANGE'))).toMatchObject({ ok: true, next: { state: 'awaiting_supplement', context: { round: 2 } } });
  });
  it('lists allowed actions for the caller', () => {
    expect(allowedActions(at('draft'), investor)).toEqual(['submit', 'declare_technology', 'upload_document', 'withdraw']);
    expect(allowedActions(at('draft'), rightCaller('ASSIGN'))).toEqual([]);
    expect(allowedActions(at('appraised'), rightCaller('DECIDE'))).toEqual(['decide']);
    expect(allowedActions(at('rejected'), investor)).toEqual([]);
  });
});

describe('persisted snapshots', () => {
  it('refuses a snapshot of another machine version instead of reinterpreting it', () => {
    expect(() => migrateSnapshot({ ...at('draft'), machineVersion: 0 })).toThrow(SnapshotVersionError);
    expect(() => migrateSnapshot({ ...at('draft'), machineId: 'other' as 'appraisal' })).toThrow(SnapshotVersionError);
    expect(() => restore({ ...at('draft'), state: 'limbo' as ProjectState })).toThrow(SnapshotVersionError);
    expect(migrateSnapshot(at('draft'))).toEqual(at('draft'));
  });
});
