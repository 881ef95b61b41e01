/**
 * The rules that refuse a decision outcome (pure): blocking findings, the opinions' conditions,
 * then the machine (state, who may decide, a complete appraisal) — what the decide command throws
 * and what the approver's page shows before anyone posts.
 */
import { describe, expect, it } from 'vitest';
import { decisionOutcomeOptions, type DecisionOutcome } from '../../src/modules/appraisal/decision-rules';
import { APPRAISAL_MACHINE_ID, APPRAISAL_MACHINE_VERSION, type Facts, type PersistedAppraisal, type ProjectState } from '../../workflows/appraisal/appraisal.machine';

const snapshot = (state: ProjectState): PersistedAppraisal => ({ machineId: APPRAISAL_MACHINE_ID, machineVersion: APPRAISAL_MACHINE_VERSION, state, context: { round: 1 } });
const actor = (over: Partial<Facts['actor']> = {}): Facts['actor'] => ({ roles: ['approver'], isOwner: false, inInvestorOrg: false, isAssigned: false, hasConflict: false, hasRecordedOpinion: false, ...over });
const facts = (over: Partial<Facts> = {}, who: Partial<Facts['actor']> = {}): Facts => ({ actor: actor(who), appraisalComplete: true, prohibitedFindings: 0, unresolvedOutdatedFindings: 0, ...over });

function refusals(state: ProjectState, f: Facts, opinionConditions: string[] = [], findings = [] as Array<{ id: string; ruleId: string; severity: string; evidence: string }>) {
  const options = decisionOutcomeOptions({ snapshot: snapshot(state), state, facts: f, findings, opinionConditions });
  return Object.fromEntries(options.map((o) => [o.outcome, o.refusal ? { code: o.refusal.code, ...o.refusal.details } : null])) as Record<DecisionOutcome, null | Record<string, unknown>>;
}

describe('decision outcome options', () => {
  it('allows every outcome of an appraised project to an independent approver', () => {
    expect(refusals('appraised', facts())).toEqual({ approved: null, approved_with_conditions: null, rejected: null });
  });

  it('refuses plain approval when the opinions attach conditions', () => {
    const r = refusals('appraised', facts(), ['Train operators']);
    expect(r.approved).toMatchObject({ code: 'CONDITIONS_APPLY', conditions: ['Train operators'] });
    expect(r.approved_with_conditions).toBeNull();
    expect(r.rejected).toBeNull();
  });

  it('blocks approval on prohibited or outdated findings, naming them; rejection stays open', () => {
    const finding = { id: 'f1', ruleId: 'prohibited.cement.vertical_kiln', severity: 'prohibited', evidence: 'vertical shaft kiln' };
    const r = refusals('appraised', facts({ prohibitedFindings: 1 }), [], [finding]);
    expect(r.approved).toMatchObject({ code: 'APPROVAL_BLOCKED', kind: 'prohibited', findings: [{ id: 'f1' }] });
    expect(r.approved_with_conditions).toMatchObject({ code: 'APPROVAL_BLOCKED' });
    expect(r.rejected).toBeNull();
    expect(refusals('appraised', facts({ unresolvedOutdatedFindings: 2 })).approved).toMatchObject({ code: 'APPROVAL_BLOCKED', kind: 'outdated' });
  });

  it('names the rule when the caller may not decide (separation of duties, independence, role, read-only)', () => {
    expect(refusals('appraised', facts({}, { roles: ['approver', 'appraiser'], hasRecordedOpinion: true })).rejected).toMatchObject({ code: 'NOT_PERMITTED', rule: 'separation_of_duties' });
    expect(refusals('appraised', facts({}, { inInvestorOrg: true })).rejected).toMatchObject({ code: 'NOT_PERMITTED', rule: 'independence' });
    expect(refusals('appraised', facts({}, { roles: ['clerk'] })).rejected).toMatchObject({ code: 'NOT_PERMITTED', rule: 'role' });
    expect(refusals('appraised', facts({}, { roles: ['approver', 'auditor'] })).rejected).toMatchObject({ code: 'NOT_PERMITTED', rule: 'read_only' });
  });

  it('refuses by state before an appraisal, and by precondition when the appraisal is not complete', () => {
    expect(refusals('under_appraisal', facts()).rejected).toMatchObject({ code: 'INVALID_TRANSITION', state: 'under_appraisal' });
    expect(refusals('approved', facts()).rejected).toMatchObject({ code: 'INVALID_TRANSITION', state: 'approved' });
    expect(refusals('appraised', facts({ appraisalComplete: false })).rejected).toMatchObject({ code: 'INVALID_TRANSITION', precondition: 'appraisal_incomplete' });
  });
});
