/**
 * The appraisal workflow of one investment project, as a pure XState v5 machine.
 *
 * No I/O, clock or randomness: the service loads the facts a guard needs (the caller's roles and
 * relation to the project, dossier completeness, findings, opinions) and passes them inside the
 * event; the machine only decides. Deadlines are database rows, not machine timers.
 *
 * Legal basis: Law on Technology Transfer 07/2017/QH14, Arts. 13-21 (appraisal before approval;
 * Art. 13.4 re-appraisal when approved technology changes).
 */
import { assign, getNextTransitions, setup, transition, type SnapshotFrom } from 'xstate';

export const APPRAISAL_MACHINE_ID = 'appraisal';
/** Bump when states, events or guards change; add a step to migrateSnapshot for the old version. */
export const APPRAISAL_MACHINE_VERSION = 1;

export const ROLES = ['investor', 'clerk', 'appraiser', 'approver', 'auditor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const STATES = [
  'draft',
  'screening',
  'completeness_review',
  'awaiting_supplement',
  'under_appraisal',
  'appraised',
  'approved',
  'rejected',
  'withdrawn',
] as const;
export type ProjectState = (typeof STATES)[number];
export const FINAL_STATES: readonly ProjectState[] = ['rejected', 'withdrawn'];
/** States in which the investor may change the declaration and upload dossier files. */
export const EDITABLE_STATES: readonly ProjectState[] = ['draft', 'awaiting_supplement'];

/** What the service knows about the caller and the project when it sends an event. */
export interface Facts {
  actor: {
    roles: readonly Role[];
    /** Investor of the organisation that owns the project (may act for it). */
    isOwner: boolean;
    /** Belongs to the organisation that owns the project, whatever the role (may not appraise or decide it). */
    inInvestorOrg?: boolean;
    /** Holds an active assignment to appraise the project in the current round. */
    isAssigned: boolean;
    /** Declared a conflict of interest on this project: bars every later act on it, under any role. */
    hasConflict: boolean;
    /** Recorded an opinion on this project (any round): may not decide it. */
    hasRecordedOpinion: boolean;
  };
  /** Required dossier components not present (SUBMIT, RESUBMIT). */
  missingComponents?: readonly string[];
  /** A technology declaration exists (SUBMIT, RESUBMIT). */
  declarationPresent?: boolean;
  /** Every required opinion of the current round is present and current (RECORD_OPINION, DECIDE). */
  appraisalComplete?: boolean;
  /** Blocking findings of the latest screening (DECIDE). */
  prohibitedFindings?: number;
  unresolvedOutdatedFindings?: number;
}

export type AppraisalEvent =
  | { type: 'SUBMIT'; facts: Facts }
  | { type: 'SCREENING_COMPLETED'; facts: Facts }
  | { type: 'COMPLETENESS'; result: 'complete' | 'incomplete'; facts: Facts }
  | { type: 'RESUBMIT'; facts: Facts }
  | { type: 'DECLARE_TECHNOLOGY'; facts: Facts }
  | { type: 'UPLOAD_DOCUMENT'; facts: Facts }
  | { type: 'ASSIGN'; facts: Facts }
  | { type: 'ESCALATE_TO_COUNCIL'; facts: Facts }
  | { type: 'DECLARE_CONFLICT'; facts: Facts }
  | { type: 'RECORD_OPINION'; facts: Facts }
  | { type: 'DECIDE'; outcome: 'approved' | 'approved_with_conditions' | 'rejected'; facts: Facts }
  | { type: 'WITHDRAW'; facts: Facts }
  | { type: 'REPORT_TECHNOLOGY_CHANGE'; facts: Facts };
export type AppraisalEventType = AppraisalEvent['type'];

export interface AppraisalContext {
  /** Appraisal round: 1, then +1 for each reported technology change after approval (Art. 13.4). */
  round: number;
}

/** The public action names (API, allowedActions) and the event each one sends. */
export const ACTIONS = {
  submit: 'SUBMIT',
  completeness: 'COMPLETENESS',
  resubmit: 'RESUBMIT',
  declare_technology: 'DECLARE_TECHNOLOGY',
  upload_document: 'UPLOAD_DOCUMENT',
  assign: 'ASSIGN',
  escalate_to_council: 'ESCALATE_TO_COUNCIL',
  declare_conflict: 'DECLARE_CONFLICT',
  record_opinion: 'RECORD_OPINION',
  decide: 'DECIDE',
  withdraw: 'WITHDRAW',
  report_technology_change: 'REPORT_TECHNOLOGY_CHANGE',
} as const satisfies Record<string, AppraisalEventType>;
export type Action = keyof typeof ACTIONS;

