/**
 * A declared conflict of interest bars every act of that person on the project, whatever roles
 * they hold: in every state, nothing is allowed and every event is refused as not permitted.
 */
import { describe, expect, it } from 'vitest';
import { ACTIONS, allowedActions, APPRAISAL_MACHINE_VERSION, STATES, step, type AppraisalEvent, type Facts, type PersistedAppraisal } from '../../workflows/appraisal/appraisal.machine';

const at = (state: (typeof STATES)[number]): PersistedAppraisal => ({ machineId: 'appraisal', machineVersion: APPRAISAL_MACHINE_VERSION, state, context: { round: 1 } });

// Every writing role and relation at once, every precondition met: only the conflict stands in the way.
const everything = (hasConflict: boolean): Facts => ({
  actor: { roles: ['investor', 'clerk', 'appraiser', 'approver', 'admin'], isOwner: false, inInvestorOrg: false, isAssigned: true, hasConflict, hasRecordedOpinion: false },
  missingComponents: [],
  declarationPresent: true,
  appraisalComplete: true,
  prohibitedFindings: 0,
  unresolvedOutdatedFindings: 0,
});

describe('the conflict-of-interest guard', () => {
  it.each(STATES)('in %s, a conflicted person may do nothing, under any role', (state) => {
    expect(allowedActions(at(state), everything(true))).toEqual([]);
    for (const type of Object.values(ACTIONS)) {
      const event = (type === 'DECIDE' ? { type, outcome: 'approved', facts: everything(true) } : type === 'COMPLETENESS' ? { type, result: 'complete', facts: everything(true) } : { type, facts: everything(true) }) as AppraisalEvent;
      const result = step(at(state), event);
      expect(result.ok, `${state} ${type}`).toBe(false);
    }
  });

  it('the same person without a conflict may act (the table is not vacuous)', () => {
    expect(allowedActions(at('appraised'), everything(false))).toContain('decide');
    expect(allowedActions(at('under_appraisal'), everything(false))).toEqual(expect.arrayContaining(['assign', 'record_opinion', 'completeness']));
  });
});
