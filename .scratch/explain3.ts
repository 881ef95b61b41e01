import postgres from 'postgres';
import { startKept } from './pg';
const pg = await startKept();
const sql = postgres(pg.urlFor('bench'), { max: 1, onnotice: () => {}, connection: { TimeZone: 'UTC' } });
try {
  for (const [label, e] of [['to_char', `to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`], ['text', 'occurred_at::text'], ['epoch', '(extract(epoch from occurred_at) * 1000)::int8'], ['raw', 'occurred_at']]) {
    const rows = await sql.unsafe(`explain (analyze, serialize text, timing off, buffers off) select ${e} from audit_events order by seq`);
    console.log(label, rows.map((r: any) => r['QUERY PLAN']).filter((l: string) => /Execution/.test(l)).join(' '));
  }
  console.log(await sql`select occurred_at::text as t from audit_events order by seq limit 3`);
} finally { await sql.end(); await pg.stop(); }
