/**
 * The service as `npm start` runs it, plus one baseline route for the command benchmark:
 * POST /bench/baseline does a single INSERT and commit through the same stack (Fastify, token
 * verification, rate limiter, error handler, connection pool). Used by the benchmark scripts.
 */
import pino from 'pino';
import { sql } from 'drizzle-orm';
import { loadConfig } from '../src/config';
import { startRuntime } from '../src/infra/runtime';
import { buildApp } from '../src/app';
import { countPostgresWire } from './bench-wire-counter';

const config = loadConfig();
const logger = pino({ level: 'warn' });
const runtime = await startRuntime(config, logger);
// Statements and round trips to Postgres, read by bench-commands.ts through GET /bench/wire.
const wire = countPostgresWire(Number(new URL(runtime.databaseUrl).port || 5432));
await runtime.database.db.execute(sql`create table if not exists bench_baseline (id bigserial primary key, sub text not null, payload jsonb not null, created_at timestamptz not null default now())`);
const app = await buildApp({ config, database: runtime.database, storage: runtime.storage, logger });
app.post('/bench/baseline', { config: { access: { roles: 'any', write: true } } }, async (request) => {
  const [row] = (await runtime.database.db.execute(
    sql`insert into bench_baseline (sub, payload) values (${request.principal!.sub}, ${JSON.stringify(request.body ?? {})}::jsonb) returning id`,
  )) as unknown as Array<{ id: string }>;
  return { id: Number(row!.id) };
});
app.get('/bench/wire', { config: { access: { roles: 'any', write: false } } }, async () => wire());
await app.listen({ host: '127.0.0.1', port: config.port });
process.stdout.write('ready\n');
process.stdout.write(`s3 ${JSON.stringify(runtime.s3)}\n`);
const stop = async () => {
  await app.close();
  await runtime.stop();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
