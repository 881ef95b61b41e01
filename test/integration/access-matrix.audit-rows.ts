// Rows of the authorization matrix for the auditor routes (spread into access-matrix.test.ts).
// Only types may come from access-matrix.test.ts: it imports this file, so its values (row(), …)
// are not initialised yet when this module runs.
import type { MatrixRow, MatrixSpec } from './access-matrix.test';

/** Auditor-only reads: no token is 401, every other role is refused by role (403). */
const AUDITOR_ONLY: MatrixRow = {
  none: 401,
  investorOwn: 403,
  investorOther: 403,
  clerk: 403,
  appraiserAssigned: 403,
  appraiserOther: 403,
  approver: 403,
  auditor: 200,
  admin: 403,
};

export const AUDIT_ROWS: Record<string, MatrixSpec> = {
  'GET /v1/audit/events': { expect: AUDITOR_ONLY },
  'GET /v1/audit/verify': { expect: AUDITOR_ONLY },
  'GET /v1/audit/checkpoints': { expect: AUDITOR_ONLY },
  'GET /v1/audit/checkpoints/public-key': { expect: AUDITOR_ONLY },
  'GET /v1/audit/denials': { expect: AUDITOR_ONLY },
};