const has = (f: Facts, role: Role) => f.actor.roles.includes(role);
// Auditors are read-only whatever other roles the token carries. A person who declared a conflict
// of interest on the project acts on it no more, whatever role they also hold (an appraiser who
// is also an approver or a clerk may not decide, assign or check completeness instead).
const writer = (f: Facts) => !has(f, 'auditor') && !f.actor.hasConflict;
const owner = (f: Facts) => writer(f) && has(f, 'investor') && f.actor.isOwner;
const clerk = (f: Facts) => writer(f) && has(f, 'clerk');
const dossierReady = (f: Facts) => (f.missingComponents?.length ?? 1) === 0 && f.declarationPresent === true;

/** Who may send each event (role and relation); preconditions are separate guards below. */
export const PERMITS: Record<AppraisalEventType, (f: Facts) => boolean> = {
  SUBMIT: owner,
  RESUBMIT: owner,
  DECLARE_TECHNOLOGY: owner,
  UPLOAD_DOCUMENT: owner,
  WITHDRAW: owner,
  REPORT_TECHNOLOGY_CHANGE: owner,
  // Screening is run by the service itself inside the submit command.
  SCREENING_COMPLETED: () => true,
  COMPLETENESS: clerk,
  ASSIGN: clerk,
  ESCALATE_TO_COUNCIL: clerk,
  DECLARE_CONFLICT: (f) => writer(f) && has(f, 'appraiser') && f.actor.isAssigned,
  RECORD_OPINION: (f) => writer(f) && has(f, 'appraiser') && f.actor.isAssigned && !f.actor.isOwner && !f.actor.inInvestorOrg,
  // Separation of duties: whoever gave an opinion, or belongs to the investor, may not decide.
  DECIDE: (f) => writer(f) && has(f, 'approver') && !f.actor.hasRecordedOpinion && !f.actor.isOwner && !f.actor.inInvestorOrg,
};

const permitted = ({ event }: { event: AppraisalEvent }) => PERMITS[event.type](event.facts);

export const appraisalMachine = setup({
  types: {
    context: {} as AppraisalContext,
    events: {} as AppraisalEvent,
  },
  guards: {
    permitted,
    canSubmit: ({ event }) => permitted({ event }) && dossierReady(event.facts),
    completenessComplete: ({ event }) => permitted({ event }) && event.type === 'COMPLETENESS' && event.result === 'complete',
    completenessIncomplete: ({ event }) => permitted({ event }) && event.type === 'COMPLETENESS' && event.result === 'incomplete',
    opinionCompletesAppraisal: ({ event }) => permitted({ event }) && event.facts.appraisalComplete === true,
    canApprove: ({ event }) =>
      permitted({ event }) &&
      event.type === 'DECIDE' &&
      event.outcome !== 'rejected' &&
      event.facts.appraisalComplete === true &&
      (event.facts.prohibitedFindings ?? 1) === 0 &&
      (event.facts.unresolvedOutdatedFindings ?? 1) === 0,
    canReject: ({ event }) => permitted({ event }) && event.type === 'DECIDE' && event.outcome === 'rejected' && event.facts.appraisalComplete === true,
  },
  actions: {
    startNextRound: assign({ round: ({ context }) => context.round + 1 }),
  },
}).createMachine({
  id: APPRAISAL_MACHINE_ID,
  initial: 'draft',
  context: { round: 1 },
  // Self-transitions name their own state as target: XState's can() only reports transitions
  // with a target or actions, and allowedActions is built on can().
  states: {
    draft: {
      on: {
        DECLARE_TECHNOLOGY: { target: 'draft', guard: 'permitted' },
        UPLOAD_DOCUMENT: { target: 'draft', guard: 'permitted' },
        SUBMIT: { target: 'screening', guard: 'canSubmit' },
        WITHDRAW: { target: 'withdrawn', guard: 'permitted' },
      },
    },
    // Automatic screening against the rulebook in force; the service completes it in the same
    // transaction as the submission, so the project never rests here.
    screening: {
      on: {
        SCREENING_COMPLETED: { target: 'completeness_review', guard: 'permitted' },
      },
    },
    completeness_review: {
      on: {
        COMPLETENESS: [
          { target: 'under_appraisal', guard: 'completenessComplete' },
          { target: 'awaiting_supplement', guard: 'completenessIncomplete' },
        ],
        WITHDRAW: { target: 'withdrawn', guard: 'permitted' },
      },
    },
    awaiting_supplement: {
      on: {
        DECLARE_TECHNOLOGY: { target: 'awaiting_supplement', guard: 'permitted' },
        UPLOAD_DOCUMENT: { target: 'awaiting_supplement', guard: 'permitted' },
        RESUBMIT: { target: 'screening', guard: 'canSubmit' },
        WITHDRAW: { target: 'withdrawn', guard: 'permitted' },
      },
    },
    under_appraisal: {
      on: {
        ASSIGN: { target: 'under_appraisal', guard: 'permitted' },
        ESCALATE_TO_COUNCIL: { target: 'under_appraisal', guard: 'permitted' },
        DECLARE_CONFLICT: { target: 'under_appraisal', guard: 'permitted' },
        RECORD_OPINION: [{ target: 'appraised', guard: 'opinionCompletesAppraisal' }, { target: 'under_appraisal', guard: 'permitted' }],
        // The clerk may still ask the investor for more (supplementation during appraisal).
        COMPLETENESS: { target: 'awaiting_supplement', guard: 'completenessIncomplete' },
        WITHDRAW: { target: 'withdrawn', guard: 'permitted' },
      },
    },
    appraised: {
      on: {
        DECIDE: [
          { target: 'approved', guard: 'canApprove' },
          { target: 'rejected', guard: 'canReject' },
        ],
        COMPLETENESS: { target: 'awaiting_supplement', guard: 'completenessIncomplete' },
        WITHDRAW: { target: 'withdrawn', guard: 'permitted' },
      },
    },
    approved: {
      on: {
        // Art. 13.4: a change of approved technology is reported and appraised again.
        REPORT_TECHNOLOGY_CHANGE: { target: 'awaiting_supplement', guard: 'permitted', actions: 'startNextRound' },
      },
    },
    rejected: { type: 'final' },
    withdrawn: { type: 'final' },
  },
});

