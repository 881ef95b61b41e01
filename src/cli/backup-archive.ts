/**
 * Backups that restore (npm run backup / npm run restore). A backup is one folder:
 *
 *   manifest.json              service version, time, migrations, tables, sequences, and the
 *                              sha256 and size of every other file in the folder
 *   database/<table>.copy      each table of the public schema in COPY text format
 *   objects/<object key>       every object a committed document version or an issued slip names
 *   keys/…                     DATA_DIR/keys (the checkpoint signing key, the local JWT key)
 *
 * The database is read in ONE repeatable-read, read-only transaction, so the dump is a
 * consistent snapshot even while commands run; the objects it names are immutable once
 * committed, so copying them after that snapshot is safe. (The embedded Postgres is 17 and the
 * system pg_dump here is 15, which refuses a newer server: COPY over the service's own driver
 * needs no matching client binaries.)
 *
 * Restore goes into an EMPTY database (no tables in public, no migrations applied) and an empty
 * bucket, and refuses anything else: it checks every sha256 of the manifest, applies this
 * version's migrations, loads the tables with triggers and foreign-key checks held off
 * (session_replication_role = replica: the rows were valid when dumped, and append-only guards
 * would otherwise refuse loading history), sets the sequences, uploads the objects and checks
 * each object's sha256 against its row, and puts the keys under DATA_DIR/keys.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import postgres from 'postgres';
import type { ObjectStorage } from '../infra/object-storage';
import { MIGRATIONS_FOLDER, runMigrations } from '../../db/migrate';
import { SERVICE_VERSION } from '../version';

export const BACKUP_FORMAT = 'tech-appraisal-backup/1';

export interface BackupManifest {
  format: typeof BACKUP_FORMAT;
  serviceVersion: string;
  createdAt: string;
  /** The drizzle migration tags the database had applied (restore needs the same list). */
  migrations: string[];
  tables: Array<{ name: string; columns: string[]; rows: number; file: string }>;
  sequences: Array<{ name: string; lastValue: string | null; isCalled: boolean }>;
  objects: Array<{ key: string; file: string; sha256: string; size: number; source: 'document' | 'slip' }>;
  /** Every file of the backup except this manifest: relative path → sha256 and size. */
  files: Record<string, { sha256: string; size: number }>;
}

export class BackupError extends Error {
  override name = 'BackupError';
}

function migrationTags(): string[] {
  const journal = JSON.parse(fs.readFileSync(path.join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as { entries: Array<{ tag: string }> };
  return journal.entries.map((e) => e.tag);
}

async function sha256File(file: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of fs.createReadStream(file)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
/** Object keys are generated (documents/…, slips/…), but never let one climb out of objects/. */
function objectFile(key: string): string {
  const parts = key.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..')) throw new BackupError(`unexpected object key "${key}"`);
  return path.posix.join('objects', ...parts);
}

async function listFiles(dir: string, base = dir): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fsp.readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(p, base)));
    else if (e.isFile()) out.push(path.relative(base, p).split(path.sep).join('/'));
  }
  return out;
}

