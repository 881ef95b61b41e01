/**
 * Auditor search over the audit log: filters, seq-cursor pages, and full exports streamed from a
 * Postgres cursor (NDJSON — one AuditEventRecord per line, exactly what `npm run verify-export`
 * reads — or RFC 4180 CSV) in constant memory.
 *
 * Filters use the indexes on audit_events: (project_id, seq), (actor_sub, seq), (action, seq),
 * (occurred_at, seq), and the primary key on seq for paging.
 */
import { PgDialect } from 'drizzle-orm/pg-core';
import type { PendingQuery, Row } from 'postgres';
import type { Sql } from '../../infra/database';
import type { AuditEventRecord } from './audit-hash';
import { AUDIT_COLUMNS, toRecord, type AuditRow } from './audit-reader';

/** The select list of AUDIT_COLUMNS as SQL text, for queries written with postgres.js directly. */
export const AUDIT_COLUMNS_TEXT: string = new PgDialect().sqlToQuery(AUDIT_COLUMNS).sql;

export interface AuditEventFilter {
  projectId?: string;
  /** actor sub */
  actor?: string;
  action?: string;
  /** ISO date-time, inclusive. */
  from?: string;
  /** ISO date-time, exclusive. */
  to?: string;
  /** Only events with seq greater than this (the cursor). */
  after?: number;
}

function whereClause(sql: Sql, f: AuditEventFilter): PendingQuery<Row[]> {
  const parts: Array<PendingQuery<Row[]>> = [];
  if (f.projectId !== undefined) parts.push(sql`project_id = ${f.projectId}::uuid`);
  if (f.actor !== undefined) parts.push(sql`actor_sub = ${f.actor}`);
  if (f.action !== undefined) parts.push(sql`action = ${f.action}`);
  if (f.from !== undefined) parts.push(sql`occurred_at >= ${f.from}::timestamptz`);
  if (f.to !== undefined) parts.push(sql`occurred_at < ${f.to}::timestamptz`);
  if (f.after !== undefined) parts.push(sql`seq > ${f.after}::bigint`);
  if (parts.length === 0) return sql``;
  return sql`where ${parts.reduce((acc, p) => sql`${acc} and ${p}`)}`;
}

function selectEvents(sql: Sql, f: AuditEventFilter, limit?: number): PendingQuery<AuditRow[]> {
  return sql<AuditRow[]>`select ${sql.unsafe(AUDIT_COLUMNS_TEXT)} from audit_events ${whereClause(sql, f)} order by seq ${
    limit === undefined ? sql`` : sql`limit ${limit}`
  }`;
}

export interface AuditEventPage {
  items: AuditEventRecord[];
  /** Pass as `after` for the next page; null on the last page. */
  nextCursor: number | null;
}

/** One page of matching events in seq order. */
export async function searchAuditEvents(sql: Sql, filter: AuditEventFilter, limit: number): Promise<AuditEventPage> {
  const rows = await selectEvents(sql, filter, limit + 1);
  const more = rows.length > limit;
  const items = (more ? rows.slice(0, limit) : rows).map(toRecord);
  return { items, nextCursor: more ? items[items.length - 1]!.seq : null };
}

/**
 * Every matching event in seq order, a batch at a time from a server-side cursor: memory holds one
 * batch, whatever the size of the log. Stop iterating to close the cursor.
 */
export async function* streamAuditEvents(sql: Sql, filter: AuditEventFilter, batchSize = 2000): AsyncGenerator<AuditEventRecord[]> {
  for await (const rows of selectEvents(sql, filter).cursor(batchSize)) {
    yield rows.map(toRecord);
  }
}

// ---------------------------------------------------------------------------------------------
// Export formats
// ---------------------------------------------------------------------------------------------

/** One NDJSON line: the record exactly as the history route and the export verifier see it. */
export function ndjsonLine(e: AuditEventRecord): string {
  return JSON.stringify(e) + '\n';
}

export const CSV_COLUMNS = [
  'seq',
  'chainId',
  'chainSeq',
  'occurredAt',
  'actorSub',
  'actorRoles',
  'actorOrg',
  'action',
  'projectId',
  'fromState',
  'toState',
  'revision',
  'machineId',
  'machineVersion',
  'requestId',
  'idempotencyKey',
  'payload',
  'prevHash',
  'rowHash',
] as const;

const NEEDS_QUOTES = /[",\r\n]/;

/**
 * An RFC 4180 field: quoted (with "" for ") when it holds a quote, comma, CR or LF. null is an empty
 * unquoted field and the empty string an empty quoted one, so the two stay distinguishable.
 */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  const s = typeof value === 'number' ? String(value) : value;
  if (s === '') return '""';
  return NEEDS_QUOTES.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const CSV_HEADER = CSV_COLUMNS.join(',') + '\r\n';

/** One CSV record (CRLF-terminated); roles space-separated, payload as its JSON text. */
export function csvLine(e: AuditEventRecord): string {
  return [
    csvField(e.seq),
    csvField(e.chainId),
    csvField(e.chainSeq),
    csvField(e.occurredAt),
    csvField(e.actor.sub),
    csvField(e.actor.roles.join(' ')),
    csvField(e.actor.org),
    csvField(e.action),
    csvField(e.projectId),
    csvField(e.fromState),
    csvField(e.toState),
    csvField(e.revision),
    csvField(e.machine?.id ?? null),
    csvField(e.machine?.version ?? null),
    csvField(e.requestId),
    csvField(e.idempotencyKey),
    csvField(JSON.stringify(e.payload)),
    csvField(e.prevHash),
    csvField(e.rowHash),
  ].join(',') + '\r\n';
}

export type ExportFormat = 'ndjson' | 'csv';

/** The export as text chunks (one per cursor batch), header first for CSV. */
export async function* exportChunks(sql: Sql, filter: AuditEventFilter, format: ExportFormat, batchSize = 2000): AsyncGenerator<string> {
  if (format === 'csv') yield CSV_HEADER;
  const line = format === 'csv' ? csvLine : ndjsonLine;
  for await (const batch of streamAuditEvents(sql, filter, batchSize)) {
    let chunk = '';
    for (const e of batch) chunk += line(e);
    yield chunk;
  }
}
