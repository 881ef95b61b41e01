/**
 * Where `npm run backup` / `npm run restore` find the database and the object store: the
 * configured ones (DATABASE_URL, S3_*), or the embedded default under DATA_DIR.
 *   backup, embedded: the running service's Postgres if it is up (the snapshot does not stop it),
 *     else that Postgres started for the command; the objects are read through an S3 server of
 *     the command's own over DATA_DIR/objects (read only, beside the service's).
 *   restore, embedded: a NEW DATA_DIR (locked for the command, so no service runs on it): its
 *     Postgres is created and started, and an S3 server over its objects folder.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import postgres from 'postgres';
import type { AppConfig } from '../../config';
import { startEmbeddedPostgres } from '../../infra/embedded-postgres';
import { startEmbeddedS3Process } from '../../infra/embedded-s3-process';
import { createObjectStorage, type ObjectStorage } from '../../infra/object-storage';
import { EMBEDDED_DATABASE_NAME, partSizeFor } from '../../infra/runtime';
import { acquireDataDirLock } from '../../infra/data-dir-lock';

export interface BackupRuntime {
  databaseUrl: string;
  storage: ObjectStorage;
  stop(): Promise<void>;
}

async function runningEmbeddedUrl(config: AppConfig): Promise<string | undefined> {
  const password = await fs.readFile(path.join(config.dataDir, 'postgres', 'superuser-password'), 'utf8').then((p) => p.trim(), () => undefined);
  if (!password) return undefined;
  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${config.embeddedPostgresPort}/${EMBEDDED_DATABASE_NAME}`;
  const probe = postgres(url, { max: 1, connect_timeout: 3, onnotice: () => {} });
  const up = await probe`select 1`.then(() => true, () => false);
  await probe.end({ timeout: 1 }).catch(() => {});
  return up ? url : undefined;
}

export async function openBackupRuntime(config: AppConfig, purpose: 'backup' | 'restore'): Promise<BackupRuntime> {
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => {});
  };
  try {
    if (purpose === 'restore' && (!config.databaseUrl || !config.s3)) {
      // Nothing else may run on the DATA_DIR being filled.
      const lock = await acquireDataDirLock(config.dataDir);
      stops.push(() => lock.release());
    }
    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      const running = purpose === 'backup' ? await runningEmbeddedUrl(config) : undefined;
      if (running) databaseUrl = running;
      else {
        const dir = path.join(config.dataDir, 'postgres');
        if (purpose === 'backup' && !(await fs.stat(dir).then(() => true, () => false))) throw new Error(`no database under ${config.dataDir}: nothing to back up (set DATA_DIR or DATABASE_URL)`);
        const pg = await startEmbeddedPostgres({ dir, port: config.embeddedPostgresPort });
        stops.push(() => pg.stop());
        const admin = postgres(pg.adminUrl, { max: 1, onnotice: () => {} });
        const [row] = await admin`select 1 from pg_database where datname = ${EMBEDDED_DATABASE_NAME}`;
        if (!row) await admin.unsafe(`create database "${EMBEDDED_DATABASE_NAME}"`);
        await admin.end();
        databaseUrl = pg.urlFor(EMBEDDED_DATABASE_NAME);
      }
    }
    let s3 = config.s3;
    if (!s3) {
      const dir = path.join(config.dataDir, 'objects');
      if (purpose === 'backup' && !(await fs.stat(dir).then(() => true, () => false))) throw new Error(`no objects folder under ${config.dataDir}: nothing to back up`);
      const server = await startEmbeddedS3Process({ dir, port: 0, buckets: [config.s3Bucket] });
      stops.push(() => server.stop());
      s3 = server.settings;
    }
    const storage = createObjectStorage(s3, { partSizeBytes: partSizeFor(config.uploadMaxBytes) });
    return { databaseUrl, storage, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
