/**
 * The database and bucket a backup reads or a restore fills: the configured ones (DATABASE_URL,
 * S3_*), or the embedded servers under DATA_DIR, started here for the duration of the command
 * (stop the service first: its embedded servers own that folder while it runs).
 */
import path from 'node:path';
import postgres from 'postgres';
import type { AppConfig } from '../config';
import { startEmbeddedPostgres } from '../infra/embedded-postgres';
import { startEmbeddedS3Process } from '../infra/embedded-s3-process';
import { EMBEDDED_DATABASE_NAME } from '../infra/runtime';
import { createObjectStorage, type ObjectStorage } from '../infra/object-storage';

export interface Stores {
  databaseUrl: string;
  storage: ObjectStorage;
  stop(): Promise<void>;
}

export async function openStores(config: AppConfig): Promise<Stores> {
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => {});
  };
  try {
    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      const pg = await startEmbeddedPostgres({ dir: path.join(config.dataDir, 'postgres'), port: config.embeddedPostgresPort, onLog: () => {} });
      stops.push(() => pg.stop());
      const admin = postgres(pg.adminUrl, { max: 1, onnotice: () => {} });
      try {
        const [row] = await admin`select 1 from pg_database where datname = ${EMBEDDED_DATABASE_NAME}`;
        if (!row) await admin.unsafe(`create database "${EMBEDDED_DATABASE_NAME}"`);
      } finally {
        await admin.end({ timeout: 5 });
      }
      databaseUrl = pg.urlFor(EMBEDDED_DATABASE_NAME);
    }
    let s3 = config.s3;
    if (!s3) {
      const embedded = await startEmbeddedS3Process({ dir: path.join(config.dataDir, 'objects'), port: config.embeddedS3Port, buckets: [config.s3Bucket] });
      stops.push(() => embedded.stop());
      s3 = embedded.settings;
    }
    const storage = createObjectStorage(s3);
    await storage.ensureBucket();
    return { databaseUrl, storage, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
