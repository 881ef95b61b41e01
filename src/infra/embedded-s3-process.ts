import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { S3Settings } from '../config';
import type { EmbeddedS3Handle } from './embedded-s3';

// The child is TypeScript under tsx (npm start, vitest) and JavaScript in the build (dist/).
const SELF = fileURLToPath(import.meta.url);
const CHILD = path.join(path.dirname(SELF), `embedded-s3-child${path.extname(SELF)}`);
const CHILD_EXEC_ARGV = CHILD.endsWith('.ts') ? ['--import', 'tsx'] : [];

interface ChildOptions {
  dir: string;
  port: number;
  buckets: string[];
  credentials?: { accessKey: string; secretKey: string };
}

function spawnChild(opts: ChildOptions): { child: ChildProcess; ready: Promise<S3Settings>; exited: Promise<void> } {
  const { credentials, ...visible } = opts;
  // The key pair goes through the environment, not argv: argv is readable by every local user.
  const env = credentials ? { ...process.env, EMBEDDED_S3_CREDENTIALS: JSON.stringify(credentials) } : process.env;
  const child = fork(CHILD, [JSON.stringify(visible)], { execArgv: CHILD_EXEC_ARGV, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = new Promise<S3Settings>((resolve, reject) => {
    child.once('message', (m: { type?: string; settings?: S3Settings }) => (m?.type === 'ready' && m.settings ? resolve(m.settings) : reject(new Error('unexpected message'))));
    child.once('exit', (code) => reject(new Error(`the embedded S3 server exited during start-up (code ${code})`)));
  });
  return { child, ready, exited };
}

/**
 * Start the embedded S3 server in a child process. Measured with `npm run bench:upload`: in the
 * service's own process it competed with the upload route for the one event loop (hashing and
 * writing every part twice), which cost about a third of the upload throughput.
 *
 * The child is supervised: if it dies, it is started again on the same port with the same key
 * pair, so the service's storage client works again without a restart of the service (requests
 * in between answer 503 STORAGE_UNAVAILABLE).
 */
export async function startEmbeddedS3Process(
  opts: { dir: string; port: number; buckets: string[] },
  events: { onLog?: (message: string) => void } = {},
): Promise<EmbeddedS3Handle> {
  const log = events.onLog ?? (() => {});
  let current = spawnChild(opts);
  const settings = await current.ready;
  const port = Number(new URL(settings.endpoint).port);
  const credentials = { accessKey: settings.accessKey, secretKey: settings.secretKey };
  let stopping = false;
  let restartTimer: NodeJS.Timeout | undefined;

  const restart = (failures: number) => {
    const delay = Math.min(30_000, 500 * 2 ** failures);
    log(`embedded S3 server is down; starting it again on port ${port} in ${delay} ms`);
    restartTimer = setTimeout(() => {
      if (stopping) return;
      const next = spawnChild({ ...opts, port, credentials });
      current = next;
      next.ready.then(
        () => {
          log(`embedded S3 server restarted on port ${port}`);
          watch(next);
        },
        (err: Error) => {
          log(`embedded S3 server did not restart: ${err.message}`);
          if (!stopping) restart(failures + 1);
        },
      );
    }, delay);
    restartTimer.unref();
  };
  const watch = (run: typeof current) => {
    run.child.once('exit', (code, signal) => {
      if (stopping) return;
      log(`embedded S3 server exited (code ${code}, signal ${signal})`);
      restart(0);
    });
  };
  watch(current);

  return {
    settings,
    async stop() {
      stopping = true;
      if (restartTimer) clearTimeout(restartTimer);
      const { child, exited } = current;
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
