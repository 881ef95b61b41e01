import fs from 'node:fs/promises';
import path from 'node:path';
import postgres from 'postgres';
import type { AppConfig, S3Settings } from '../config';
import { redact } from '../config';
import { runMigrations } from '../../db/migrate';
import { createDatabase, type Database } from './database';
import { seedRulebooks } from '../modules/rulebook/rulebook-service';
import { seedCalendars } from '../modules/calendar/calendar-service';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from './embedded-postgres';
import type { EmbeddedS3Handle } from './embedded-s3';
import { startEmbeddedS3Process } from './embedded-s3-process';
import { createObjectStorage, type ObjectStorage } from './object-storage';
import { assertPortFree } from './port-check';

export const EMBEDDED_DATABASE_NAME = 'appraisal';

export interface Runtime {
  databaseUrl: string;
  s3: S3Settings;
  database: Database;
  storage: ObjectStorage;
  embedded: { postgres: boolean; s3: boolean };
  /** Close clients, then stop whatever embedded servers were started (in reverse order). */
  stop(): Promise<void>;
}

const MIB = 1024 * 1024;
/**
 * Multipart part size: small, because the client holds about three parts in memory per upload,
 * but large enough that the biggest allowed file fits in S3's 10,000 parts.
 */
export function partSizeFor(maxUploadBytes: number): number {
  return Math.max(5 * MIB, Math.ceil(maxUploadBytes / 9_999 / MIB) * MIB);
}

export class StartupError extends Error {
  override name = 'StartupError';
}

interface Log {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

async function assertDatabaseReachable(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, connect_timeout: 5, onnotice: () => {} });
  try {
    await sql`select 1`;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new StartupError(`cannot connect to DATABASE_URL ${redact(url)}: ${e.code ?? ''} ${e.message}`.replace(/\s+/g, ' '));
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}

async function ensureEmbeddedDatabase(pg: EmbeddedPostgresHandle, name: string): Promise<void> {
  const sql = postgres(pg.adminUrl, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql`select 1 as present from pg_database where datname = ${name}`;
    if (!row) await sql.unsafe(`create database "${name}"`);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/**
 * Resolve Postgres and object storage: the configured ones, or embedded servers started here
 * with their data under DATA_DIR. Then migrate (unless switched off) and create the bucket.
 */
export async function startRuntime(config: AppConfig, log: Log): Promise<Runtime> {
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    stops.length = 0;
  };
  try {
    await fs.mkdir(config.dataDir, { recursive: true });

    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      const pg = await startEmbeddedPostgres({
        dir: path.join(config.dataDir, 'postgres'),
        port: config.embeddedPostgresPort,
        onLog: (line) => log.debug({ component: 'embedded-postgres' }, line),
      });
      stops.push(() => pg.stop());
      await ensureEmbeddedDatabase(pg, EMBEDDED_DATABASE_NAME);
      databaseUrl = pg.urlFor(EMBEDDED_DATABASE_NAME);
      log.info({ port: config.embeddedPostgresPort, dir: path.join(config.dataDir, 'postgres') }, 'embedded Postgres started');
    } else {
      await assertDatabaseReachable(databaseUrl);
    }

    let s3 = config.s3;
    let embeddedS3: EmbeddedS3Handle | undefined;
    if (!s3) {
      await assertPortFree('127.0.0.1', config.embeddedS3Port, 'EMBEDDED_S3_PORT');
      embeddedS3 = await startEmbeddedS3Process(
        { dir: path.join(config.dataDir, 'objects'), port: config.embeddedS3Port, buckets: [config.s3Bucket] },
        { onLog: (message) => log.warn({ component: 'embedded-s3' }, message) },
      );
      stops.push(() => embeddedS3!.stop());
      s3 = embeddedS3.settings;
      log.info({ endpoint: s3.endpoint, dir: path.join(config.dataDir, 'objects') }, 'embedded S3 server started');
    }

    const storage = createObjectStorage(s3, { partSizeBytes: partSizeFor(config.uploadMaxBytes) });
    try {
      await storage.ensureBucket();
    } catch (err) {
      throw new StartupError(`object storage at ${s3.endpoint} is not usable (bucket "${s3.bucket}"): ${(err as Error).message}`);
    }

    if (config.migrateOnStart) {
      await runMigrations(databaseUrl);
      log.info({}, 'database migrations applied');
    }

    const database = createDatabase(databaseUrl, { max: config.databasePoolMax, prepare: config.databasePrepare });
    stops.push(() => database.close());
    log.info(await seedRulebooks(database.db), 'rulebook seed step: shipped versions inserted where missing, existing accepted projects pinned');
    await seedCalendars(database.db);

    return {
      databaseUrl,
      s3,
      database,
      storage,
      embedded: { postgres: !config.databaseUrl, s3: !config.s3 },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
