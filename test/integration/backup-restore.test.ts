/**
 * Backups that restore (issue #13): commands run in a loop from several HTTP clients while
 * `npm run backup` takes a backup; the backup is restored with `npm run restore` into a fresh
 * database and a fresh bucket; on the restored copy the audit log verifies (full walk) against the
 * checkpoints signed before the backup, every document's bytes match their sha256, the coverage
 * report has no violations and every table's count equals the manifest. A second restore into
 * the now non-empty target is refused with exit code 3.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createTestEnv, withDatabase, type TestEnv } from '../helpers/test-env';
import { ROOT } from '../helpers/service-process';
import { loadConfig } from '../../src/config';
import { buildApp } from '../../src/app';
import { createDatabase, type Database } from '../../src/infra/database';
import { createObjectStorage } from '../../src/infra/object-storage';
import type { BackupManifest } from '../../src/modules/backup/backup-manifest';

const run = promisify(execFile);

let env: TestEnv;
let app: FastifyInstance;
let api: string;
let tokens: Record<'alice' | 'carol' | 'ann' | 'paul' | 'audrey', string>;
const work: string[] = [];

beforeAll(async () => {
  env = await createTestEnv({ AUDIT_CHECKPOINT_INTERVAL_SECONDS: '1', RATE_LIMIT_PER_MINUTE: '100000', RATE_LIMIT_UPLOADS_PER_MINUTE: '100000' });
  app = await env.buildApp();
  await app.listen({ host: '127.0.0.1', port: 0 });
  api = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  app.backgroundJobs.start(); // outbox, periodic checkpoints: what a running service does
  tokens = {
    alice: await env.token('alice', ['investor'], 'acme'),
    carol: await env.token('carol', ['clerk']),
    ann: await env.token('ann', ['appraiser'], 'dost'),
    paul: await env.token('paul', ['approver'], 'ppc'),
    audrey: await env.token('audrey', ['auditor']),
  };
}, 120_000);

afterAll(async () => {
  await app?.close();
  await env?.close();
  for (const d of work) await fs.rm(d, { recursive: true, force: true });
});

async function call(who: string, method: string, url: string, body?: unknown): Promise<any> {
  const res = await fetch(`${api}${url}`, {
    method,
    headers: { authorization: `Bearer ${who}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const answer = res.headers.get('content-type')?.includes('json') ? await res.json() : await res.text();
  if (!res.ok) throw new Error(`${method} ${url} → ${res.status} ${JSON.stringify(answer)}`);
  return answer;
}

async function upload(who: string, id: string, component: string, n: number): Promise<void> {
  const form = new FormData();
  form.append('component', component);
  const text = `%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n% ${component} ${n} ${Math.random()}\ntrailer << /Root 1 0 R >>\n%%EOF\n`;
  form.append('file', new Blob([text], { type: 'application/pdf' }), `${component}.pdf`);
  const res = await fetch(`${api}/v1/projects/${id}/documents`, { method: 'POST', headers: { authorization: `Bearer ${who}` }, body: form });
  if (res.status !== 201) throw new Error(`upload ${component} → ${res.status} ${await res.text()}`);
}

/** One project from registration to decision (the README walk-through, shortened). */
async function walk(n: number): Promise<void> {
  const { alice, carol, ann, paul } = tokens;
  const project = await call(alice, 'POST', '/v1/projects', {
    name: `Nhà máy ${n}`,
    sector: 'cement',
    location: 'Hoành Bồ, Quảng Ninh',
    capitalVnd: 2_500_000_000_000,
    stage: 'investment_policy',
    group: 'B',
    capitalSource: 'private',
    decidingLevel: 'provincial_peoples_committee',
    environmentalGroup: 'II',
  });
  const id = project.id as string;
  await call(alice, 'PUT', `/v1/projects/${id}/technology`, {
    technologies: [{ name: 'Dry-process rotary kiln with five-stage preheater', origin: 'Germany' }],
    machinery: [{ name: 'Vertical roller mill', hsCode: '8474.20', manufactureYear: 2025, condition: 'new', standards: ['QCVN 05:2023/BTNMT'] }],
  });
  const { checklist } = await call(alice, 'GET', `/v1/projects/${id}/documents`);
  for (const component of checklist.missing) await upload(alice, id, component, n);
  await call(alice, 'POST', `/v1/projects/${id}/submit`);
  await call(ann, 'GET', '/v1/projects');
  await call(carol, 'POST', `/v1/projects/${id}/completeness`, { result: 'complete' });
  await call(carol, 'POST', `/v1/projects/${id}/assignments`, { appraisers: ['ann'], mode: 'opinion' });
  const view = await call(ann, 'GET', `/v1/projects/${id}`);
  const rulebook = await call(ann, 'GET', `/v1/rulebooks/${view.rulebookVersion.version}`);
  const documents = await call(ann, 'GET', `/v1/projects/${id}/documents`);
  await call(ann, 'POST', `/v1/projects/${id}/opinions`, {
    criteria: rulebook.content.criteria.investment_policy.map((c: { id: string }) => ({ criterion: c.id, verdict: 'meets', comment: 'Checked' })),
    recommendation: 'approve',
    conditions: [],
    documentsReviewed: documents.current.map((d: { id: string; sha256: string }) => ({ documentId: d.id, sha256: d.sha256 })),
    conflictOfInterest: { declared: false },
  });
  await call(paul, 'POST', `/v1/projects/${id}/decision`, { outcome: 'approved', reasons: [{ text: 'Meets every criterion of Art. 19' }] });
}

function cliEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'silent', ...extra };
}

const sourceEnv = () =>
  cliEnv({ DATABASE_URL: env.databaseUrl, S3_ENDPOINT: env.config.s3!.endpoint, S3_ACCESS_KEY: env.config.s3!.accessKey, S3_SECRET_KEY: env.config.s3!.secretKey, S3_BUCKET: env.config.s3Bucket, DATA_DIR: env.dataDir });

describe('npm run backup while commands run, npm run restore into a fresh database and bucket', () => {
  it('restores a copy whose log verifies against the checkpoints, whose bytes match and whose counts equal the manifest', async () => {
    // Some history and a signed checkpoint before the load starts.
    await walk(0);
    await app.inject({ method: 'GET', url: '/healthz' });

    // Several clients walk projects through the workflow, over HTTP, until told to stop.
    let stop = false;
    const walked: number[] = [];
    const failures: string[] = [];
    const clients = [1, 2, 3].map(async (c) => {
      for (let i = 0; !stop; i++) {
        const ok = await walk(c * 1000 + i).then(
          () => walked.push(c),
          (err: Error) => void failures.push(err.message),
        );
        if (ok === undefined) break;
      }
    });
    await new Promise((r) => setTimeout(r, 3_000)); // let them get going

    const backupDir = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'appraisal-backup-')), 'b1');
    work.push(path.dirname(backupDir));
    const walkedBefore = walked.length;
    const backup = await run(process.execPath, ['--import', 'tsx', 'src/cli/backup.ts', backupDir], { cwd: ROOT, env: sourceEnv() });
    const walkedDuring = walked.length - walkedBefore;
    await new Promise((r) => setTimeout(r, 1_000));
    stop = true;
    await Promise.all(clients);
    expect(failures).toEqual([]);
    expect(backup.stdout).toMatch(/^backup written to /);

    const manifest = JSON.parse(await fs.readFile(path.join(backupDir, 'manifest.json'), 'utf8')) as BackupManifest;
    console.log(`backup: ${backup.stdout.trim()} — walks finished while it ran: ${walkedDuring}; total walks ${walked.length + 1}; load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    expect(manifest.lastCheckpoint).not.toBeNull();
    expect(manifest.counts.projects).toBeGreaterThanOrEqual(1);
    expect(manifest.objects.count).toBe(manifest.counts.documents + manifest.counts.slips - (await pendingDocumentsIn(backupDir)));
    expect(manifest.keys.map((k) => k.role)).toContain('checkpoint');

    // The source kept changing after the snapshot: the backup is of one instant, not of "the end".
    const [{ n: sourceEvents }] = (await env.database.sql`select count(*)::int as n from audit_events`) as unknown as [{ n: number }];
    expect(sourceEvents).toBeGreaterThan(manifest.counts.auditEvents);

    // A fresh database (not the migrated template: empty), a fresh bucket, a fresh DATA_DIR.
    const admin = postgres(inject('pgAdminUrl'), { max: 1, onnotice: () => {} });
    const dbName = `${inject('databasePrefix')}restored_${Date.now().toString(36)}`;
    await admin.unsafe(`create database "${dbName}"`);
    await admin.end();
    const restoredUrl = withDatabase(inject('pgAdminUrl'), dbName);
    const restoredDataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'appraisal-restored-'));
    work.push(restoredDataDir);
    const bucket = `restored-${Date.now().toString(36)}`;
    const targetEnv = cliEnv({ DATABASE_URL: restoredUrl, S3_ENDPOINT: env.config.s3!.endpoint, S3_ACCESS_KEY: env.config.s3!.accessKey, S3_SECRET_KEY: env.config.s3!.secretKey, S3_BUCKET: bucket, DATA_DIR: restoredDataDir });
    const restored = await run(process.execPath, ['--import', 'tsx', 'src/cli/restore.ts', backupDir], { cwd: ROOT, env: targetEnv });
    expect(restored.stdout).toMatch(/^restored .* counts equal the manifest/);

    const config = loadConfig({ ...Object.fromEntries(Object.entries(targetEnv).filter(([, v]) => v !== undefined)) as Record<string, string> });
    const database: Database = createDatabase(restoredUrl, { max: 4 });
    const storage = createObjectStorage(config.s3!);
    const copy = await buildApp({ config, database, storage });
    try {
      // Counts equal the manifest, table by table.
      for (const t of manifest.database.tables) {
        const [{ n }] = (await database.sql.unsafe(`select count(*)::int as n from "${t.table}"`)) as unknown as [{ n: number }];
        expect({ table: t.table, rows: n }).toEqual({ table: t.table, rows: t.rows });
      }
      const auditor = { authorization: `Bearer ${tokens.audrey}` }; // the restored local key verifies the old tokens

      // The whole log verifies against the checkpoints signed before the backup.
      const verify = (await copy.inject({ method: 'GET', url: '/v1/audit/verify?full=true', headers: auditor })).json();
      expect(verify).toMatchObject({ ok: true, mode: 'full', problemCount: 0, checked: manifest.counts.auditEvents });
      expect(verify.checkpoints.checked).toBe(manifest.counts.checkpoints);
      expect(verify.checkpoints.ok).toBe(manifest.counts.checkpoints);
      expect(verify.checkpoints.latest).toMatchObject({ id: manifest.lastCheckpoint!.id, headsDigest: manifest.lastCheckpoint!.root });

      // Every document's (and slip's) bytes in the new bucket match their sha256.
      const rows = await database.sql<{ key: string; sha256: string }[]>`
        select object_key as key, sha256 from documents where status <> 'pending' union all select object_key, sha256 from slips`;
      expect(rows.length).toBe(manifest.objects.count);
      for (const r of rows) {
        const hash = createHash('sha256');
        for await (const chunk of await storage.client.getObject(bucket, r.key)) hash.update(chunk as Buffer);
        expect({ key: r.key, sha256: hash.digest('hex') }).toEqual({ key: r.key, sha256: r.sha256 });
      }

      // No coverage violations.
      const coverage = (await copy.inject({ method: 'GET', url: '/v1/reports/coverage', headers: auditor })).json();
      expect(coverage.violations).toEqual([]);
      expect(coverage.approved).toBeGreaterThanOrEqual(1);

      // The restored copy takes commands: sequences were reset past the restored rows.
      const created = await copy.inject({
        method: 'POST',
        url: '/v1/projects',
        headers: { authorization: `Bearer ${tokens.alice}`, 'content-type': 'application/json' },
        payload: JSON.stringify({ name: 'Sau khôi phục', sector: 'cement', location: 'Hạ Long', capitalVnd: 1_000_000_000, stage: 'investment_policy', group: 'B', capitalSource: 'private', decidingLevel: 'provincial_peoples_committee', environmentalGroup: 'II' }),
      });
      expect(created.statusCode).toBe(201);
      const again = (await copy.inject({ method: 'GET', url: '/v1/audit/verify?full=true', headers: auditor })).json();
      expect(again).toMatchObject({ ok: true, checked: manifest.counts.auditEvents + 1 });
    } finally {
      await copy.close();
      await database.close();
    }

    // A second restore into the same (now non-empty) database is refused before anything is written.
    const refused = await run(process.execPath, ['--import', 'tsx', 'src/cli/restore.ts', backupDir], { cwd: ROOT, env: { ...targetEnv, DATA_DIR: await tmpDir() } }).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(refused?.code).toBe(3);
    expect(refused?.stderr).toMatch(/restore: the target database is not empty \(rows in .*\): restore only into a new, empty database/);

    // An empty database but the restored (non-empty) bucket: refused too, and the database stays empty.
    const admin2 = postgres(inject('pgAdminUrl'), { max: 1, onnotice: () => {} });
    const emptyDb = `${inject('databasePrefix')}empty_${Date.now().toString(36)}`;
    await admin2.unsafe(`create database "${emptyDb}"`);
    await admin2.end();
    const refusedBucket = await run(process.execPath, ['--import', 'tsx', 'src/cli/restore.ts', backupDir], {
      cwd: ROOT,
      env: { ...targetEnv, DATABASE_URL: withDatabase(inject('pgAdminUrl'), emptyDb), DATA_DIR: await tmpDir() },
    }).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(refusedBucket?.code).toBe(3);
    expect(refusedBucket?.stderr).toMatch(new RegExp(`restore: the target bucket "${bucket}" is not empty \\(it holds .+\\): restore only into a new, empty bucket`));
    const check = postgres(withDatabase(inject('pgAdminUrl'), emptyDb), { max: 1, onnotice: () => {} });
    const [{ n: tablesThere }] = (await check`select count(*)::int as n from pg_tables where schemaname = 'public'`) as unknown as [{ n: number }];
    await check.end();
    expect(tablesThere).toBe(0); // refused before the migrations ran
  }, 600_000);
});

async function tmpDir(): Promise<string> {
  const d = await fs.mkdtemp(path.join(os.tmpdir(), 'appraisal-restored-'));
  work.push(d);
  return d;
}

async function pendingDocumentsIn(dir: string): Promise<number> {
  const text = await fs.readFile(path.join(dir, 'tables', 'documents.ndjson'), 'utf8');
  return text.split('\n').filter(Boolean).filter((l) => (JSON.parse(l) as { status: string }).status === 'pending').length;
}
