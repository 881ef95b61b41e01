import { describe, expect, it } from 'vitest';
import { refusalOf } from '../../src/modules/projects/refusal-rule';
import type { Facts } from '../../workflows/appraisal/appraisal.machine';

const facts = (roles: Facts['actor']['roles'], over: Partial<Facts['actor']> = {}): Facts => ({
  actor: { roles, isOwner: false, inInvestorOrg: false, isAssigned: false, hasConflict: false, hasRecordedOpinion: false, ...over },
});

describe('refusalOf: the rule a 403 names', () => {
  it.each([
    ['DECIDE', facts(['auditor', 'approver']), 'read_only'],
    ['SUBMIT', facts(['clerk']), 'role'],
    ['SUBMIT', facts(['investor']), 'ownership'],
    ['COMPLETENESS', facts(['investor']), 'role'],
    ['RECORD_OPINION', facts(['approver']), 'role'],
    ['RECORD_OPINION', facts(['appraiser'], { hasConflict: true }), 'conflict_of_interest'],
    ['RECORD_OPINION', facts(['appraiser'], { isAssigned: true, inInvestorOrg: true }), 'independence'],
    ['RECORD_OPINION', facts(['appraiser']), 'assignment'],
    ['DECLARE_CONFLICT', facts(['appraiser']), 'assignment'],
    ['DECIDE', facts(['approver', 'appraiser'], { hasRecordedOpinion: true }), 'separation_of_duties'],
    ['DECIDE', facts(['approver'], { inInvestorOrg: true }), 'independence'],
    ['DECIDE', facts(['clerk']), 'role'],
  ] as const)('%s by %j → %s', (type, f, rule) => {
    const r = refusalOf(type, f);
    expect(r.rule).toBe(rule);
    expect(r.reason.length).toBeGreaterThan(10);
  });
});
