import postgres from 'postgres';
import { startKept } from './pg';
const pg = await startKept();
const sql = postgres(pg.urlFor('bench'), { max: 1, onnotice: () => {} });
try {
  const q = async (label: string, text: string, params: any[] = []) => {
    const rows = await sql.unsafe(`explain (analyze, serialize text, timing off, buffers off) ${text}`, params);
    console.log('---', label); for (const r of rows) console.log(r['QUERY PLAN']);
  };
  const cols = `seq, chain_id, chain_seq, to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as occurred_at, actor_sub, actor_roles, actor_org, action, project_id, from_state, to_state, revision, machine_id, machine_version, request_id, idempotency_key, payload, prev_hash, row_hash`;
  await q('full walk', `select ${cols} from audit_events order by seq`);
  await q('full walk', `select ${cols} from audit_events order by seq`);
  await q('full walk no to_char', `select seq, chain_id, chain_seq, occurred_at, actor_sub, actor_roles, actor_org, action, project_id, from_state, to_state, revision, machine_id, machine_version, request_id, idempotency_key, payload, prev_hash, row_hash from audit_events order by seq`);
  await q('full walk payload::text', `select seq, chain_id, chain_seq, occurred_at, payload::text from audit_events order by seq`);
  await q('half', `select ${cols} from audit_events where (hashtext(chain_id) & 1) = 0 order by seq`);
  await q('time idx only', `select seq from audit_events where occurred_at >= '2025-06-01' order by seq limit 101`);
  await q('time idx only mat', `with m as materialized (select seq from audit_events where occurred_at >= '2025-06-01') select seq from m order by seq limit 101`);
  await q('time idx narrow', `with m as materialized (select seq from audit_events where occurred_at >= '2026-01-10' and occurred_at < '2026-01-11') select seq from m order by seq limit 101`);
} finally { await sql.end(); await pg.stop(); }
