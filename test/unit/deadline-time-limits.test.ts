/** Which rulebook time limits open a deadline row for which project (pure). */
import { describe, expect, it } from 'vitest';
import { applicableTimeLimits, appointmentOf, type DeadlineView } from '../../src/modules/deadlines/deadline-service';
import { RULEBOOK_2017 } from '../../src/modules/rulebook/rulebook-2017.seed';
import { RULEBOOK_2026 } from '../../src/modules/rulebook/rulebook-2026.seed';

const ids = (stage: string, projectGroup: string, capitalSource: string, limits = RULEBOOK_2017.timeLimits) =>
  applicableTimeLimits(limits, { stage, projectGroup, capitalSource }).map((l) => `${l.step}:${l.id}:${l.unit}:${l.limit}`);

describe('applicable time limits', () => {
  it('policy stage: forwarding in 3 working days and the opinion in 15', () => {
    expect(ids('investment_policy', 'B', 'private')).toEqual(['forward_to_reviewer:policy_forward_dossier:working_days:3', 'opinion:policy_opinion:working_days:15']);
  });
  it('decision stage: calendar days by group; the construction authority forwards only for state-budget projects', () => {
    expect(ids('investment_decision', 'A', 'private')).toEqual(['appraisal:decision_appraisal_group_a:calendar_days:20']);
    expect(ids('investment_decision', 'national_key', 'private')).toEqual(['appraisal:decision_appraisal_group_a:calendar_days:20']);
    expect(ids('investment_decision', 'B', 'state_budget')).toEqual([
      'forward_to_reviewer:decision_forward_construction_authority:working_days:5',
      'appraisal:decision_appraisal_group_b:calendar_days:15',
    ]);
    expect(ids('investment_decision', 'C', 'foreign')).toEqual(['appraisal:decision_appraisal_group_c:calendar_days:10']);
  });
  it('2026.1: the investment-procedure wrapper limits are another body\'s acts and open no row', () => {
    expect(RULEBOOK_2026.timeLimits.some((l) => l.step.startsWith('investment_procedure.'))).toBe(true);
    expect(ids('investment_policy', 'B', 'private', RULEBOOK_2026.timeLimits)).toEqual(['forward_to_reviewer:policy_forward_dossier:working_days:3', 'opinion:policy_opinion:working_days:15']);
  });
});

describe('the appointment date', () => {
  const v = (step: string, dueDate: string | null, rescheduledTo: string | null = null) => ({ step, dueDate, rescheduledTo }) as DeadlineView;
  it("is the result step's due date, or the apology's new date; none while paused", () => {
    expect(appointmentOf([v('forward_to_reviewer', '2026-02-24'), v('opinion', '2026-03-12')])).toBe('2026-03-12');
    expect(appointmentOf([v('opinion', '2026-03-12', '2026-03-20')])).toBe('2026-03-20');
    expect(appointmentOf([v('forward_to_reviewer', '2026-02-24'), v('opinion', null)])).toBeNull();
    expect(appointmentOf([v('forward_to_reviewer', '2026-02-24')])).toBeNull();
  });
});
