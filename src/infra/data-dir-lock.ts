/**
 * An exclusive, process-lifetime lock on a folder (DATA_DIR, or the embedded Postgres cluster
 * inside it), so that a second instance never touches the first one's database, objects or keys.
 *
 * Why a listening Unix socket and not a lock file: the kernel owns it. On Linux it lives in the
 * abstract namespace (no file at all), only one process can bind a name, and the kernel releases
 * it the moment its holder dies, SIGKILL included, so there is no stale lock to detect, age out or
 * race over (a pid file needs a pid-reuse check and a takeover that two starters can race; an
 * mtime lock such as proper-lockfile needs a refresh timer and blocks the next start until it
 * ages). The holder answers a connection with its pid, which is how the refusal names it.
 * Elsewhere (no abstract namespace) the socket is a file in the folder, and a socket file nobody
 * answers on is a leftover of a killed holder and is replaced.
 */
import { createHash } from 'node:crypto';
import { existsSync, realpathSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';

export interface DataDirLock {
  dir: string;
  release(): Promise<void>;
}

export class DataDirLockedError extends Error {
  override name = 'DataDirLockedError';
  constructor(
    readonly dir: string,
    readonly holderPid: number | undefined,
  ) {
    super(
      `${dir} is in use by another running instance (${holderPid ? `pid ${holderPid}` : 'pid unknown'}); ` +
        'stop it first, or give this one its own DATA_DIR',
    );
  }
}

const ABSTRACT = process.platform === 'linux';

/** The folder's canonical path: the same folder reached through a symlink is the same lock. */
function canonical(dir: string): string {
  const abs = path.resolve(dir);
  try {
    return realpathSync(abs);
  } catch {
    return abs;
  }
}

function socketAddress(dir: string, purpose: string): string {
  const digest = createHash('sha256').update(`${purpose}\0${dir}`).digest('hex').slice(0, 40);
  return ABSTRACT ? `\0tech-appraisal-${purpose}-${digest}` : path.join(dir, `.${purpose}.lock.sock`);
}

/** Ask the holder who it is; it answers `{"pid":…}` and hangs up. */
function askHolder(address: string, timeoutMs = 2_000): Promise<{ pid?: number } | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect(address);
    let data = '';
    const done = (v: { pid?: number } | undefined) => {
      socket.destroy();
      resolve(v);
    };
    socket.setTimeout(timeoutMs, () => done({}));
    socket.on('data', (d) => (data += d));
    socket.on('end', () => {
      try {
        done(JSON.parse(data) as { pid?: number });
      } catch {
        done({});
      }
    });
    socket.on('error', () => done(undefined)); // nobody listens: no live holder
  });
}

function listen(address: string): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((c) => c.end(JSON.stringify({ pid: process.pid })));
    server.once('error', reject);
    server.listen(address, () => {
      server.removeListener('error', reject);
      server.on('error', () => {}); // a failed client connection must not become an uncaught error
      server.unref(); // holding the lock never keeps the process alive on its own
      resolve(server);
    });
  });
}

/**
 * Take the lock on `dir` for this process, or throw DataDirLockedError naming the holder's pid.
 * Touches nothing on Linux; elsewhere creates `dir` to hold the socket file.
 */
export async function acquireDataDirLock(dir: string, purpose = 'data-dir'): Promise<DataDirLock> {
  const where = canonical(dir);
  const address = socketAddress(where, purpose);
  if (!ABSTRACT) await fs.mkdir(where, { recursive: true });
  for (let attempt = 0; ; attempt++) {
    try {
      const server = await listen(address);
      let released = false;
      return {
        dir: where,
        async release() {
          if (released) return;
          released = true;
          await new Promise<void>((r) => server.close(() => r()));
          if (!ABSTRACT) await fs.rm(address, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      const holder = await askHolder(address);
      if (holder) throw new DataDirLockedError(where, holder.pid);
      // Nobody answers: the holder has just exited (Linux), or it was killed and left its socket
      // file behind (elsewhere). Try once more.
      if (attempt > 0) throw new DataDirLockedError(where, undefined);
      if (!ABSTRACT && existsSync(address)) await fs.rm(address, { force: true });
    }
  }
}
