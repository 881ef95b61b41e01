// Rows of the authorization matrix for the auditor routes (spread into access-matrix.test.ts).
import type { MatrixSpec } from './access-matrix.test';

export const AUDIT_ROWS: Record<string, MatrixSpec> = {};
