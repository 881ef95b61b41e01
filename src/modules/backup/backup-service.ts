/**
 * Backups that restore: `createBackup` writes a database snapshot, the objects its rows reference
 * and the signing keys into a folder, with a manifest (written last: a folder without one is an
 * unfinished backup); `restoreBackup` loads such a folder into an empty database and bucket.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import postgres from 'postgres';
import { runMigrations } from '../../../db/migrate';
import type { ObjectStorage } from '../../infra/object-storage';
import { SERVICE_VERSION } from '../../version';
import { BACKUP_FORMAT, BACKUP_FORMAT_VERSION, safeObjectPath, type BackupFile, type BackupManifest, type ObjectEntry } from './backup-manifest';
import { dumpDatabase, loadDatabase, nonEmptyTables, sha256File } from './database-dump';

/** A refusal the operator can act on (the CLI prints it and exits with `exitCode`). */
export class BackupRefusedError extends Error {
  override name = 'BackupRefusedError';
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}
/** Exit codes of the CLIs: 2 usage, 3 the target is not empty, 4 the backup is incomplete or corrupt, 5 the stored bytes do not match. */
export const EXIT = { usage: 2, targetNotEmpty: 3, badBackup: 4, checksum: 5 } as const;

export interface KeyFile {
  /** Name inside the backup's keys/ folder. */
  name: string;
  path: string;
  role: 'checkpoint' | 'data-dir';
}

/** The keys a deployment keeps outside the database: every file of DATA_DIR/keys, and the checkpoint key wherever it is. */
export async function keyFilesOf(dataDir: string, checkpointKeyFile: string | undefined): Promise<KeyFile[]> {
  const dir = path.join(dataDir, 'keys');
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  const files: KeyFile[] = [];
  const checkpoint = path.resolve(checkpointKeyFile ?? path.join(dir, 'audit-checkpoint-ed25519.pem'));
  for (const name of names.sort()) {
    const p = path.join(dir, name);
    if (!(await fs.stat(p)).isFile()) continue;
    files.push({ name, path: p, role: path.resolve(p) === checkpoint ? 'checkpoint' : 'data-dir' });
  }
  if (!files.some((f) => f.role === 'checkpoint')) {
    if (await fs.stat(checkpoint).then((s) => s.isFile(), () => false)) files.push({ name: 'audit-checkpoint-ed25519.pem', path: checkpoint, role: 'checkpoint' });
  }
  return files;
}

/** Hashes what passes through and fails the stream when the total differs from what the row says. */
function verifyingHash(entry: ObjectEntry): Transform & { digest(): string } {
  const hash = createHash('sha256');
  let size = 0;
  const t = new Transform({
    transform(chunk: Buffer, _e, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
    flush(cb) {
      const sha = hash.digest('hex');
      (t as unknown as { sha: string }).sha = sha;
      if (sha !== entry.sha256 || size !== entry.size) cb(new ChecksumError(entry, sha, size));
      else cb();
    },
  }) as Transform & { digest(): string };
  t.digest = () => (t as unknown as { sha: string }).sha;
  return t;
}

export class ChecksumError extends BackupRefusedError {
  constructor(entry: ObjectEntry, sha: string, size: number) {
    super(`object ${entry.key} (${entry.source}) has sha256 ${sha} and ${size} bytes, but its row says ${entry.sha256} and ${entry.size} bytes`, EXIT.checksum);
  }
}

async function assertEmptyFolder(dir: string): Promise<void> {
  const entries = await fs.readdir(dir).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? [] : Promise.reject(err)));
  if (entries.length) throw new BackupRefusedError(`backup folder ${dir} is not empty: give a new folder`, EXIT.usage);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
}

export interface BackupResult {
  manifest: BackupManifest;
  durationMs: number;
}

