/** `npm run account`: add, list, reset-password, disable/enable, show-demo, against a real database. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../helpers/test-env';
import { createAccountStore } from '../../src/auth/oidc-account-store';
import { ensureDemoAccounts } from '../../src/auth/oidc-demo-accounts';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
let env: TestEnv;

function account(args: string[]) {
  return run(process.execPath, ['--import', 'tsx', 'src/cli/account.ts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, DATABASE_URL: env.databaseUrl, DATA_DIR: env.dataDir, LOG_LEVEL: 'silent' },
  }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

beforeAll(async () => {
  env = await createTestEnv();
});
afterAll(async () => env?.close());

describe('npm run account', () => {
  it('adds an account with a one-time password that signs in once and must be changed', async () => {
    const res = await account(['add', '--sub', 'cli-carol', '--role', 'clerk', '--role', 'appraiser', '--org', 'so-khcn', '--name', 'Carol Trần']);
    expect(res.code, res.stderr).toBe(0);
    const password = /one-time password: (\S+)/.exec(res.stdout)![1]!;
    const store = createAccountStore(env.database.db);
    const signed = await store.signIn('cli-carol', password);
    expect(signed).toMatchObject({ ok: true, account: { roles: ['clerk', 'appraiser'], organisation: 'so-khcn', displayName: 'Carol Trần', mustChangePassword: true } });
    const listed = await account(['list']);
    expect(listed.stdout).toMatch(/^cli-carol\tclerk,appraiser\tso-khcn\tCarol Trần\tone-time password$/m);
  });

  it('refuses bad input with a message and a non-zero exit', async () => {
    expect((await account(['add', '--sub', 'x', '--role', 'wizard'])).stderr).toContain('unknown role "wizard"');
    const noOrg = await account(['add', '--sub', 'cli-inv', '--role', 'investor']);
    expect(noOrg.code).not.toBe(0);
    expect(noOrg.stderr).toContain('ACCOUNT_ORG_REQUIRED');
    const dup = await account(['add', '--sub', 'cli-carol', '--role', 'clerk']);
    expect(dup.stderr).toContain('ACCOUNT_EXISTS');
    expect((await account(['reset-password', '--sub', 'nobody'])).stderr).toContain('ACCOUNT_NOT_FOUND');
  });

  it('resets a password and disables an account', async () => {
    const reset = await account(['reset-password', '--sub', 'cli-carol']);
    const password = /: (\S+)$/.exec(reset.stdout.trim())![1]!;
    const store = createAccountStore(env.database.db);
    expect((await store.signIn('cli-carol', password)).ok).toBe(true);
    expect((await account(['disable', '--sub', 'cli-carol'])).code).toBe(0);
    expect(await store.signIn('cli-carol', password)).toEqual({ ok: false, reason: 'disabled' });
    expect((await account(['enable', '--sub', 'cli-carol'])).code).toBe(0);
    expect((await store.signIn('cli-carol', password)).ok).toBe(true);
  });

  it('shows the demo accounts one-time passwords', async () => {
    const none = await account(['show-demo']);
    expect(none.code).not.toBe(0);
    // Accounts already exist in this database, so first-start creation would be skipped: a fresh database starts as npm start would.
    const fresh = await createTestEnv();
    try {
      const demo = await ensureDemoAccounts(createAccountStore(fresh.database.db), env.dataDir);
      expect(demo.created).toBe(true);
      const shown = await account(['show-demo']);
      expect(shown.code).toBe(0);
      expect(shown.stdout).toMatch(/^demo-investor\tinvestor\t[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$/m);
      expect(shown.stdout).toMatch(/^demo-admin\tadmin\t/m);
    } finally {
      await fresh.close();
    }
  });
});
