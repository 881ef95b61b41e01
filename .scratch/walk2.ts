import postgres from 'postgres';
import { startKept } from './pg';
const pg = await startKept();
const sql = postgres(pg.urlFor('bench'), { max: 2, onnotice: () => {} });
const mode = process.argv[2] ?? 'arr';
try {
  const exprs: Record<string, string> = {
    arr: `json_build_array(seq, chain_id, chain_seq, occurred_at, actor_sub, actor_roles, actor_org, action, project_id, from_state, to_state, revision, machine_id, machine_version, request_id, idempotency_key, payload, prev_hash, row_hash)::text`,
    arrtext: `concat('[', seq, ',', to_json(chain_id), ',', chain_seq, ',', to_json(occurred_at), ',', to_json(actor_sub), ',', to_json(actor_roles), ',', coalesce(to_json(actor_org)::text,'null'), ',', to_json(action), ',', coalesce(to_json(project_id)::text,'null'), ',', coalesce(to_json(from_state)::text,'null'), ',', coalesce(to_json(to_state)::text,'null'), ',', coalesce(revision::text,'null'), ',', coalesce(to_json(machine_id)::text,'null'), ',', coalesce(machine_version::text,'null'), ',', coalesce(to_json(request_id)::text,'null'), ',', coalesce(to_json(idempotency_key)::text,'null'), ',', payload::text, ',\"', prev_hash, '\",\"', row_hash, '\"]')`,
  };
  const expr = exprs[mode]!;
  const ex = await sql.unsafe(`explain (analyze, serialize text, timing off, buffers off) select ${expr} as r from audit_events order by seq`);
  console.log(mode, 'PG side:', ex.map((r: any) => r['QUERY PLAN']).filter((l: string) => /Execution|Serial/.test(l)).join(' | '));
  const t0 = performance.now(); let n = 0;
  const cpu0 = process.cpuUsage();
  let sample: unknown;
  for await (const rows of sql.unsafe(`select ${expr} as r from audit_events order by seq`).cursor(5000)) {
    for (const row of rows) { const a = JSON.parse(row.r as string); n++; if (n === 1) sample = a; }
  }
  const cpu = process.cpuUsage(cpu0);
  console.log(mode, n, 'rows', ((performance.now() - t0) / 1000).toFixed(2), 's wall', ((cpu.user + cpu.system) / 1e6).toFixed(2), 's node cpu', JSON.stringify(sample).slice(0, 300));
} finally { await sql.end(); await pg.stop(); }
