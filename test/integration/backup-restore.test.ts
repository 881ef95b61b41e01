/**
 * Backups that restore: a backup taken while commands run, restored into a fresh database and
 * bucket, verifies — the audit log against the checkpoints signed before the backup, every
 * document's bytes against their sha256, and a coverage report with no violations. Restore
 * refuses a non-empty target and a tampered backup.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { sql } from 'drizzle-orm';
import { createTestEnv, withDatabase, type TestEnv } from '../helpers/test-env';
import { client, completeDossier, sampleDeclaration, sampleProject } from '../helpers/api';
import { createBackup, restoreBackup, readVerifiedManifest, type BackupManifest } from '../../src/cli/backup-archive';
import { createObjectStorage, type ObjectStorage } from '../../src/infra/object-storage';
import { createDatabase, type Database } from '../../src/infra/database';
import { loadConfig } from '../../src/config';
import { buildApp } from '../../src/app';

let env: TestEnv;
let app: FastifyInstance;
const tokens: Record<string, string> = {};
const as = (name: string) => client(app, tokens[name]);
let backupDir: string;
let manifest: BackupManifest;
let checkpointsBeforeBackup: number;
let target: { database: Database; storage: ObjectStorage; dataDir: string; url: string; app?: FastifyInstance };
const cleanups: Array<() => Promise<unknown>> = [];

async function emptyTarget() {
  const name = `restore_${randomBytes(4).toString('hex')}`;
  const admin = postgres(env.adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`); // from template1: no tables, no migrations
  await admin.end();
  const url = withDatabase(env.adminUrl, name);
  const storage = createObjectStorage({ ...env.config.s3!, bucket: `restore-${randomBytes(4).toString('hex')}` });
  await storage.ensureBucket();
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'appraisal-restored-'));
  return { url, storage, dataDir };
}

async function decidedProject(): Promise<string> {
  const id = (await as('alice').post('/v1/projects', sampleProject())).body.id as string;
  await as('alice').put(`/v1/projects/${id}/technology`, sampleDeclaration());
  await completeDossier(app, tokens.alice!, id);
  await as('alice').post(`/v1/projects/${id}/submit`);
  await as('carol').post(`/v1/projects/${id}/completeness`, { result: 'complete' });
  await as('carol').post(`/v1/projects/${id}/assignments`, { appraisers: ['ann'] });
  const rb = (await as('carol').get('/v1/rulebooks/current')).body;
  const criteria = rb.content.criteria.investment_policy.map((c: { id: string }) => c.id) as string[];
  const docs = (await as('ann').get(`/v1/projects/${id}/documents`)).body.current as Array<{ id: string; sha256: string }>;
  expect(
    (
      await as('ann').post(`/v1/projects/${id}/opinions`, {
        criteria: criteria.map((c) => ({ criterion: c, verdict: 'meets', comment: 'checked' })),
        recommendation: 'approve',
        conditions: [],
        documentsReviewed: docs.map((d) => ({ documentId: d.id, sha256: d.sha256 })),
        conflictOfInterest: { declared: false },
      })
    ).status,
  ).toBe(200);
  expect((await as('paul').post(`/v1/projects/${id}/decision`, { outcome: 'approved', reasons: [{ text: 'Meets every criterion', criterion: criteria[0] }] })).status).toBe(200);
  return id;
}

beforeAll(async () => {
  env = await createTestEnv({ RATE_LIMIT_PER_MINUTE: '100000', RATE_LIMIT_UPLOADS_PER_MINUTE: '100000' });
  app = await env.buildApp();
  for (const [name, roles, org] of [
    ['alice', ['investor'], 'acme'],
    ['carol', ['clerk'], 'one-stop-desk'],
    ['ann', ['appraiser'], 'dost'],
    ['paul', ['approver'], 'ppc'],
    ['audrey', ['auditor'], 'inspectorate'],
  ] as const) {
    tokens[name] = await env.token(name, [...roles], org);
    await as(name).get('/v1/projects');
  }
  await decidedProject();
  await decidedProject();
  // Each decision signs a checkpoint after its answer: wait for both.
  let c = { n: 0 };
  for (let i = 0; i < 200 && c.n < 2; i++) {
    await new Promise((r) => setTimeout(r, 100));
    [c] = (await env.database.db.execute(sql`select count(*)::int as n from audit_checkpoints`)) as unknown as [{ n: number }];
  }
  checkpointsBeforeBackup = c.n;
  expect(checkpointsBeforeBackup).toBeGreaterThan(0);

  // Commands keep running while the backup is taken.
  let running = true;
  let commandsDuring = 0;
  const load = (async () => {
    while (running) {
      const id = (await as('alice').post('/v1/projects', sampleProject())).body.id as string;
      await as('alice').put(`/v1/projects/${id}/technology`, sampleDeclaration());
      commandsDuring += 2;
    }
  })();
  backupDir = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'appraisal-backup-')), 'backup');
  await new Promise((r) => setTimeout(r, 200));
  manifest = await createBackup({ databaseUrl: env.databaseUrl, storage: env.storage, dataDir: env.dataDir, outDir: backupDir });
  await new Promise((r) => setTimeout(r, 200));
  running = false;
  await load;
  expect(commandsDuring).toBeGreaterThan(2);

  const t = await emptyTarget();
  await restoreBackup({ databaseUrl: t.url, storage: t.storage, dataDir: t.dataDir, fromDir: backupDir });
  target = { ...t, database: createDatabase(t.url, { max: 5 }) };
  const config = loadConfig({ DATABASE_URL: t.url, S3_ENDPOINT: env.config.s3!.endpoint, S3_ACCESS_KEY: env.config.s3!.accessKey, S3_SECRET_KEY: env.config.s3!.secretKey, S3_BUCKET: t.storage.bucket, DATA_DIR: t.dataDir, LOG_LEVEL: 'silent' });
  target.app = await buildApp({ config, database: target.database, storage: t.storage });
  cleanups.push(() => target.app!.close(), () => target.database.close());
}, 240_000);

afterAll(async () => {
  for (const c of cleanups) await c().catch(() => {});
  await env.close();
});

describe('backup', () => {
  it('writes a manifest with the sha256 of every file: tables, objects, keys', async () => {
    expect(Object.keys(manifest.files)).toEqual(expect.arrayContaining(['database/audit_events.copy', 'database/projects.copy', 'keys/audit-checkpoint-ed25519.pem', 'keys/jwt-signing-key.jwk.json']));
    expect(manifest.objects.length).toBeGreaterThan(0);
    expect(manifest.objects.every((o) => manifest.files[o.file]?.sha256 === o.sha256)).toBe(true);
    await expect(readVerifiedManifest(backupDir)).resolves.toMatchObject({ format: 'tech-appraisal-backup/1' });
  });

  it('is one consistent snapshot taken while commands ran (every chain head it holds is in its events)', async () => {
    // The restored database is the backup: a project row whose chain head has no event would be torn.
    const torn = await target.database.db.execute(sql`
      select p.id from projects p where p.chain_head is not null
        and not exists (select 1 from audit_events e where e.chain_id = p.id::text and e.row_hash = p.chain_head)
    `);
    expect(torn).toHaveLength(0);
    const projects = manifest.tables.find((t) => t.name === 'projects')!;
    const [live] = (await env.database.db.execute(sql`select count(*)::int as n from projects`)) as unknown as [{ n: number }];
    expect(live.n).toBeGreaterThan(projects.rows); // commands committed after the snapshot are not in it
  });
});

describe('restore into a fresh database and bucket', () => {
  it('verifies the audit log, with the checkpoints signed before the backup', async () => {
    const res = await client(target.app!, tokens.audrey).get('/v1/audit/verify');
    expect(res.status).toBe(200);
    expect(res.body.ok).toBe(true);
    expect(res.body.checkpoints.checked).toBe(checkpointsBeforeBackup);
    expect(res.body.checkpoints.ok).toBe(checkpointsBeforeBackup);
    expect(res.body.problemCount ?? 0).toBe(0);
  });

  it("has every document's bytes matching its sha256", async () => {
    const docs = (await target.database.db.execute(sql`select object_key, sha256 from documents where status <> 'pending'`)) as unknown as Array<{ object_key: string; sha256: string }>;
    expect(docs.length).toBe(manifest.objects.filter((o) => o.source === 'document').length);
    expect(docs.length).toBeGreaterThan(0);
    for (const d of docs) {
      const hash = createHash('sha256');
      for await (const chunk of await target.storage.client.getObject(target.storage.bucket, d.object_key)) hash.update(chunk as Buffer);
      expect(hash.digest('hex'), d.object_key).toBe(d.sha256);
    }
    // And through the API, with the tokens of before (the local signing key was restored).
    const [doc] = (await target.database.db.execute(sql`select id, sha256 from documents where status = 'active' limit 1`)) as unknown as Array<{ id: string; sha256: string }>;
    const res = await target.app!.inject({ method: 'GET', url: `/v1/documents/${doc!.id}/content`, headers: { authorization: `Bearer ${tokens.audrey}` } });
    expect(res.statusCode).toBe(200);
    expect(createHash('sha256').update(res.rawPayload).digest('hex')).toBe(doc!.sha256);
  });

  it('has a coverage report with no violations, and the decided projects in it', async () => {
    const res = await client(target.app!, tokens.audrey).get(`/v1/reports/coverage?from=2000-01-01T00:00:00Z&to=${encodeURIComponent(new Date(Date.now() + 86_400_000).toISOString())}`);
    expect(res.status).toBe(200);
    expect(res.body.violations).toEqual([]);
    expect(res.body.decided).toBe(2);
    expect(res.body.coveragePercent).toBe(100);
  });

  it('continues where the backup ended: new commands append to the restored chains', async () => {
    const created = await client(target.app!, tokens.alice).post('/v1/projects', sampleProject());
    expect(created.status).toBe(201);
    expect((await client(target.app!, tokens.audrey).get('/v1/audit/verify')).body.ok).toBe(true);
  });

  it('refuses a target that is not empty', async () => {
    await expect(restoreBackup({ databaseUrl: target.url, storage: target.storage, dataDir: target.dataDir, fromDir: backupDir })).rejects.toThrow(/not empty/);
    const t = await emptyTarget();
    await t.storage.client.putObject(t.storage.bucket, 'something', Buffer.from('x'));
    await expect(restoreBackup({ databaseUrl: t.url, storage: t.storage, dataDir: t.dataDir, fromDir: backupDir })).rejects.toThrow(/bucket .* is not empty/);
  });

  it('refuses a backup whose files do not match the manifest, before touching the target', async () => {
    const tampered = `${backupDir}-tampered`;
    await fs.cp(backupDir, tampered, { recursive: true });
    const file = path.join(tampered, 'database', 'decisions.copy');
    await fs.appendFile(file, 'x');
    const t = await emptyTarget();
    await expect(restoreBackup({ databaseUrl: t.url, storage: t.storage, dataDir: t.dataDir, fromDir: tampered })).rejects.toThrow(/database\/decisions\.copy does not match the manifest/);
    const check = postgres(t.url, { max: 1, onnotice: () => {} });
    const [n] = await check`select count(*)::int as n from pg_tables where schemaname = 'public'`;
    await check.end();
    expect(n!.n).toBe(0);
  });
});
