import postgres from 'postgres';
import { startKept } from './pg';
import { toRecord } from '../src/modules/audit/audit-reader';
import { AUDIT_COLUMNS_TEXT } from '../src/modules/audit/audit-query';
import { createChainVerifier } from '../src/modules/audit/chain-verifier';
const pg = await startKept();
const sql = postgres(pg.urlFor('bench'), { max: 2, onnotice: () => {}, types: { ts: { to: 1184, from: [1184], serialize: (x: string) => x, parse: (x: string) => x } } as any });
const mode = process.argv[2] ?? 'iterate';
try {
  const cols = mode.includes('raw') ? AUDIT_COLUMNS_TEXT.replace(/to_char\([^)]*\)\) as occurred_at|to_char\(occurred_at[^,]*,[^)]*\) as occurred_at/, 'occurred_at') : AUDIT_COLUMNS_TEXT;
  const t0 = performance.now(); let n = 0; const v = createChainVerifier();
  const cpu0 = process.cpuUsage();
  for await (const rows of sql.unsafe(`select ${cols} from audit_events order by seq`).cursor(5000)) {
    n += rows.length;
    if (mode.startsWith('record') || mode.startsWith('push')) for (const r of rows) { const rec = toRecord(r as any); if (mode.startsWith('push')) v.push(rec); }
  }
  const cpu = process.cpuUsage(cpu0);
  console.log(mode, n, 'rows', ((performance.now() - t0) / 1000).toFixed(2), 's wall', ((cpu.user + cpu.system) / 1e6).toFixed(2), 's node cpu', mode.startsWith('push') ? JSON.stringify({ ok: v.result().ok }) : '');
} finally { await sql.end(); await pg.stop(); }
