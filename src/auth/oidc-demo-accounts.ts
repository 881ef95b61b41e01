import fs from 'node:fs/promises';
import path from 'node:path';
import { DEMO_ACCOUNTS, type AccountStore } from './oidc-account-store';
import { ConflictError } from '../errors';

/** Where the demo accounts' one-time passwords are written (readable by the owner only). */
export function demoPasswordFile(dataDir: string): string {
  return path.join(dataDir, 'demo-accounts.txt');
}

/**
 * On first start (no account at all) creates one demo account per role, each with a one-time
 * password that must be changed at first sign-in, and writes the passwords to a 0600 file
 * under DATA_DIR. Never prints passwords into logs.
 */
export async function ensureDemoAccounts(store: AccountStore, dataDir: string): Promise<{ created: boolean; subs: string[]; file: string }> {
  const file = demoPasswordFile(dataDir);
  const subs = DEMO_ACCOUNTS.map((a) => a.sub);
  if ((await store.count()) > 0) return { created: false, subs, file };
  const lines = ['# One-time passwords of the demo accounts (each must be changed at first sign-in).', '# sign-in name\trole\tone-time password'];
  for (const account of DEMO_ACCOUNTS) {
    try {
      const { password } = await store.add(account);
      lines.push(`${account.sub}\t${account.roles.join(',')}\t${password}`);
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err; // another replica made it first
    }
  }
  await fs.mkdir(dataDir, { recursive: true });
  await fs.writeFile(file, `${lines.join('\n')}\n`, { mode: 0o600 });
  await fs.chmod(file, 0o600);
  return { created: true, subs, file };
}
