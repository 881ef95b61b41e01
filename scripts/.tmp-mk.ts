import fs from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { genesisHash, headsDigest, sealEvent, type AuditEventRecord } from '../src/modules/audit/audit-hash';
import { keyIdOf, signCheckpoint } from '../src/modules/audit/checkpoint-signature';
const N = Number(process.argv[2] ?? 50);
const chains = Array.from({ length: 100 }, (_, i) => `c0000000-0000-4000-8000-${String(i).padStart(12, '0')}`).concat('system');
const heads = new Map<string, { chainSeq: number; rowHash: string }>();
const out = fs.createWriteStream('/tmp/ct/events.ndjson');
let cpHeadsAt: any = null;
for (let seq = 1; seq <= N; seq++) {
  const chainId = chains[(seq * 7919) % chains.length]!;
  const h = heads.get(chainId) ?? { chainSeq: 0, rowHash: genesisHash(chainId) };
  const e: AuditEventRecord = sealEvent({ seq, chainId, chainSeq: h.chainSeq + 1, occurredAt: new Date(seq * 1000).toISOString(), actor: { sub: 'u', roles: ['appraiser'], org: 'dost' }, action: 'document.uploaded', projectId: chainId === 'system' ? null : chainId, fromState: 'a', toState: 'b', revision: h.chainSeq + 1, machine: { id: 'appraisal', version: 1 }, requestId: `r${seq}`, idempotencyKey: null, payload: { documentId: `d${seq}`, sha256: 'ab'.repeat(32), version: 1, opinionId: null, note: 'Báo cáo thẩm định công nghệ' } }, h.rowHash);
  heads.set(chainId, { chainSeq: e.chainSeq, rowHash: e.rowHash });
  out.write(JSON.stringify(e) + '\n');
  if (seq === Math.floor(N * 0.9)) cpHeadsAt = [...heads].map(([chainId, h]) => ({ chainId, ...h }));
}
out.end();
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const { digest, count } = headsDigest(cpHeadsAt);
const body = { version: 1 as const, createdAt: new Date().toISOString(), seqHighWater: Math.floor(N * 0.9), chainCount: count, headsDigest: digest, counts: { decided: 0, appraised: 0, events: Math.floor(N * 0.9) } };
const keyId = keyIdOf(publicKey);
fs.writeFileSync('/tmp/ct/checkpoints.json', JSON.stringify({ publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }), checkpoints: [{ ...body, id: 1, keyId, signature: signCheckpoint(body, privateKey, keyId).signature, heads: cpHeadsAt }] }));