export async function createBackup(opts: { databaseUrl: string; storage: ObjectStorage; dataDir: string; outDir: string; log?: (line: string) => void }): Promise<BackupManifest> {
  const log = opts.log ?? (() => {});
  const out = opts.outDir;
  if (fs.existsSync(out) && (await fsp.readdir(out)).length > 0) throw new BackupError(`${out} exists and is not empty; choose a new folder`);
  await fsp.mkdir(path.join(out, 'database'), { recursive: true });

  const sql = postgres(opts.databaseUrl, { max: 1, onnotice: () => {} });
  const manifest: BackupManifest = { format: BACKUP_FORMAT, serviceVersion: SERVICE_VERSION, createdAt: new Date().toISOString(), migrations: [], tables: [], sequences: [], objects: [], files: {} };
  try {
    await sql.begin('isolation level repeatable read read only', async (tx) => {
      const applied = await tx`select hash, created_at from drizzle.__drizzle_migrations order by created_at`.catch(() => [] as unknown as postgres.RowList<postgres.Row[]>);
      const tags = migrationTags();
      if (applied.length > tags.length) throw new BackupError(`the database has ${applied.length} migrations applied; this service version knows ${tags.length}: back up with the version that runs it`);
      manifest.migrations = tags.slice(0, applied.length);

      const tables = await tx<Array<{ name: string }>>`select tablename as name from pg_tables where schemaname = 'public' order by tablename`;
      for (const { name } of tables) {
        const columns = (await tx<Array<{ column_name: string }>>`
          select column_name from information_schema.columns
          where table_schema = 'public' and table_name = ${name} and is_generated = 'NEVER' order by ordinal_position
        `).map((c) => c.column_name);
        const cols = columns.map(ident).join(', ');
        // Pending uploads are not part of the record (their object may not exist yet).
        const where = name === 'documents' ? ` where status <> 'pending'` : '';
        const file = `database/${name}.copy`;
        let rows = 0;
        const counter = new Transform({
          transform(chunk: Buffer, _enc, done) {
            for (const b of chunk) if (b === 10) rows++;
            done(null, chunk);
          },
        });
        const readable = await tx.unsafe(`copy (select ${cols} from public.${ident(name)}${where}) to stdout`).readable();
        await pipeline(readable, counter, fs.createWriteStream(path.join(out, file)));
        manifest.tables.push({ name, columns, rows, file });
      }
      const seqs = await tx<Array<{ name: string; last_value: string | null }>>`
        select sequencename as name, last_value::text from pg_sequences where schemaname = 'public' order by sequencename
      `;
      manifest.sequences = seqs.map((s) => ({ name: s.name, lastValue: s.last_value, isCalled: s.last_value !== null }));
      const objects = await tx<Array<{ key: string; sha256: string; size: string | null; source: 'document' | 'slip' }>>`
        select object_key as key, sha256, size_bytes::text as size, 'document' as source from documents where status <> 'pending'
        union all
        select object_key, sha256, null, 'slip' from slips
        order by 1
      `;
      manifest.objects = objects.map((o) => ({ key: o.key, file: objectFile(o.key), sha256: o.sha256, size: o.size === null ? -1 : Number(o.size), source: o.source }));
    });
  } finally {
    await sql.end({ timeout: 5 });
  }
  log(`database: ${manifest.tables.length} tables, ${manifest.tables.reduce((a, t) => a + t.rows, 0)} rows`);

  for (const o of manifest.objects) {
    const target = path.join(out, o.file);
    await fsp.mkdir(path.dirname(target), { recursive: true });
    await pipeline(await opts.storage.client.getObject(opts.storage.bucket, o.key), fs.createWriteStream(target));
    const { sha256, size } = await sha256File(target);
    if (sha256 !== o.sha256) throw new BackupError(`object ${o.key} has sha256 ${sha256} in storage, but its row says ${o.sha256}`);
    if (o.size === -1) o.size = size;
  }
  log(`objects: ${manifest.objects.length}`);

  const keysDir = path.join(opts.dataDir, 'keys');
  for (const rel of await listFiles(keysDir)) {
    const target = path.join(out, 'keys', rel);
    await fsp.mkdir(path.dirname(target), { recursive: true });
    await fsp.copyFile(path.join(keysDir, rel), target);
    await fsp.chmod(target, 0o600);
  }
  for (const rel of (await listFiles(out)).sort()) manifest.files[rel] = await sha256File(path.join(out, rel));
  await fsp.writeFile(path.join(out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  log(`keys: ${Object.keys(manifest.files).filter((f) => f.startsWith('keys/')).length}; manifest written`);
  return manifest;
}

/** Read the manifest and check every file's sha256 and size against it (and that nothing is missing). */
export async function readVerifiedManifest(dir: string): Promise<BackupManifest> {
  const manifestPath = path.join(dir, 'manifest.json');
  if (!fs.existsSync(manifestPath)) throw new BackupError(`${dir} has no manifest.json: not a backup folder`);
  const manifest = JSON.parse(await fsp.readFile(manifestPath, 'utf8')) as BackupManifest;
  if (manifest.format !== BACKUP_FORMAT) throw new BackupError(`unknown backup format "${manifest.format}" (expected ${BACKUP_FORMAT})`);
  for (const [rel, want] of Object.entries(manifest.files)) {
    const file = path.join(dir, rel);
    if (!fs.existsSync(file)) throw new BackupError(`${rel} is listed in the manifest but missing`);
    const got = await sha256File(file);
    if (got.sha256 !== want.sha256 || got.size !== want.size) throw new BackupError(`${rel} does not match the manifest (sha256 ${got.sha256}, expected ${want.sha256})`);
  }
  for (const t of manifest.tables) if (!manifest.files[t.file]) throw new BackupError(`${t.file} is not covered by the manifest`);
  for (const o of manifest.objects) if (manifest.files[o.file]?.sha256 !== o.sha256) throw new BackupError(`object ${o.key} does not match its recorded sha256`);
  return manifest;
}

export async function restoreBackup(opts: { databaseUrl: string; storage: ObjectStorage; dataDir: string; fromDir: string; log?: (line: string) => void }): Promise<BackupManifest> {
  const log = opts.log ?? (() => {});
  const manifest = await readVerifiedManifest(opts.fromDir);
  log(`manifest verified: ${Object.keys(manifest.files).length} files`);
  const tags = migrationTags();
  // The schema is rebuilt by migrations: they must be exactly the ones the backup had applied.
  if (manifest.migrations.length !== tags.length || manifest.migrations.some((t, i) => tags[i] !== t)) {
    throw new BackupError(`the backup's schema is at migration ${manifest.migrations.at(-1)}, this version's at ${tags.at(-1)}: restore with the service version that made it (${manifest.serviceVersion}), then upgrade`);
  }

  // Refuse a target that holds anything.
  const sql = postgres(opts.databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const [t] = await sql<[{ n: number }]>`select count(*)::int as n from pg_tables where schemaname = 'public'`;
    const [m] = await sql<[{ present: boolean }]>`select to_regclass('drizzle.__drizzle_migrations') is not null as present`;
    if (t!.n > 0 || m!.present) throw new BackupError('the target database is not empty (it has tables or applied migrations): restore into a new, empty database');
  } finally {
    await sql.end({ timeout: 5 });
  }
  const stream = opts.storage.client.listObjectsV2(opts.storage.bucket, '', true);
  const first = await new Promise<unknown>((resolve, reject) => {
    stream.once('data', (o) => resolve(o));
    stream.once('end', () => resolve(undefined));
    stream.once('error', reject);
  });
  stream.destroy();
  if (first !== undefined) throw new BackupError(`the target bucket "${opts.storage.bucket}" is not empty: restore into a new, empty bucket`);
  for (const rel of Object.keys(manifest.files).filter((f) => f.startsWith('keys/'))) {
    const target = path.join(opts.dataDir, rel);
    if (fs.existsSync(target) && (await sha256File(target)).sha256 !== manifest.files[rel]!.sha256) {
      throw new BackupError(`${target} exists with another key; move it away before restoring`);
    }
  }

  // The schema of the version that made the backup (the same migrations), then the rows.
  await runMigrations(opts.databaseUrl);
  const load = postgres(opts.databaseUrl, { max: 1, onnotice: () => {} });
  try {
    await load.begin(async (tx) => {
      await tx`set local session_replication_role = replica`;
      // Rows the migrations themselves inserted are in the dump too.
      for (const table of manifest.tables) await tx.unsafe(`delete from public.${ident(table.name)}`);
      for (const table of manifest.tables) {
        const writable = await tx.unsafe(`copy public.${ident(table.name)} (${table.columns.map(ident).join(', ')}) from stdin`).writable();
        await pipeline(fs.createReadStream(path.join(opts.fromDir, table.file)), writable);
      }
      for (const s of manifest.sequences) {
        if (s.lastValue === null) continue;
        await tx`select setval(${`public.${ident(s.name)}`}::regclass, ${s.lastValue}::bigint, ${s.isCalled})`;
      }
      for (const table of manifest.tables) {
        const [c] = (await tx.unsafe(`select count(*)::int as n from public.${ident(table.name)}`)) as unknown as [{ n: number }];
        if (c.n !== table.rows) throw new BackupError(`table ${table.name}: ${c.n} rows loaded, the backup has ${table.rows}`);
      }
    });
  } finally {
    await load.end({ timeout: 5 });
  }
  log(`database: ${manifest.tables.length} tables loaded`);

  for (const o of manifest.objects) {
    const file = path.join(opts.fromDir, o.file);
    await opts.storage.client.putObject(opts.storage.bucket, o.key, fs.createReadStream(file), o.size, { 'Content-Type': 'application/octet-stream' });
    const hash = createHash('sha256');
    for await (const chunk of await opts.storage.client.getObject(opts.storage.bucket, o.key)) hash.update(chunk as Buffer);
    if (hash.digest('hex') !== o.sha256) throw new BackupError(`object ${o.key} read back with another sha256 after upload`);
  }
  log(`objects: ${manifest.objects.length} uploaded and read back`);

  for (const rel of Object.keys(manifest.files).filter((f) => f.startsWith('keys/'))) {
    const target = path.join(opts.dataDir, rel);
    await fsp.mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
    await fsp.copyFile(path.join(opts.fromDir, rel), target);
    await fsp.chmod(target, 0o600);
  }
  log('keys restored');
  return manifest;
}
