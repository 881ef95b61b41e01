/**
 * Auditor search over the audit log: filters, seq-cursor pages, and full exports streamed from a
 * Postgres cursor (NDJSON — one AuditEventRecord per line, exactly what `npm run verify-export`
 * reads — or RFC 4180 CSV) in constant memory.
 *
 * Filters use the indexes on audit_events: (project_id, seq), (actor_sub, seq), (action, seq),
 * (occurred_at, seq), and the primary key on seq for paging.
 */
import { PgDialect } from 'drizzle-orm/pg-core';
import type { Sql } from '../../infra/database';
import type { AuditEventRecord } from './audit-hash';
import { AUDIT_COLUMNS, toRecord, type AuditRow } from './audit-reader';

/** The select list of AUDIT_COLUMNS as SQL text, for queries written with postgres.js directly. */
export const AUDIT_COLUMNS_TEXT: string = new PgDialect().sqlToQuery(AUDIT_COLUMNS).sql;

/**
 * AUDIT_COLUMNS for whole-log walks, with occurred_at as Postgres' own text output instead of
 * to_char (which costs Postgres more than the rest of the row). walkRowToRecord turns it into the
 * exact ISO string to_char gives. Needs the session in TimeZone UTC with DateStyle ISO.
 */
export const WALK_COLUMNS_TEXT: string = AUDIT_COLUMNS_TEXT.replace(
  /to_char\(occurred_at at time zone 'UTC', '[^']*'\) as occurred_at/,
  'occurred_at::text as occurred_at',
);
if (WALK_COLUMNS_TEXT === AUDIT_COLUMNS_TEXT) throw new Error('AUDIT_COLUMNS changed: update WALK_COLUMNS_TEXT');

const PG_UTC_TIMESTAMP = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?\+00$/;

/** '2026-03-02 01:00:00.12+00' (timestamptz text, UTC, ISO style) → '2026-03-02T01:00:00.120Z', as to_char(… 'MS') writes it. */
export function isoFromPgTimestamp(text: string): string {
  const m = PG_UTC_TIMESTAMP.exec(text);
  if (!m) throw new Error(`unexpected timestamp text ${JSON.stringify(text)} (the session must use TimeZone UTC, DateStyle ISO)`);
  return `${m[1]}T${m[2]}.${(m[3] ?? '').padEnd(3, '0').slice(0, 3)}Z`;
}

/** A row selected with WALK_COLUMNS_TEXT as an AuditEventRecord (the row is reused). */
export function walkRowToRecord(row: AuditRow): AuditEventRecord {
  row.occurred_at = isoFromPgTimestamp(row.occurred_at);
  return toRecord(row);
}

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

/** A WHERE clause with numbered parameters. */
interface Where {
  text: string;
  params: Array<string | number>;
}

function whereOf(f: AuditEventFilter, opts: { time?: boolean } = {}): Where {
  const conds: string[] = [];
  const params: Array<string | number> = [];
  const p = (v: string | number) => `$${params.push(v)}`;
  if (f.projectId !== undefined) conds.push(`project_id = ${p(f.projectId)}::uuid`);
  if (f.actor !== undefined) conds.push(`actor_sub = ${p(f.actor)}`);
  if (f.action !== undefined) conds.push(`action = ${p(f.action)}`);
  if (opts.time !== false) {
    if (f.from !== undefined) conds.push(`occurred_at >= ${p(f.from)}::timestamptz`);
    if (f.to !== undefined) conds.push(`occurred_at < ${p(f.to)}::timestamptz`);
  }
  if (f.after !== undefined) conds.push(`seq > ${p(f.after)}::bigint`);
  return { text: conds.length ? `where ${conds.join(' and ')}` : '', params };
}

/** Unnamed statements: planned for the actual values every time, never from a generic plan. */
function run(sql: Sql, text: string, params: Array<string | number>) {
  return sql.unsafe<AuditRow[]>(text, params, { prepare: false });
}

/**
 * How many rows a time-filtered page looks at in seq order before it switches to the time index.
 * Time and seq grow together, which the planner cannot know: for "a window, first N by seq" it
 * walks seq order and filters (fast when the window starts near the cursor, a scan of everything
 * before it otherwise), or reads the window through the time index and sorts (fast for a narrow
 * window, everything for a wide one). The page tries the first for this many rows, then the second.
 */
export const TIME_PAGE_SCAN_CAP = 5000;

function pageRows(sql: Sql, f: AuditEventFilter, n: number, scanCap: number) {
  if (f.from === undefined && f.to === undefined) {
    const w = whereOf(f);
    return run(sql, `select ${AUDIT_COLUMNS_TEXT} from audit_events ${w.text} order by seq limit ${n}`, w.params);
  }
  return timePageRows(sql, f, n, scanCap);
}