export type AppraisalSnapshot = SnapshotFrom<typeof appraisalMachine>;

/** What is stored in projects.snapshot: always tagged with machine id and version. */
export interface PersistedAppraisal {
  machineId: typeof APPRAISAL_MACHINE_ID;
  machineVersion: number;
  state: ProjectState;
  context: AppraisalContext;
}

export function initialPersisted(): PersistedAppraisal {
  return { machineId: APPRAISAL_MACHINE_ID, machineVersion: APPRAISAL_MACHINE_VERSION, state: 'draft', context: { round: 1 } };
}

export class SnapshotVersionError extends Error {}

/**
 * Bring a stored snapshot to the current machine version, one explicit step per version.
 * There is no step yet: version 1 is the first. A snapshot of an unknown machine or of a
 * version without a migration path is refused, never silently reinterpreted.
 */
export function migrateSnapshot(stored: PersistedAppraisal): PersistedAppraisal {
  if (stored.machineId !== APPRAISAL_MACHINE_ID) throw new SnapshotVersionError(`snapshot of machine "${stored.machineId}"`);
  if (stored.machineVersion === APPRAISAL_MACHINE_VERSION) return stored;
  throw new SnapshotVersionError(`no migration from ${APPRAISAL_MACHINE_ID} v${stored.machineVersion} to v${APPRAISAL_MACHINE_VERSION}`);
}

export function restore(stored: PersistedAppraisal): AppraisalSnapshot {
  const current = migrateSnapshot(stored);
  if (!STATES.includes(current.state)) throw new SnapshotVersionError(`unknown state "${current.state}"`);
  return appraisalMachine.resolveState({ value: current.state, context: current.context });
}

export function persist(snapshot: AppraisalSnapshot): PersistedAppraisal {
  return {
    machineId: APPRAISAL_MACHINE_ID,
    machineVersion: APPRAISAL_MACHINE_VERSION,
    state: snapshot.value as ProjectState,
    context: { round: snapshot.context.round },
  };
}

export type StepResult =
  | { ok: true; next: PersistedAppraisal; changedState: boolean }
  | { ok: false; reason: 'state' | 'not_permitted' | 'precondition' };

/** Apply one event. Refusals say why: the state has no such transition, the caller may not, or a precondition failed. */
export function step(stored: PersistedAppraisal, event: AppraisalEvent): StepResult {
  const snapshot = restore(stored);
  if (!snapshot.can(event)) {
    const accepts = getNextTransitions(snapshot).some((t) => t.eventType === event.type);
    if (!accepts) return { ok: false, reason: 'state' };
    return { ok: false, reason: PERMITS[event.type](event.facts) ? 'precondition' : 'not_permitted' };
  }
  const [next] = transition(appraisalMachine, snapshot, event);
  const persisted = persist(next);
  return { ok: true, next: persisted, changedState: persisted.state !== stored.state };
}

/** Actions that would succeed now for the caller, given the facts the service loaded. */
export function allowedActions(stored: PersistedAppraisal, facts: Facts): Action[] {
  const snapshot = restore(stored);
  const allowed: Action[] = [];
  for (const [action, type] of Object.entries(ACTIONS) as Array<[Action, AppraisalEventType]>) {
    const probes: AppraisalEvent[] =
      type === 'COMPLETENESS'
        ? [{ type, result: 'complete', facts }, { type, result: 'incomplete', facts }]
        : type === 'DECIDE'
          ? [{ type, outcome: 'approved', facts }, { type, outcome: 'rejected', facts }]
          : [{ type, facts } as AppraisalEvent];
    if (probes.some((e) => snapshot.can(e))) allowed.push(action);
  }
  return allowed;
}
