/**
 * The database's refusals, as the 409s a client can act on. A unique or exclusion violation is
 * how the loser of a race learns that the winner got there first (two decisions on one appraisal,
 * two current opinions of one appraiser); the coverage, separation-of-duties and conflict-of-
 * interest triggers refuse with a named constraint. One table, used by the command runner, so no
 * route maps them one by one.
 */
import { ConflictError } from '../../errors';
import { sqlConstraint, sqlState } from '../../infra/database';

const UNIQUE_VIOLATION = '23505';
const EXCLUSION_VIOLATION = '23P01';
const CHECK_VIOLATION = '23514';

/** Known constraints whose violation means "someone else already did this". */
const KNOWN: Record<string, { code: string; message: string }> = {
  decisions_appraisal_id_unique: { code: 'ALREADY_DECIDED', message: 'This appraisal has already been decided; reload the project' },
  opinions_one_current_per_appraiser: { code: 'OPINION_ALREADY_RECORDED', message: 'You already have a current opinion on this appraisal; opinions are immutable' },
  assignments_active_unique: { code: 'ALREADY_ASSIGNED', message: 'The appraiser is already assigned in this round' },
  conflict_declarations_unique: { code: 'CONFLICT_ALREADY_DECLARED', message: 'You already declared a conflict of interest on this project' },
  appraisals_round_unique: { code: 'APPRAISAL_ALREADY_OPEN', message: 'The appraisal of this round was opened by another request; reload the project' },
  technology_declarations_version_unique: { code: 'REVISION_CONFLICT', message: 'The declaration was changed by another request; reload it and retry' },
  documents_one_active_per_component: { code: 'REVISION_CONFLICT', message: 'Another upload of this component finished first; reload the dossier and retry' },
  documents_version_unique: { code: 'REVISION_CONFLICT', message: 'Another upload of this component finished first; reload the dossier and retry' },
  projects_code_unique: { code: 'REVISION_CONFLICT', message: 'A concurrent registration took the same tracking code; retry' },
};

// Triggers that guard invariants raise check_violation with a constraint of one of these families.
const GUARD_FAMILIES = /^(coverage_|sod_|coi_)/;

/** Constraints whose violation means a concurrent request committed first: rerun the transaction. */
export const RETRY_ON_CONSTRAINT = new Set([
  // Two requests with one Idempotency-Key, the second claimed it after the first committed: rerun
  // to replay the first response.
  'idempotency_keys_principal_sub_key_pk',
  // A concurrent append to the same audit chain.
  'audit_events_prev_hash_unique',
]);

export function isRetryableConstraint(err: unknown): boolean {
  return sqlState(err) === UNIQUE_VIOLATION && RETRY_ON_CONSTRAINT.has(sqlConstraint(err) ?? '');
}

/** The 409 a database refusal stands for, or undefined when it is not a refusal (a bug, an outage). */
export function refusalOf(err: unknown): ConflictError | undefined {
  const state = sqlState(err);
  const constraint = sqlConstraint(err);
  if (!state || !constraint) return undefined;
  if (state === UNIQUE_VIOLATION || state === EXCLUSION_VIOLATION) {
    const known = KNOWN[constraint];
    if (known) return new ConflictError(known.message, known.code, { constraint });
    return new ConflictError('Another request changed the same data first; reload and retry', 'WRITE_CONFLICT', { constraint });
  }
  if (state === CHECK_VIOLATION && GUARD_FAMILIES.test(constraint)) {
    return new ConflictError(`The database refused this: ${constraint}`, constraint.toUpperCase(), { constraint });
  }
  return undefined;
}
