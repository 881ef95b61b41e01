import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { inject } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type AppConfig } from '../../src/config';
import { createDatabase, type Database } from '../../src/infra/database';
import { createObjectStorage, type ObjectStorage } from '../../src/infra/object-storage';
import { buildApp } from '../../src/app';

export interface TestEnv {
  config: AppConfig;
  databaseUrl: string;
  adminUrl: string;
  database: Database;
  storage: ObjectStorage;
  dataDir: string;
  buildApp(): Promise<FastifyInstance>;
  close(): Promise<void>;
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/**
 * A fresh database (cloned from the migrated template) and a fresh bucket for one test file,
 * on the run's shared Postgres and S3 servers.
 */
export async function createTestEnv(env: Record<string, string> = {}): Promise<TestEnv> {
  const adminUrl = inject('pgAdminUrl');
  const template = inject('templateDatabase');
  const s3 = inject('s3');
  const suffix = randomBytes(4).toString('hex');
  const dbName = `${inject('databasePrefix')}${suffix}`;

  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${dbName}" template "${template}"`);
  await admin.end();
  const databaseUrl = withDatabase(adminUrl, dbName);

  const bucket = `test-${suffix}`;
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'appraisal-data-'));
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    S3_ENDPOINT: s3.endpoint,
    S3_ACCESS_KEY: s3.accessKey,
    S3_SECRET_KEY: s3.secretKey,
    S3_BUCKET: bucket,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    ...env,
  });
  const storage = createObjectStorage(config.s3!, { partSizeBytes: 5 * 1024 * 1024 });
  await storage.ensureBucket();
  const database = createDatabase(databaseUrl, { max: 10 });
  const apps: FastifyInstance[] = [];

  return {
    config,
    databaseUrl,
    adminUrl,
    database,
    storage,
    dataDir,
    async buildApp() {
      const app = await buildApp({ config, database, storage });
      apps.push(app);
      return app;
    },
    async close() {
      for (const app of apps) await app.close();
      await database.close();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}
