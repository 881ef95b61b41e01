/**
 * Micro-benchmark of audit chain verification:
 *   node --import tsx scripts/bench-verify.ts [N=1000000] [--chains 1000] [--compare]
 * Prints events/s of the chain verifier over N synthetic events (small payload of ~5 keys,
 * interleaved over many project chains plus 'system'). Events are generated in batches outside
 * the timed section, so memory stays flat and only verification is measured. --compare also times
 * the straightforward path (contentOf + `canonicalize` + createHash) on the same events.
 */
import { createHash, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import canonicalize from 'canonicalize';
import { contentOf, genesisHash, sealEvent, type AuditEventRecord } from '../src/modules/audit/audit-hash';
import { createChainVerifier } from '../src/modules/audit/chain-verifier';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { chains: { type: 'string', default: '1000' }, compare: { type: 'boolean', default: false } },
});
const total = Number(positionals[0] ?? 1_000_000);
const chainCount = Number(values.chains);
if (!Number.isSafeInteger(total) || total < 1 || !Number.isSafeInteger(chainCount) || chainCount < 1) {
  process.stderr.write('usage: node --import tsx scripts/bench-verify.ts [N] [--chains K] [--compare]\n');
  process.exit(2);
}

const chainIds = [...Array.from({ length: chainCount }, () => randomUUID()), 'system'];
const heads = new Map(chainIds.map((id) => [id, { chainSeq: 0, rowHash: genesisHash(id) }]));
const actions = ['project.submitted', 'document.uploaded', 'opinion.submitted', 'appraisal.concluded', 'decision.recorded'];
let seq = 0;
const t0 = Date.parse('2026-11-22T04:40:00.000Z');

function nextEvent(): AuditEventRecord {
  seq += 1 + (seq % 97 === 0 ? 1 : 0); // occasional gap, as after a rolled-back transaction
  const chainId = chainIds[Math.floor(Math.random() * chainIds.length)]!;
  const head = heads.get(chainId)!;
  const project = chainId === 'system' ? null : chainId;
  const e = sealEvent(
    {
      seq,
      chainId,
      chainSeq: head.chainSeq + 1,
      occurredAt: new Date(t0 + seq * 7).toISOString(),
      actor: { sub: `user-${seq % 50}`, roles: ['appraiser'], org: 'dept-of-science' },
      action: actions[seq % actions.length]!,
      projectId: project,
      fromState: project ? 'under_appraisal' : null,
      toState: project ? 'appraised' : null,
      revision: project ? head.chainSeq + 1 : null,
      machine: project ? { id: 'appraisal', version: 3 } : null,
      requestId: `req-${seq.toString(36)}`,
      idempotencyKey: null,
      payload: {
        documentId: `doc-${seq}`,
        sha256: 'a3f1c2e4b5d6978812345678abcdef0123456789abcdef0123456789abcdef01',
        version: seq % 7,
        opinionId: null,
        note: 'Báo cáo thẩm định công nghệ',
      },
    },
    head.rowHash,
  );
  head.chainSeq = e.chainSeq;
  head.rowHash = e.rowHash;
  return e;
}

/** The plain path, for --compare: what the verifier would cost using `canonicalize` directly. */
function referenceRowHash(e: AuditEventRecord): string {
  const digest = createHash('sha256').update(canonicalize(contentOf(e))!).digest();
  return createHash('sha256').update(Buffer.from(e.prevHash, 'hex')).update(digest).digest('hex');
}

const BATCH = 20_000;
const verifier = createChainVerifier();
// Wall time and this process's CPU time: on a shared machine the latter is the steadier figure.
let verifyNs = 0n;
let verifyCpuUs = 0;
let referenceNs = 0n;
let referenceBad = 0;
for (let done = 0; done < total; ) {
  const batch: AuditEventRecord[] = [];
  for (let i = 0; i < BATCH && done < total; i++, done++) batch.push(nextEvent());
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  for (const e of batch) verifier.push(e);
  const cpu = process.cpuUsage(cpuStart);
  verifyNs += process.hrtime.bigint() - start;
  verifyCpuUs += cpu.user + cpu.system;
  if (values.compare) {
    const s = process.hrtime.bigint();
    for (const e of batch) if (referenceRowHash(e) !== e.rowHash) referenceBad++;
    referenceNs += process.hrtime.bigint() - s;
  }
}

const r = verifier.result();
const rate = (ns: bigint) => Math.round(total / (Number(ns) / 1e9));
const sample = JSON.stringify(canonicalize(contentOf(nextEvent()))).length;
process.stdout.write(
  `verified ${r.checked} events over ${r.heads.size} chains: ok=${r.ok}\n` +
    `verifyChain: ${(Number(verifyNs) / 1e9).toFixed(2)} s, ${rate(verifyNs).toLocaleString('en-US')} events/s ` +
    `(CPU time ${(verifyCpuUs / 1e6).toFixed(2)} s, ${rate(BigInt(verifyCpuUs) * 1000n).toLocaleString('en-US')} events/s; ` +
    `~${sample} bytes of canonical JSON per event, node ${process.version})\n`,
);
if (values.compare) {
  process.stdout.write(
    `reference (canonicalize + createHash, hashes only): ${(Number(referenceNs) / 1e9).toFixed(2)} s, ` +
      `${rate(referenceNs).toLocaleString('en-US')} events/s, mismatches=${referenceBad}\n`,
  );
}
if (!r.ok) process.exit(1);
