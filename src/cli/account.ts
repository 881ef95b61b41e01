/**
 * `npm run --silent account -- <command>`: the embedded OpenID provider's accounts.
 *   add --sub <name> --role <role> [--role …] [--org <organisation>] [--name <display name>]
 *   list
 *   reset-password --sub <name>
 *   disable --sub <name>   /   enable --sub <name>
 *   show-demo              (the demo accounts' one-time passwords, from DATA_DIR)
 * A new or reset account gets a one-time password, printed once, to be changed at first sign-in.
 * Uses DATABASE_URL, else the embedded Postgres under DATA_DIR: the running server's if it is up,
 * otherwise started for the command and stopped after it.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { ConfigError, loadConfig } from '../config';
import { createDatabase, type Database } from '../infra/database';
import { startEmbeddedPostgres } from '../infra/embedded-postgres';
import { EMBEDDED_DATABASE_NAME } from '../infra/runtime';
import { createAccountStore } from '../auth/oidc-account-store';
import { demoPasswordFile } from '../auth/oidc-demo-accounts';
import { ROLES, type Role } from '../auth/roles';
import { AppError } from '../errors';

const USAGE = `usage: npm run --silent account -- add --sub <name> --role <role> [--role <role> …] [--org <organisation>] [--name <display name>]
       npm run --silent account -- list | show-demo
       npm run --silent account -- reset-password|disable|enable --sub <name>
roles: ${ROLES.join(', ')}
`;

function usage(message: string): never {
  process.stderr.write(`${message}\n${USAGE}`);
  process.exit(2);
}

async function openDatabase(config: ReturnType<typeof loadConfig>): Promise<{ database: Database; stop: () => Promise<void> }> {
  if (config.databaseUrl) {
    const database = createDatabase(config.databaseUrl, { max: 2 });
    return { database, stop: () => database.close() };
  }
  const dir = path.join(config.dataDir, 'postgres');
  const password = await fs.readFile(path.join(dir, 'superuser-password'), 'utf8').then((p) => p.trim(), () => undefined);
  if (password) {
    // The running server's embedded Postgres, if it is up.
    const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${config.embeddedPostgresPort}/${EMBEDDED_DATABASE_NAME}`;
    const probe = postgres(url, { max: 1, connect_timeout: 3, onnotice: () => {} });
    const up = await probe`select 1`.then(() => true, () => false);
    await probe.end();
    if (up) {
      const database = createDatabase(url, { max: 2 });
      return { database, stop: () => database.close() };
    }
  }
  if (!password) usage(`no database under ${config.dataDir}: start the service once (npm start) or set DATABASE_URL`);
  const pg = await startEmbeddedPostgres({ dir, port: config.embeddedPostgresPort });
  const database = createDatabase(pg.urlFor(EMBEDDED_DATABASE_NAME), { max: 2 });
  return {
    database,
    stop: async () => {
      await database.close();
      await pg.stop();
    },
  };
}

async function main() {
  const [command, ...rest] = process.argv.slice(2);
  if (!command) usage('a command is required');
  let values;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: { sub: { type: 'string' }, role: { type: 'string', multiple: true }, org: { type: 'string' }, name: { type: 'string' } },
      strict: true,
    }));
  } catch (err) {
    usage((err as Error).message);
  }
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) usage(err.message);
    throw err;
  }
  if (command === 'show-demo') {
    const text = await fs.readFile(demoPasswordFile(config.dataDir), 'utf8').catch(() => undefined);
    if (!text) usage(`no demo accounts under ${config.dataDir} yet: start the service once (npm start)`);
    process.stdout.write(text);
    return;
  }
  if (!['add', 'list', 'reset-password', 'disable', 'enable'].includes(command)) usage(`unknown command "${command}"`);
  if (command !== 'list' && !values.sub) usage('--sub is required');
  const roles = (values.role ?? []) as Role[];
  if (command === 'add') {
    if (roles.length === 0) usage('at least one --role is required');
    for (const r of roles) if (!ROLES.includes(r)) usage(`unknown role "${r}"`);
  }

  const { database, stop } = await openDatabase(config);
  try {
    const store = createAccountStore(database.db);
    switch (command) {
      case 'add': {
        const { account, password } = await store.add({ sub: values.sub!, roles, organisation: values.org ?? null, displayName: values.name ?? null });
        process.stdout.write(`account ${account.sub} (${account.roles.join(', ')}) created; one-time password: ${password}\n`);
        break;
      }
      case 'list':
        for (const a of await store.list()) {
          process.stdout.write(
            `${a.sub}\t${a.roles.join(',')}\t${a.organisation ?? '-'}\t${a.displayName ?? '-'}\t${a.disabled ? 'disabled' : a.mustChangePassword ? 'one-time password' : 'active'}\n`,
          );
        }
        break;
      case 'reset-password':
        process.stdout.write(`new one-time password for ${values.sub}: ${await store.resetPassword(values.sub!)}\n`);
        break;
      case 'disable':
      case 'enable':
        await store.setDisabled(values.sub!, command === 'disable');
        process.stdout.write(`account ${values.sub} ${command}d\n`);
        break;
    }
  } finally {
    await stop();
  }
}

main().catch((err) => {
  process.stderr.write(`account: ${err instanceof AppError ? `${err.message} (${err.code})` : (err as Error).message}\n`);
  process.exit(1);
});
