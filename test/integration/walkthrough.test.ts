/**
 * The README's walk-through is scripts/walkthrough.ts, shown verbatim in the README; this test
 * starts the service the way `npm start` does (embedded Postgres and S3, fresh DATA_DIR), runs
 * `npm run walkthrough` against it over real HTTP, and checks the README still shows the script.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/ports';
import { ROOT, startService, waitReady, type ServiceProcess } from '../helpers/service-process';

const run = promisify(execFile);
let dataDir: string;
let port: number;
let service: ServiceProcess | undefined;

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'walkthrough-'));
  await fs.chmod(dataDir, 0o755);
  port = await freePort();
  service = startService({ DATA_DIR: dataDir, PORT: String(port), EMBEDDED_PG_PORT: String(await freePort()) });
  await Promise.race([
    waitReady(port),
    service.exited.then((code) => Promise.reject(new Error(`service exited (${code}) before it was ready:\n${service!.output()}`))),
  ]);
}, 120_000);

afterAll(async () => {
  if (service && service.child.exitCode === null) {
    service.child.kill('SIGTERM');
    await service.exited;
  }
  await fs.rm(dataDir, { recursive: true, force: true });
}, 60_000);

describe('the README walk-through', () => {
  it('runs against a started service, from registration to a verified decision', { timeout: 180_000 }, async () => {
    const { stdout } = await run('npm', ['run', '--silent', 'walkthrough'], {
      cwd: ROOT,
      env: { ...process.env, DATA_DIR: dataDir, API: `http://127.0.0.1:${port}` },
      timeout: 170_000,
    });
    expect(stdout).toMatch(/^1\. alice registered QN-\d{4}-\d{6} \(draft\) under rulebook \d{4}\.\d+$/m);
    expect(stdout).toMatch(/^3\. submitted; route: review required/m);
    expect(stdout).toMatch(/^4\. carol asked for \w+ again$/m);
    expect(stdout).toMatch(/^5\. carol accepted the dossier \(under_appraisal\) and assigned ann$/m);
    expect(stdout).toMatch(/^7\. paul decided: approved$/m);
    expect(stdout).toMatch(/audit log verified \(full\): true \([1-9]\d* events\); coverage violations: 0$/m);
  });

  it('is shown in the README exactly as the script runs', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const script = readFileSync(path.join(ROOT, 'scripts', 'walkthrough.ts'), 'utf8');
    const block = /<!-- walkthrough:begin -->\n```ts\n([\s\S]*?)```\n<!-- walkthrough:end -->/.exec(readme);
    expect(block, 'README.md has no walk-through block between the walkthrough:begin/end markers').not.toBeNull();
    expect(block![1]).toBe(script);
  });
});
