import postgres from 'postgres';
import { startKept } from './pg';
const pg = await startKept();
const sql = postgres(pg.urlFor('bench'), { max: 1, onnotice: () => {} });
try {
  const q = async (label: string, text: string, params: any[] = []) => {
    const rows = await sql.unsafe(`explain (analyze, buffers, timing off) ${text}`, params);
    console.log('---', label); for (const r of rows) console.log(r['QUERY PLAN']);
  };
  await q('full walk (server side only)', `select seq, chain_id, chain_seq, to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as occurred_at, actor_sub, actor_roles, actor_org, action, project_id, from_state, to_state, revision, machine_id, machine_version, request_id, idempotency_key, payload, prev_hash, row_hash from audit_events order by seq`);
  await q('time window custom', `select * from audit_events where occurred_at >= '2026-01-10T00:00:00Z' and occurred_at < '2026-01-11T00:00:00Z' order by seq limit 101`);
  await q('partition filter', `select seq from audit_events where (hashtext(chain_id) & 1) = 0 order by seq`);
  await q('history', `select * from audit_events where chain_id = (select id::text from projects limit 1 offset 777) order by seq`);
} finally { await sql.end(); await pg.stop(); }
