/**
 * "Verify now" and the audit-log exports, as one service shared by GET /v1/audit/verify,
 * GET /v1/audit/events?format=… and the auditor's pages: the same modes, the same reports, and
 * one cap on how many run at once (each holds a database connection for as long as it runs, and
 * a slow client keeps an export's cursor open), whichever door they came through.
 */
import { Readable } from 'node:stream';
import type { Db } from '../../infra/database';
import { AppError, NotFoundError, ValidationError } from '../../errors';
import { sqlClientOf, type CheckpointService } from './checkpoint-service';
import { exportChunks, searchAuditEvents, type AuditEventFilter, type ExportFormat } from './audit-query';
import { verifyAuditLog } from './chain-audit';
import { UnknownCheckpointError, verifyAuditLogIncremental, type IncrementalVerifyReport } from './chain-audit-incremental';

export class AuditBusyError extends AppError {
  constructor(what: string) {
    super(429, 'AUDIT_BUSY', `Too many ${what} are running; retry in a few seconds`, { retryAfterSeconds: 5 });
  }
}

export type VerificationReport = IncrementalVerifyReport & { durationMs: number };

/**
 * CSV opens in spreadsheet programs, which read a file without a byte-order mark in the local
 * code page and garble Vietnamese: the CSV export starts with U+FEFF. NDJSON stays exactly the
 * events (what the offline verifier reads).
 */
async function* withByteOrderMark(chunks: AsyncIterable<string>): AsyncGenerator<string> {
  yield '\uFEFF';
  yield* chunks;
}

export function auditExportFileName(format: ExportFormat, at: Date): string {
  return `audit-events-${at.toISOString().replace(/[:.]/g, '-')}.${format}`;
}

export const AUDIT_EXPORT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8; header=present',
  ndjson: 'application/x-ndjson; charset=utf-8',
};

export function createAuditVerification(deps: { db: Db; checkpoints: CheckpointService; maxExports?: number; maxVerifications?: number }) {
  const client = sqlClientOf(deps.db);
  const maxExports = deps.maxExports ?? 4;
  const maxVerifications = deps.maxVerifications ?? 1;
  let exportsRunning = 0;
  let verificationsRunning = 0;

  /** Incremental from the latest checkpoint (or `since`) by default; `full` walks and rehashes the whole log. */
  async function verify(opts: { full?: boolean; since?: number }): Promise<VerificationReport> {
    if (opts.full && opts.since !== undefined) throw new ValidationError('pass either full=true (the whole log) or since=<checkpoint id> (from that checkpoint), not both', {}, 'VERIFY_FULL_OR_SINCE');
    if (verificationsRunning >= maxVerifications) throw new AuditBusyError('verifications');
    verificationsRunning++;
    try {
      const started = performance.now();
      const { key } = await deps.checkpoints.publicKey();
      let report: IncrementalVerifyReport;
      try {
        report = opts.full
          ? { ...(await verifyAuditLog(client, { publicKey: key })), mode: 'full' as const, since: null }
          : await verifyAuditLogIncremental(client, { publicKey: key, sinceCheckpointId: opts.since });
      } catch (err) {
        if (err instanceof UnknownCheckpointError) throw new NotFoundError(`checkpoint #${opts.since}`, 'CHECKPOINT_NOT_FOUND');
        throw err;
      }
      return { ...report, durationMs: Math.round(performance.now() - started) };
    } finally {
      verificationsRunning--;
    }
  }

  /** One page of the search, in seq order. */
  function search(filter: AuditEventFilter, limit: number) {
    return searchAuditEvents(client, filter, limit);
  }

  /** Every matching event as a byte stream (CSV with its byte-order mark, or NDJSON), counted against the cap until it closes. */
  function openExport(filter: AuditEventFilter, format: ExportFormat): { stream: Readable; contentType: string; fileName: string } {
    if (exportsRunning >= maxExports) throw new AuditBusyError('exports');
    exportsRunning++;
    const chunks = format === 'csv' ? withByteOrderMark(exportChunks(client, filter, format)) : exportChunks(client, filter, format);
    const stream = Readable.from(chunks, { objectMode: false, highWaterMark: 1 << 16 });
    let released = false;
    stream.once('close', () => {
      if (!released) exportsRunning--;
      released = true;
    });
    return { stream, contentType: AUDIT_EXPORT_TYPES[format], fileName: auditExportFileName(format, new Date()) };
  }

  return { verify, search, openExport };
}

export type AuditVerification = ReturnType<typeof createAuditVerification>;
