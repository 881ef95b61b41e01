/**
 * A real clamd for the test run (started by test/global-setup.ts): a temporary clamd.conf with a
 * local socket, in the foreground, and only the committed test signatures
 * (test/fixtures/clamav: EICAR and the samples of Debian's clamav-testfiles). No signatures can
 * be downloaded here, and none are needed: the tests check the protocol, the verdicts and what
 * the service does with them.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { clamdVersion } from '../src/infra/clamd-client';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'clamav');
export const CLAMAV_TESTFILES = '/usr/share/clamav-testfiles';
const MISSING = 'run scripts/ensure-system-packages.sh (as root) to install clamav-daemon and clamav-testfiles';

function findClamd(): string {
  for (const candidate of ['/usr/sbin/clamd', '/usr/local/sbin/clamd', '/usr/bin/clamd']) if (existsSync(candidate)) return candidate;
  const which = spawnSync('sh', ['-c', 'command -v clamd'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim()) return which.stdout.trim();
  throw new Error(`clamd is not installed: ${MISSING}`);
}

export interface ClamdHandle {
  socket: string;
  stop(): Promise<void>;
}

export async function startClamdForTests(dir: string): Promise<ClamdHandle> {
  const clamd = findClamd();
  if (!existsSync(CLAMAV_TESTFILES)) throw new Error(`${CLAMAV_TESTFILES} is missing: ${MISSING}`);
  await fs.mkdir(dir, { recursive: true });
  const socket = path.join(dir, 'clamd.sock');
  const conf = path.join(dir, 'clamd.conf');
  await fs.writeFile(
    conf,
    [
      'Foreground yes',
      `LocalSocket ${socket}`,
      `DatabaseDirectory ${FIXTURES}`,
      `TemporaryDirectory ${dir}`,
      `PidFile ${path.join(dir, 'clamd.pid')}`,
      `LogFile ${path.join(dir, 'clamd.log')}`,
      // clamd started as root drops to the clamav user unless told otherwise; the temporary
      // directory and socket belong to whoever runs the tests.
      ...(process.getuid?.() === 0 ? ['User root'] : []),
      'StreamMaxLength 200M',
      'MaxThreads 4',
      'SelfCheck 3600',
      '',
    ].join('\n'),
  );
  // clamd under a tiny shell watchdog: it is stopped when this process goes away, even if the
  // test runner is killed before its teardown (clamd would otherwise run on, orphaned).
  const watchdog =
    `"${clamd}" --foreground -c "${conf}" & c=$!; trap 'kill $c 2>/dev/null; wait $c; exit 0' TERM INT; ` +
    `while kill -0 ${process.pid} 2>/dev/null && kill -0 $c 2>/dev/null; do sleep 1; done; kill $c 2>/dev/null; wait $c`;
  const child: ChildProcess = spawn('/bin/sh', ['-c', watchdog], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (c) => (output += c));
  child.stderr!.on('data', (c) => (output += c));
  let exited: number | null = null;
  child.once('exit', (code) => (exited = code ?? -1));

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited !== null) throw new Error(`clamd exited (${exited}) before it was ready:\n${output.slice(-2000)}`);
    try {
      await clamdVersion({ socket }, 1_000);
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`clamd did not answer on ${socket} within 60 s:\n${output.slice(-2000)}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return {
    socket,
    async stop() {
      if (exited !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(timer);
    },
  };
}
