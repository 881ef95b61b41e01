import { startKept } from './pg';
import { createDatabase } from '../src/infra/database';
import { verifyAuditLog } from '../src/modules/audit/chain-audit';
import { loadOrCreateCheckpointKey } from '../src/modules/audit/checkpoint-signature';
const pg = await startKept();
const db = createDatabase(pg.urlFor('bench'), { max: 4 });
const key = await loadOrCreateCheckpointKey('/tmp/bench-audit-IEHqoi/data/keys/audit-checkpoint-ed25519.pem');
try {
  for (const p of process.argv.slice(2).map(Number)) {
    const t = performance.now(); const cpu0 = process.cpuUsage();
    const r = await verifyAuditLog(db.sql, { publicKey: key.publicKey, parallelism: p });
    const s = (performance.now() - t) / 1000; const cpu = process.cpuUsage(cpu0);
    console.log(`parallelism ${p}: ${r.checked} events in ${s.toFixed(2)} s = ${Math.round(r.checked / s)} events/s; ok=${r.ok} checkpoints ${JSON.stringify(r.checkpoints.ok)}; node cpu ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s`);
  }
} finally { await db.close(); await pg.stop(); }
