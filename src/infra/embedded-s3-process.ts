import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { S3Settings } from '../config';
import type { EmbeddedS3Handle } from './embedded-s3';

// The child is TypeScript under tsx (npm start, vitest) and JavaScript in the build (dist/).
const SELF = fileURLToPath(import.meta.url);
const CHILD = path.join(path.dirname(SELF), `embedded-s3-child${path.extname(SELF)}`);
const CHILD_EXEC_ARGV = CHILD.endsWith('.ts') ? ['--import', 'tsx'] : [];

/**
 * Start the embedded S3 server in a child process. Measured with `npm run bench:upload`: in the
 * service's own process it competed with the upload route for the one event loop (hashing and
 * writing every part twice), which cost about a third of the upload throughput.
 */
export async function startEmbeddedS3Process(opts: { dir: string; port: number; buckets: string[] }): Promise<EmbeddedS3Handle> {
  const child = fork(CHILD, [JSON.stringify(opts)], { execArgv: CHILD_EXEC_ARGV, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const settings = await new Promise<S3Settings>((resolve, reject) => {
    child.once('message', (m: { type?: string; settings?: S3Settings }) => (m?.type === 'ready' && m.settings ? resolve(m.settings) : reject(new Error('unexpected message'))));
    child.once('exit', (code) => reject(new Error(`the embedded S3 server exited during start-up (code ${code})`)));
  });
  return {
    settings,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
