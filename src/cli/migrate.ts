/**
 * `npm run migrate`: apply the committed migrations and exit. With DATABASE_URL it migrates that
 * database; without it, the embedded Postgres under DATA_DIR (started and stopped here).
 * `npm start` runs the same step before serving unless MIGRATE_ON_START=false.
 */
import { ConfigError, loadConfig } from '../config';
import { runMigrations } from '../../db/migrate';
import { startEmbeddedPostgres } from '../infra/embedded-postgres';
import { EMBEDDED_DATABASE_NAME } from '../infra/runtime';
import postgres from 'postgres';
import path from 'node:path';

async function main() {
  const config = loadConfig();
  if (config.databaseUrl) {
    await runMigrations(config.databaseUrl);
  } else {
    const pg = await startEmbeddedPostgres({ dir: path.join(config.dataDir, 'postgres'), port: config.embeddedPostgresPort });
    try {
      const sql = postgres(pg.adminUrl, { max: 1, onnotice: () => {} });
      const [row] = await sql`select 1 from pg_database where datname = ${EMBEDDED_DATABASE_NAME}`;
      if (!row) await sql.unsafe(`create database "${EMBEDDED_DATABASE_NAME}"`);
      await sql.end();
      await runMigrations(pg.urlFor(EMBEDDED_DATABASE_NAME));
    } finally {
      await pg.stop();
    }
  }
  process.stdout.write('migrations applied\n');
}

main().catch((err) => {
  process.stderr.write(`migrate: ${err instanceof ConfigError ? err.message : (err as Error).message}\n`);
  process.exit(1);
});
