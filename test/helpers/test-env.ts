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
import { SignJWT } from 'jose';
import { buildApp } from '../../src/app';
import { loadOrCreateLocalSigningKey, LOCAL_JWT_ALG } from '../../src/auth/local-signing-key';
import type { Role } from '../../src/auth/roles';

export interface TestEnv {
  config: AppConfig;
  databaseUrl: string;
  adminUrl: string;
  database: Database;
  storage: ObjectStorage;
  dataDir: string;
  buildApp(overrides?: Partial<Parameters<typeof buildApp>[0]>): Promise<FastifyInstance>;
  /** A token signed with this environment's local key (what `npm run token` prints). */
  token(sub: string, roles: Role[], org?: string, opts?: { expiresIn?: string; notBefore?: string }): Promise<string>;
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
  const database = createDatabase(databaseUrl, { max: 40 });
  const apps: FastifyInstance[] = [];

  return {
    config,
    databaseUrl,
    adminUrl,
    database,
    storage,
    dataDir,
    async buildApp(overrides = {}) {
      const app = await buildApp({ config, database, storage, ...overrides });
      apps.push(app);
      return app;
    },
    async token(sub, roles, org, opts = {}) {
      const key = await loadOrCreateLocalSigningKey(dataDir);
      return new SignJWT({ roles, ...(org ? { org } : {}) })
        .setProtectedHeader({ alg: LOCAL_JWT_ALG, kid: key.kid })
        .setSubject(sub)
        .setIssuer(config.jwt.issuer)
        .setAudience(config.jwt.audience)
        .setIssuedAt()
        .setNotBefore(opts.notBefore ?? '0s')
        .setExpirationTime(opts.expiresIn ?? '1h')
        .sign(key.privateKey);
    },
    async close() {
      for (const app of apps) await app.close();
      await database.close();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}
