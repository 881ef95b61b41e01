/**
 * How the command runner reads the database's refusals: the shapes below are what the postgres
 * driver reports (SQLSTATE in `code`, the constraint in `constraint_name`), wrapped by drizzle
 * in `cause`. Real violations are exercised over HTTP in races-and-conflicts.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { isRetryableConstraint, refusalOf } from '../../src/modules/commands/constraint-refusals';

const pg = (code: string, constraint_name?: string) => ({ message: 'Failed query', cause: { code, constraint_name } });

describe('database refusals', () => {
  it('a unique violation on a known constraint is a 409 with its own code', () => {
    expect(refusalOf(pg('23505', 'decisions_appraisal_id_unique'))).toMatchObject({ statusCode: 409, code: 'ALREADY_DECIDED' });
    expect(refusalOf(pg('23505', 'opinions_one_current_per_appraiser'))).toMatchObject({ statusCode: 409, code: 'OPINION_ALREADY_RECORDED' });
  });
  it('an unknown unique or exclusion violation is still a 409, never a 500', () => {
    expect(refusalOf(pg('23505', 'something_new_unique'))).toMatchObject({ statusCode: 409, code: 'WRITE_CONFLICT', details: { constraint: 'something_new_unique' } });
    expect(refusalOf(pg('23P01', 'no_overlap'))).toMatchObject({ statusCode: 409, code: 'WRITE_CONFLICT' });
  });
  it("the invariant triggers' refusals are 409s named after their rule; other check violations are not refusals", () => {
    expect(refusalOf(pg('23514', 'coverage_decision_required'))).toMatchObject({ statusCode: 409, code: 'COVERAGE_DECISION_REQUIRED' });
    expect(refusalOf(pg('23514', 'coi_decision_by_conflicted'))).toMatchObject({ statusCode: 409, code: 'COI_DECISION_BY_CONFLICTED' });
    expect(refusalOf(pg('23514', 'projects_revision_positive'))).toBeUndefined();
    expect(refusalOf(pg('08006'))).toBeUndefined();
    expect(refusalOf(new Error('boom'))).toBeUndefined();
  });
  it('a concurrent claim of the same Idempotency-Key reruns the transaction (to replay)', () => {
    expect(isRetryableConstraint(pg('23505', 'idempotency_keys_principal_sub_key_pk'))).toBe(true);
    expect(isRetryableConstraint(pg('23505', 'decisions_appraisal_id_unique'))).toBe(false);
  });
});