export async function createBackup(opts: { databaseUrl: string; storage: ObjectStorage; keyFiles: KeyFile[]; dir: string; log?: (line: string) => void }): Promise<BackupResult> {
  const started = performance.now();
  const log = opts.log ?? (() => {});
  const dir = path.resolve(opts.dir);
  await assertEmptyFolder(dir);

  // A connection of its own (never the service's pool), held by the snapshot's transaction.
  const sql = postgres(opts.databaseUrl, { max: 1, onnotice: () => {}, connection: { application_name: 'tech-appraisal-backup' } });
  let dump;
  try {
    dump = await dumpDatabase(sql, dir);
  } finally {
    await sql.end({ timeout: 5 });
  }
  log(`database: ${dump.tables.length} tables, ${dump.tables.reduce((n, t) => n + t.rows, 0)} rows, snapshot at ${dump.takenAt}`);

  // Objects: committed ones never change, so copying after the snapshot finds each as its row says.
  let totalBytes = 0;
  const listWriter: string[] = [];
  for (const entry of dump.objects) {
    const rel = safeObjectPath(entry.key);
    const target = path.join(dir, rel);
    await fs.mkdir(path.dirname(target), { recursive: true });
    const source = await opts.storage.client.getObject(opts.storage.bucket, entry.key);
    await pipeline(source, verifyingHash(entry), createWriteStream(target, { mode: 0o600 }));
    totalBytes += entry.size;
    listWriter.push(JSON.stringify(entry));
  }
  const objectsText = listWriter.length ? `${listWriter.join('\n')}\n` : '';
  await fs.writeFile(path.join(dir, 'objects.ndjson'), objectsText, { mode: 0o600 });
  const objectsFile: BackupFile = { file: 'objects.ndjson', sha256: createHash('sha256').update(objectsText).digest('hex'), bytes: Buffer.byteLength(objectsText) };
  log(`objects: ${dump.objects.length}, ${totalBytes} bytes, each sha256 checked`);

  await fs.mkdir(path.join(dir, 'keys'), { mode: 0o700 });
  const keys: BackupManifest['keys'] = [];
  for (const k of opts.keyFiles) {
    const file = `keys/${k.name}`;
    await fs.copyFile(k.path, path.join(dir, file));
    await fs.chmod(path.join(dir, file), 0o600);
    keys.push({ name: k.name, role: k.role, file, ...(await sha256File(path.join(dir, file))) });
  }
  log(`keys: ${keys.map((k) => k.name).join(', ') || 'none'}`);

  const rows = (t: string) => dump.tables.find((x) => x.table === t)?.rows ?? 0;
  const manifest: BackupManifest = {
    format: BACKUP_FORMAT,
    formatVersion: BACKUP_FORMAT_VERSION,
    serviceVersion: SERVICE_VERSION,
    createdAt: new Date().toISOString(),
    database: {
      serverVersion: dump.serverVersion,
      snapshot: { isolation: 'repeatable read, read only', takenAt: dump.takenAt, txid: dump.txid },
      migrations: { count: dump.migrations.length, hashes: dump.migrations },
      tables: dump.tables,
      sequences: dump.sequences,
    },
    objects: { ...objectsFile, count: dump.objects.length, totalBytes, bucket: opts.storage.bucket },
    keys,
    lastCheckpoint: dump.lastCheckpoint,
    counts: { auditEvents: rows('audit_events'), projects: rows('projects'), documents: rows('documents'), slips: rows('slips'), checkpoints: rows('audit_checkpoints') },
  };
  await fs.writeFile(path.join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
  return { manifest, durationMs: performance.now() - started };
}

export async function readManifest(dir: string): Promise<BackupManifest> {
  const text = await fs.readFile(path.join(dir, 'manifest.json'), 'utf8').catch(() => {
    throw new BackupRefusedError(`${dir} has no manifest.json: not a backup, or one that did not finish`, EXIT.badBackup);
  });
  const manifest = JSON.parse(text) as BackupManifest;
  if (manifest.format !== BACKUP_FORMAT || manifest.formatVersion !== BACKUP_FORMAT_VERSION) {
    throw new BackupRefusedError(`${dir}/manifest.json is not a ${BACKUP_FORMAT} version ${BACKUP_FORMAT_VERSION}`, EXIT.badBackup);
  }
  return manifest;
}

/** Every file the manifest lists is there with its sha256 (before anything is written to the target). */
async function verifyFiles(dir: string, manifest: BackupManifest): Promise<void> {
  const files: BackupFile[] = [...manifest.database.tables, manifest.database.sequences, manifest.objects, ...manifest.keys];
  for (const f of files) {
    const got = await sha256File(path.join(dir, f.file)).catch(() => undefined);
    if (!got) throw new BackupRefusedError(`backup file ${f.file} is missing`, EXIT.badBackup);
    if (got.sha256 !== f.sha256) throw new BackupRefusedError(`backup file ${f.file} has sha256 ${got.sha256}, the manifest says ${f.sha256}`, EXIT.checksum);
  }
}

async function firstObjectKey(storage: ObjectStorage): Promise<string | undefined> {
  const stream = storage.client.listObjectsV2(storage.bucket, '', true);
  try {
    for await (const item of stream as AsyncIterable<{ name?: string; prefix?: string }>) return item.name ?? item.prefix;
    return undefined;
  } finally {
    stream.destroy();
  }
}

export interface RestoreResult {
  manifest: BackupManifest;
  rows: Record<string, number>;
  objects: number;
  keysWritten: string[];
  disabledTriggers: string[];
  durationMs: number;
}

/**
 * Restore into an EMPTY database and bucket only: refuses anything else before writing. Runs the
 * migrations, loads the tables in one transaction, copies the objects (sha256 checked again),
 * writes the keys where this deployment reads them, and checks the counts against the manifest.
 */
export async function restoreBackup(opts: {
  databaseUrl: string;
  storage: ObjectStorage;
  dir: string;
  dataDir: string;
  checkpointKeyFile?: string;
  log?: (line: string) => void;
}): Promise<RestoreResult> {
  const started = performance.now();
  const log = opts.log ?? (() => {});
  const dir = path.resolve(opts.dir);
  const manifest = await readManifest(dir);
  await verifyFiles(dir, manifest);
  log(`backup ${dir}: made ${manifest.createdAt} by version ${manifest.serviceVersion}; every file matches its sha256`);

  const sql = postgres(opts.databaseUrl, { max: 1, onnotice: () => {}, connection: { application_name: 'tech-appraisal-restore' } });
  try {
    const full = await nonEmptyTables(sql);
    if (full.length) throw new BackupRefusedError(`the target database is not empty (rows in ${full.slice(0, 5).join(', ')}${full.length > 5 ? ', …' : ''}): restore only into a new, empty database`, EXIT.targetNotEmpty);
    await opts.storage.ensureBucket();
    const present = await firstObjectKey(opts.storage);
    if (present !== undefined) throw new BackupRefusedError(`the target bucket "${opts.storage.bucket}" is not empty (it holds ${present}): restore only into a new, empty bucket`, EXIT.targetNotEmpty);
    const keyTargets = manifest.keys.map((k) => ({ k, target: k.role === 'checkpoint' && opts.checkpointKeyFile ? path.resolve(opts.checkpointKeyFile) : path.join(opts.dataDir, 'keys', k.name) }));
    for (const { target } of keyTargets) {
      if (await fs.stat(target).then(() => true, () => false)) throw new BackupRefusedError(`key file ${target} already exists: restore into a new DATA_DIR (the restored keys must be the backup's)`, EXIT.targetNotEmpty);
    }

    await runMigrations(opts.databaseUrl);
    const applied = await sql<{ hash: string }[]>`select hash from drizzle.__drizzle_migrations order by id`;
    const same = applied.length === manifest.database.migrations.count && applied.every((r, i) => r.hash === manifest.database.migrations.hashes[i]);
    if (!same) {
      throw new BackupRefusedError(
        `the backup was made at migration ${manifest.database.migrations.count} and this version migrates to ${applied.length} (or they differ): restore with the version that made the backup (${manifest.serviceVersion}), then upgrade`,
        EXIT.badBackup,
      );
    }
    // Migrations may not leave rows behind; if a future one does, the load below would collide.
    const seeded = await nonEmptyTables(sql);
    if (seeded.length) throw new BackupRefusedError(`the migrations left rows in ${seeded.join(', ')}: cannot restore over them`, EXIT.targetNotEmpty);

    const loaded = await loadDatabase(sql, dir, manifest.database.tables, manifest.database.sequences.file);
    for (const t of manifest.database.tables) {
      if (loaded.rows[t.table] !== t.rows) throw new BackupRefusedError(`table ${t.table}: loaded ${loaded.rows[t.table]} rows, the manifest says ${t.rows}`, EXIT.badBackup);
      const [{ n }] = (await sql.unsafe(`select count(*)::int as n from "${t.table}"`)) as unknown as [{ n: number }];
      if (n !== t.rows) throw new BackupRefusedError(`table ${t.table}: ${n} rows after the load, the manifest says ${t.rows}`, EXIT.badBackup);
    }
    log(`database: ${manifest.database.tables.length} tables, ${Object.values(loaded.rows).reduce((a, b) => a + b, 0)} rows loaded in one transaction`);

    const list = (await fs.readFile(path.join(dir, manifest.objects.file), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as ObjectEntry);
    for (const entry of list) {
      const file = path.join(dir, safeObjectPath(entry.key));
      const check = verifyingHash(entry);
      // The upload reads through the hash: a file changed since the backup fails it.
      const body = createReadStream(file).pipe(check);
      const failed = new Promise<never>((_, reject) => check.once('error', reject));
      await Promise.race([opts.storage.client.putObject(opts.storage.bucket, entry.key, body, entry.size), failed]);
    }
    log(`objects: ${list.length} copied into bucket "${opts.storage.bucket}", each sha256 checked`);

    const keysWritten: string[] = [];
    for (const { k, target } of keyTargets) {
      await fs.mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
      await fs.copyFile(path.join(dir, k.file), target);
      await fs.chmod(target, 0o600);
      keysWritten.push(target);
    }
    log(`keys: ${keysWritten.join(', ') || 'none'}`);
    return { manifest, rows: loaded.rows, objects: list.length, keysWritten, disabledTriggers: loaded.disabledTriggers, durationMs: performance.now() - started };
  } finally {
    await sql.end({ timeout: 5 });
  }
}
