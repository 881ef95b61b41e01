/**
 * The real entry point as a child process: zero-config start with embedded Postgres and S3,
 * data kept across restarts, recovery after SIGKILL, graceful SIGTERM, and one-line
 * configuration errors.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/ports';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
let dataDir: string;
let port: number;
let pgPort: number;
const children: ChildProcess[] = [];

function startServer(extraEnv: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dataDir, PORT: String(port), EMBEDDED_PG_PORT: String(pgPort), LOG_LEVEL: 'warn', ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  children.push(child);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

async function waitReady(timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (res.status === 200) return;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error('server did not become ready');
    await new Promise((r) => setTimeout(r, 200));
  }
}

function embeddedDb() {
  const password = readFileSync(path.join(dataDir, 'postgres', 'superuser-password'), 'utf8').trim();
  return postgres(`postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${pgPort}/appraisal`, { max: 1, onnotice: () => {} });
}

function postmasterPid(): number | undefined {
  const file = path.join(dataDir, 'postgres', 'pgdata', 'postmaster.pid');
  return existsSync(file) ? Number(readFileSync(file, 'utf8').split('\n')[0]) : undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'appraisal-server-'));
  await fs.chmod(dataDir, 0o755);
  port = await freePort();
  pgPort = await freePort();
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  const pid = postmasterPid();
  if (pid && alive(pid)) process.kill(pid, 'SIGQUIT');
  await new Promise((r) => setTimeout(r, 500));
  await fs.rm(dataDir, { recursive: true, force: true });
});

describe('npm start with no configuration', () => {
  it('serves, keeps data across SIGKILL and restart, and stops cleanly on SIGTERM', { timeout: 180_000 }, async () => {
    const first = startServer();
    await waitReady();
    expect(existsSync(path.join(dataDir, 'keys', 'jwt-signing-key.jwk.json'))).toBe(true);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);

    // Create a project through the API with a token from the local key, as a user would.
    const token = (await run(process.execPath, ['--import', 'tsx', 'src/cli/token.ts', '--sub', 'alice', '--role', 'investor', '--org', 'acme'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, DATA_DIR: dataDir },
    })).stdout.trim();
    const created = await fetch(`http://127.0.0.1:${port}/v1/projects`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'kept across restarts', sector: 'cement', location: 'Hạ Long', capitalVnd: 1_000_000_000, stage: 'investment_policy',
        group: 'B', capitalSource: 'private', decidingLevel: 'provincial_peoples_committee', environmentalRisk: false,
      }),
    });
    expect(created.status).toBe(201);
    const { code } = (await created.json()) as { code: string };

    // A second start on the same DATA_DIR: refused at once, naming the folder and the holder's
    // pid, and the first instance's database is left alone.
    const postmasterBefore = postmasterPid();
    const twin = startServer();
    expect(await twin.exited).toBe(1);
    expect(twin.output()).toBe(
      `tech-appraisal: cannot start: DATA_DIR ${dataDir} is in use by another running instance (pid ${first.child.pid}); stop it first, or give this one its own DATA_DIR\n`,
    );
    expect(postmasterPid()).toBe(postmasterBefore);
    expect(alive(postmasterBefore!)).toBe(true);

    // Another DATA_DIR but the same PORT: refused before Postgres is started (nothing created).
    const otherDir = await fs.mkdtemp(path.join(os.tmpdir(), 'appraisal-server-other-'));
    try {
      const other = startServer({ DATA_DIR: otherDir, EMBEDDED_PG_PORT: String(await freePort()) });
      expect(await other.exited).toBe(1);
      expect(other.output()).toBe(`tech-appraisal: cannot start: 127.0.0.1:${port} is already in use (PORT); stop what listens there or set PORT\n`);
      expect(await fs.readdir(otherDir)).toEqual([]);
    } finally {
      await fs.rm(otherDir, { recursive: true, force: true });
    }

    // Another DATA_DIR and PORT but the embedded Postgres port of the first: refused before a
    // cluster is initialised.
    const thirdDir = await fs.mkdtemp(path.join(os.tmpdir(), 'appraisal-server-third-'));
    try {
      const third = startServer({ DATA_DIR: thirdDir, PORT: String(await freePort()) });
      expect(await third.exited).toBe(1);
      expect(third.output()).toBe(
        `tech-appraisal: cannot start: 127.0.0.1:${pgPort} is already in use (EMBEDDED_PG_PORT); stop what listens there or set EMBEDDED_PG_PORT\n`,
      );
      expect(existsSync(path.join(thirdDir, 'postgres'))).toBe(false);
    } finally {
      await fs.rm(thirdDir, { recursive: true, force: true });
    }

    // The first instance is unharmed: ready, and it still serves a command.
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    const again = await fetch(`http://127.0.0.1:${port}/v1/projects`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'after the refused twin', sector: 'cement', location: 'Hạ Long', capitalVnd: 1_000_000_000, stage: 'investment_policy',
        group: 'B', capitalSource: 'private', decidingLevel: 'provincial_peoples_committee', environmentalRisk: false,
      }),
    });
    expect(again.status).toBe(201);

    // SIGKILL: no shutdown code runs; the postmaster is orphaned and keeps running.
    const orphan = postmasterPid();
    first.child.kill('SIGKILL');
    await first.exited;
    expect(orphan && alive(orphan)).toBe(true);

    const second = startServer();
    await waitReady();
    const sql = embeddedDb();
    const rows = await sql`select name from projects where code = ${code}`;
    await sql.end();
    expect(rows).toEqual([{ name: 'kept across restarts' }]);
    const pid = postmasterPid()!;
    expect(pid).not.toBe(orphan);

    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(alive(pid)).toBe(false);
    expect(postmasterPid()).toBeUndefined();
  });

  it.each([
    [{ PORT: 'abc' }, /^tech-appraisal: cannot start: PORT: must be a port number \(0-65535\), got "abc"\n$/],
    [{ DATABASE_URL: 'postgres://app:secret@127.0.0.1:1/appraisal' }, /^tech-appraisal: cannot start: cannot connect to DATABASE_URL postgres:\/\/app:\*\*\*@127\.0\.0\.1:1\/appraisal: ECONNREFUSED[^\n]*\n$/],
    [{ S3_ENDPOINT: 'http://127.0.0.1:1', S3_ACCESS_KEY: 'a' }, /^tech-appraisal: cannot start: S3_SECRET_KEY: is required when S3_ENDPOINT is set\n$/],
  ])('refuses bad configuration %j with one line and exit code 1', { timeout: 60_000 }, async (env, message) => {
    const run = startServer(env);
    expect(await run.exited).toBe(1);
    expect(run.output()).toMatch(message);
  });
});
