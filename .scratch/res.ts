import postgres from 'postgres';
import { startKept } from './pg';
const pg = await startKept();
const sql = postgres(pg.urlFor('bench'), { max: 3, onnotice: () => {} });
try {
  const conn = await sql.reserve();
  const [a] = await conn`select pg_backend_pid() as pid, pg_advisory_lock(42)`;
  const r = await conn.begin('isolation level repeatable read', async (tx) => {
    const [b] = await tx`select pg_backend_pid() as pid, current_setting('transaction_isolation') as iso`;
    return b;
  });
  const [c] = await conn`select pg_backend_pid() as pid, pg_advisory_unlock(42) as unlocked`;
  console.log(a, r, c);
  conn.release();
} finally { await sql.end(); await pg.stop(); }
