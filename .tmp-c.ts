import * as crypto from 'node:crypto';
import { genesisHash, sealEvent, recomputeRowHash, type AuditEventRecord } from './src/modules/audit/audit-hash';
import { createChainVerifier } from './src/modules/audit/chain-verifier';
import { createChainVerifier as noHash } from './src/modules/audit/.tmp-cv-nohash';
const chainIds = [...Array.from({ length: 1000 }, () => crypto.randomUUID()), 'system'];
const heads = new Map(chainIds.map((id) => [id, { chainSeq: 0, rowHash: genesisHash(id) }]));
let seq = 0;
const evs: AuditEventRecord[] = [];
for (let k = 0; k < 200000; k++) {
  seq++;
  const chainId = chainIds[Math.floor(Math.random() * chainIds.length)]!;
  const head = heads.get(chainId)!;
  const e = sealEvent({ seq, chainId, chainSeq: head.chainSeq + 1, occurredAt: new Date(seq * 7).toISOString(), actor: { sub: `user-${seq % 50}`, roles: ['appraiser'], org: 'dept' }, action: 'document.uploaded', projectId: chainId, fromState: 'a', toState: 'b', revision: 1, machine: { id: 'appraisal', version: 3 }, requestId: `req-${seq}`, idempotencyKey: null, payload: { documentId: `doc-${seq}`, sha256: crypto.randomBytes(32).toString('hex'), version: 3, opinionId: null, note: 'Báo cáo thẩm định công nghệ' } }, head.rowHash);
  head.chainSeq = e.chainSeq; head.rowHash = e.rowHash; evs.push(e);
}
function time(name: string, f: () => void) { const s = process.hrtime.bigint(); f(); console.log(name.padEnd(30), (Number(process.hrtime.bigint() - s) / evs.length).toFixed(0), 'ns/event'); }
for (let r = 0; r < 3; r++) {
  time('verifier', () => { const v = createChainVerifier(); for (const e of evs) v.push(e); });
  time('verifier without hashing', () => { const v = noHash(); for (const e of evs) v.push(e); });
  time('recomputeRowHash only', () => { for (const e of evs) recomputeRowHash(e); });
}
