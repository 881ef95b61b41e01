/**
 * Two real service processes on one database and one bucket, both connected through a real
 * PgBouncer in transaction mode (Debian's pgbouncer, installed by scripts/ensure-system-packages.sh),
 * with DATABASE_PREPARE=false and one-second checkpoint intervals:
 *   - background jobs run once: every outbox row is delivered once (one attempt, one notification),
 *     no two checkpoints cover the same log state, and with nothing new no checkpoint is made;
 *   - commands sent alternately to both on the same project serialise: concurrent conflicting
 *     ones give one 2xx and 409/412 for the rest, revisions strictly increase;
 *   - the whole audit log verifies afterwards.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createTestEnv, type TestEnv } from '../helpers/test-env';
import { freePort } from '../helpers/ports';
import { mintToken, startService, waitReady, type ServiceProcess } from '../helpers/service-process';

const PGBOUNCER = '/usr/sbin/pgbouncer';

let env: TestEnv;
let bouncer: ChildProcess | undefined;
let bouncerLog = '';
const services: ServiceProcess[] = [];
const ports: number[] = [];
const dirs: string[] = [];
let tokens: Record<string, string>;

async function startPgBouncer(dbName: string): Promise<string> {
  const admin = new URL(inject('pgAdminUrl'));
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'appraisal-pgbouncer-'));
  dirs.push(dir);
  const port = await freePort();
  const root = process.getuid?.() === 0;
  await fs.writeFile(path.join(dir, 'userlist.txt'), `"appraisal" "bouncer-secret"\n`);
  await fs.writeFile(
    path.join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `appraisal = host=${admin.hostname} port=${admin.port} dbname=${dbName} user=${decodeURIComponent(admin.username)} password=${decodeURIComponent(admin.password)}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = plain',
      `auth_file = ${path.join(dir, 'userlist.txt')}`,
      'pool_mode = transaction',
      'max_client_conn = 200',
      'default_pool_size = 8',
      `logfile = ${path.join(dir, 'pgbouncer.log')}`,
      `pidfile = ${path.join(dir, 'pgbouncer.pid')}`,
      // pgbouncer refuses to run as root: it drops to the Debian package's postgres user.
      ...(root ? ['user = postgres'] : []),
      '',
    ].join('\n'),
  );
  if (root) execFileSync('chown', ['-R', 'postgres', dir]);
  bouncer = spawn(PGBOUNCER, [path.join(dir, 'pgbouncer.ini')], { stdio: ['ignore', 'pipe', 'pipe'] });
  bouncer.stdout!.on('data', (d) => (bouncerLog += d));
  bouncer.stderr!.on('data', (d) => (bouncerLog += d));
  const url = `postgres://appraisal:bouncer-secret@127.0.0.1:${port}/appraisal`;
  for (let i = 0; ; i++) {
    const probe = postgres(url, { max: 1, prepare: false, connect_timeout: 2, onnotice: () => {} });
    const ok = await probe`select 1`.then(() => true, () => false);
    await probe.end({ timeout: 1 });
    if (ok) return url;
    if (i > 50) throw new Error(`pgbouncer did not start: ${bouncerLog}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  await fs.access(PGBOUNCER).catch(() => {
    throw new Error(`${PGBOUNCER} is missing: run scripts/ensure-system-packages.sh (it installs Debian's pgbouncer)`);
  });
  env = await createTestEnv();
  const dbName = new URL(env.databaseUrl).pathname.slice(1);
  const url = await startPgBouncer(dbName);
  const keyDir = await fs.mkdtemp(path.join(os.tmpdir(), 'appraisal-shared-keys-'));
  dirs.push(keyDir);
  const common = {
    HOST: '127.0.0.1',
    DATABASE_URL: url,
    DATABASE_PREPARE: 'false',
    DATABASE_POOL_MAX: '6',
    // Migrations take a session-level advisory lock: run them on a direct connection, not through the pooler.
    MIGRATE_ON_START: 'false',
    S3_ENDPOINT: env.config.s3!.endpoint,
    S3_ACCESS_KEY: env.config.s3!.accessKey,
    S3_SECRET_KEY: env.config.s3!.secretKey,
    S3_BUCKET: env.config.s3Bucket,
    AUDIT_CHECKPOINT_INTERVAL_SECONDS: '1',
    AUDIT_CHECKPOINT_KEY_FILE: path.join(keyDir, 'audit-checkpoint-ed25519.pem'),
    SESSION_KEY: randomBytes(32).toString('base64'),
    VIRUS_SCAN: 'off',
    RATE_LIMIT_PER_MINUTE: '100000',
    LOG_LEVEL: 'warn',
  };
  // The first instance makes the keys; the second starts with a copy (replicas share their keys).
  for (let i = 0; i < 2; i++) {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), `appraisal-instance-${i}-`));
    dirs.push(dataDir);
    if (i === 1) await fs.cp(path.join(dirs.at(-2)!, 'keys'), path.join(dataDir, 'keys'), { recursive: true });
    const port = await freePort();
    ports.push(port);
    services.push(startService({ ...common, DATA_DIR: dataDir, PORT: String(port) }));
    await waitReady(port).catch((err) => {
      throw new Error(`${(err as Error).message}: ${services[i]!.output()}`);
    });
  }
  const dataDir = dirs.at(-2)!;
  tokens = {
    alice: await mintToken(dataDir, ['--sub', 'alice', '--role', 'investor', '--org', 'acme']),
    carol: await mintToken(dataDir, ['--sub', 'carol', '--role', 'clerk']),
    audrey: await mintToken(dataDir, ['--sub', 'audrey', '--role', 'auditor']),
  };
}, 240_000);

afterAll(async () => {
  for (const s of services) {
    s.child.kill('SIGTERM');
    await s.exited;
  }
  bouncer?.kill('SIGTERM');
  await env?.close();
  for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
});

async function call(i: number, who: string, method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`http://127.0.0.1:${ports[i % 2]}${url}`, {
    method,
    headers: { authorization: `Bearer ${tokens[who]}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

async function upload(i: number, id: string, component: string) {
  const form = new FormData();
  form.append('component', component);
  form.append('file', new Blob([`%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n% ${component}\ntrailer << /Root 1 0 R >>\n%%EOF\n`], { type: 'application/pdf' }), `${component}.pdf`);
  const res = await fetch(`http://127.0.0.1:${ports[i % 2]}/v1/projects/${id}/documents`, { method: 'POST', headers: { authorization: `Bearer ${tokens.alice}` }, body: form });
  expect(res.status).toBe(201);
}

const project = (n: number) => ({
  name: `Dự án ${n}`,
  sector: 'cement',
  location: 'Hạ Long',
  capitalVnd: 1_000_000_000,
  stage: 'investment_policy',
  group: 'B',
  capitalSource: 'private',
  decidingLevel: 'provincial_peoples_committee',
  environmentalGroup: 'II',
});

describe('two service processes on one database (through PgBouncer, transaction mode) and one bucket', () => {
  it('serialises commands sent to both, runs background jobs once, and the log verifies', async () => {
    const sql = postgres(env.databaseUrl, { max: 2, onnotice: () => {} }); // direct, to count rows
    try {
      // Projects walked to submission, each step sent to the other instance than the one before.
      const ids: string[] = [];
      for (let n = 0; n < 4; n++) {
        const created = await call(n, 'alice', 'POST', '/v1/projects', project(n));
        expect(created.status).toBe(201);
        const id = created.body.id as string;
        ids.push(id);
        expect((await call(n + 1, 'alice', 'PUT', `/v1/projects/${id}/technology`, { technologies: [{ name: 'Rotary kiln', origin: 'Germany' }], machinery: [{ name: 'Roller mill', hsCode: '8474.20', manufactureYear: 2025, condition: 'new', standards: ['QCVN 05:2023/BTNMT'] }] })).status).toBe(200);
        const docs = await call(n, 'alice', 'GET', `/v1/projects/${id}/documents`);
        let k = 0;
        for (const component of docs.body.checklist.missing as string[]) await upload(n + k++, id, component);
      }

      // Conflicting commands at once, half to each instance: submit the same project 10 times.
      for (const id of ids) {
        const { headers } = await call(0, 'alice', 'GET', `/v1/projects/${id}`);
        const etag = headers.get('etag')!;
        const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => call(i, 'alice', 'POST', `/v1/projects/${id}/submit`, {}, etag ? { 'if-match': etag } : {})));
        const statuses = answers.map((a) => a.status);
        expect(statuses.filter((s) => s >= 200 && s < 300)).toHaveLength(1);
        expect(statuses.filter((s) => s === 409 || s === 412)).toHaveLength(9);
      }
      // Then the clerk, alternately on both.
      for (const [n, id] of ids.entries()) {
        const r = await call(n, 'carol', 'POST', `/v1/projects/${id}/completeness`, { result: 'complete' });
        expect(r.status).toBe(200);
      }

      // Revisions strictly increase on every project from one state change to the next (events of
      // one command share its revision), whichever instance wrote them.
      const revs = await sql<{ project_id: string; revision: number; changed: boolean }[]>`
        select project_id, revision, (from_state is distinct from to_state and to_state is not null) as changed
        from audit_events where project_id = any(${ids}) and revision is not null order by project_id, seq`;
      for (const id of ids) {
        const all = revs.filter((x) => x.project_id === id);
        for (let i = 1; i < all.length; i++) expect(all[i]!.revision).toBeGreaterThanOrEqual(all[i - 1]!.revision);
        const changes = all.filter((x) => x.changed).map((x) => x.revision);
        expect(changes.length).toBeGreaterThanOrEqual(2); // submitted, then accepted complete
        for (let i = 1; i < changes.length; i++) expect(changes[i]!).toBeGreaterThan(changes[i - 1]!);
      }

      // Background jobs: let both instances' outbox and checkpoint timers run over the same rows.
      await new Promise((r) => setTimeout(r, 4_000));
      const [outbox] = await sql<{ total: number; processed: number; once: number; notes: number }[]>`
        select count(*)::int as total, count(processed_at)::int as processed, count(*) filter (where attempts = 1)::int as once,
          (select count(*)::int from notifications) as notes from outbox`;
      expect(outbox!.total).toBeGreaterThan(0);
      expect(outbox).toEqual({ total: outbox!.total, processed: outbox!.total, once: outbox!.total, notes: outbox!.total });

      const cps = await sql<{ id: number; seq_high_water: number; reason: string }[]>`select id::int, seq_high_water::int, reason from audit_checkpoints order by id`;
      expect(cps.length).toBeGreaterThan(0);
      // No two checkpoints of the same log state (two instances ticking each second make one, not two).
      expect(new Set(cps.map((c) => c.seq_high_water)).size).toBe(cps.length);
      const [{ head }] = (await sql`select max(seq)::int as head from audit_events`) as unknown as [{ head: number }];
      expect(cps.at(-1)!.seq_high_water).toBe(head);
      // Nothing new: several intervals pass on both instances without another checkpoint.
      await new Promise((r) => setTimeout(r, 3_000));
      const [{ n: after }] = (await sql`select count(*)::int as n from audit_checkpoints`) as unknown as [{ n: number }];
      expect(after).toBe(cps.length);

      // The whole log verifies, asked of either instance.
      for (const i of [0, 1]) {
        const v = await call(i, 'audrey', 'GET', '/v1/audit/verify?full=true');
        expect(v.status).toBe(200);
        expect(v.body).toMatchObject({ ok: true, mode: 'full', problemCount: 0 });
        expect(v.body.checkpoints.ok).toBe(cps.length);
      }
      // Both instances went through the pooler (its log shows their logins), and neither logged an error.
      const log = await fs.readFile(path.join(dirs[0]!, 'pgbouncer.log'), 'utf8');
      expect(log.match(/login attempt: db=appraisal user=appraisal/g)?.length ?? 0).toBeGreaterThanOrEqual(2);
      for (const s of services) expect(s.output()).not.toMatch(/"level":(50|60)/);
    } finally {
      await sql.end();
    }
  }, 300_000);
});