async function timePageRows(sql: Sql, f: AuditEventFilter, n: number, scanCap: number): Promise<AuditRow[]> {
  // An action (alone) within a window: the (action, occurred_at, seq) index holds exactly the
  // window's matches, so reading them all (2. below) costs what the result's window holds, never
  // the log. The seq-order probe (1.) would read scanCap entries first and, for a window late in
  // the log, find nothing: EXPLAIN at 1,000,000 events showed it reading every entry of the
  // action and sorting them (72 ms) before the index range (1 ms) answered.
  if (f.action !== undefined && f.actor === undefined && f.projectId === undefined) return everyMatchPage(sql, f, n);
  // 1. The next scanCap candidates of the other filters, in seq order, then the window.
  const w = whereOf(f, { time: false });
  const time: string[] = [];
  const params = [...w.params];
  if (f.from !== undefined) time.push(`c.occurred_at >= $${params.push(f.from)}::timestamptz`);
  if (f.to !== undefined) time.push(`c.occurred_at < $${params.push(f.to)}::timestamptz`);
  const first = await run(
    sql,
    `select ${AUDIT_COLUMNS_TEXT} from audit_events where seq in (
       select c.seq from (select seq, occurred_at from audit_events ${w.text} order by seq limit ${scanCap}) c
       where ${time.join(' and ')} order by c.seq limit ${n})
     order by seq`,
    params,
  );
  if (first.length === n) return first; // the first n matches lie within the candidates looked at
  return everyMatchPage(sql, f, n);
}

/** 2. Every match (through whichever index suits: no ORDER BY … LIMIT to mislead the planner), then the first n by seq. */
function everyMatchPage(sql: Sql, f: AuditEventFilter, n: number): Promise<AuditRow[]> {
  const all = whereOf(f);
  return run(
    sql,
    `with m as materialized (select seq from audit_events ${all.text})
     select ${AUDIT_COLUMNS_TEXT} from audit_events where seq in (select seq from m order by seq limit ${n}) order by seq`,
    all.params,
  );
}

export interface AuditEventPage {
  items: AuditEventRecord[];
  /** Pass as `after` for the next page; null on the last page. */
  nextCursor: number | null;
}

/** One page of matching events in seq order. `scanCap` is TIME_PAGE_SCAN_CAP (tests lower it). */
export async function searchAuditEvents(sql: Sql, filter: AuditEventFilter, limit: number, opts: { scanCap?: number } = {}): Promise<AuditEventPage> {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError('limit must be a positive integer');
  const scanCap = opts.scanCap ?? TIME_PAGE_SCAN_CAP;
  if (!Number.isSafeInteger(scanCap) || scanCap < 1) throw new RangeError('scanCap must be a positive integer');
  const rows = await pageRows(sql, filter, limit + 1, scanCap);
  const more = rows.length > limit;
  const items = (more ? rows.slice(0, limit) : rows).map(toRecord);
  return { items, nextCursor: more ? items[items.length - 1]!.seq : null };
}

/**
 * Every matching event in seq order, a batch at a time from a server-side cursor: memory holds one
 * batch, whatever the size of the log. Stop iterating to close the cursor.
 */
export async function* streamAuditEvents(sql: Sql, filter: AuditEventFilter, batchSize = 2000): AsyncGenerator<AuditEventRecord[]> {
  const w = whereOf(filter);
  for await (const rows of run(sql, `select ${AUDIT_COLUMNS_TEXT} from audit_events ${w.text} order by seq`, w.params).cursor(batchSize)) {
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

// A text cell a spreadsheet would run as a formula (CSV injection).
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * An RFC 4180 field: quoted (with "" for ") when it holds a quote, comma, CR or LF. null is an empty
 * unquoted field and the empty string an empty quoted one, so the two stay distinguishable. Text
 * that starts like a formula gets a leading apostrophe, so spreadsheets show it rather than run it;
 * the NDJSON export is the exact, verifiable one.
 */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  const s = typeof value === 'number' ? String(value) : FORMULA_START.test(value) ? `'${value}` : value;
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

/**
 * Text chunks of at most about this many UTF-16 units. Kept well under V8's large-object
 * threshold: a chunk of a whole cursor batch (~1.4 MB for 2,000 events) lands in large-object
 * space, which only a full collection frees, so the heap grew by hundreds of MB during an export
 * (issue #14); small chunks die young and are swept by scavenges.
 */
export const EXPORT_CHUNK_CHARS = 32 * 1024;

/**
 * The export as text chunks, header first for CSV. It is pulled (Readable.from): a batch is
 * fetched from the cursor only when the response has taken the previous one, so memory holds
 * about one batch whatever the size of the log.
 */
export async function* exportChunks(sql: Sql, filter: AuditEventFilter, format: ExportFormat, batchSize = 500): AsyncGenerator<string> {
  if (format === 'csv') yield CSV_HEADER;
  const line = format === 'csv' ? csvLine : ndjsonLine;
  for await (const batch of streamAuditEvents(sql, filter, batchSize)) {
    let chunk = '';
    for (const e of batch) {
      chunk += line(e);
      if (chunk.length >= EXPORT_CHUNK_CHARS) {
        yield chunk;
        chunk = '';
      }
    }
    if (chunk) yield chunk;
  }
}

/**
 * Feed a walk's cursor batches to a verifier, asking for the next batch before hashing the
 * current one, so Postgres produces rows while Node hashes.
 */
export async function pushWalkBatches(batches: AsyncIterator<AuditRow[]>, push: (record: AuditEventRecord) => void): Promise<void> {
  let next = batches.next();
  for (;;) {
    const { done, value: rows } = await next;
    if (done) break;
    next = batches.next();
    for (let i = 0; i < rows.length; i++) push(walkRowToRecord(rows[i]!));
  }
}
