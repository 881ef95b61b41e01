/**
 * `npm run verify-export -- <events.ndjson> <checkpoints.json> [--public-key <pem file>] [--json]`
 *
 * Standalone verifier of an audit export (DESIGN.md §2 "Audit log"): needs no database or server,
 * only the exported events (one JSON event per line, in ascending seq order) and the signed
 * checkpoints (`{ "publicKeyPem": "...", "checkpoints": SignedCheckpoint[] }`).
 *
 *   1. every checkpoint: Ed25519 signature; version 1: heads digest to headsDigest, chainCount =
 *      heads; version 2: the changed heads, applied in order from the first version-2 checkpoint,
 *      rebuild the signed Merkle root and tree size, and previousId names the one before;
 *   2. every chain in the export: hashes, links, gapless chainSeq, global seq order
 *      (streamed line by line: memory grows with the number of chains, not events);
 *   3. every checkpoint head still exists in the export with the same rowHash: this is what
 *      catches a tail that was cut off or rewritten and re-sealed.
 *
 * `--history` checks one project's history with its inclusion proof instead: the events form a
 * sound chain from genesis, the checkpoint is signed by the key, the proof's leaf is the event at
 * that chainSeq, and its audit path leads to the signed Merkle root.
 *
 * Exit status: 0 everything verifies; 1 verification failed (tampering or corruption; prints
 * `first bad seq: N`); 2 usage or I/O error.
 *
 * Without --public-key the key embedded in the checkpoints file is used, which only shows the
 * export is self-consistent: whoever rewrote the log could have re-signed with a key of their own.
 * An auditor passes the key obtained from the operator out of band.
 */
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import readline from 'node:readline';
import { parseArgs } from 'node:util';
import type { KeyObject } from 'node:crypto';
import type { AuditEventRecord } from '../modules/audit/audit-hash';
import {
  auditEventShapeError,
  checkAgainstCheckpoint,
  checkpointPositions,
  createChainVerifier,
  MAX_REPORTED_PROBLEMS,
  type ChainProblem,
  type CheckpointHeadProblem,
} from '../modules/audit/chain-verifier';
import { createCheckpointSequenceChecker } from '../modules/audit/checkpoint-sequence';
import {
  keyIdOf,
  publicKeyFromPem,
  samePublicKey,
  verifyCheckpointSignature,
  type SignedCheckpoint,
} from '../modules/audit/checkpoint-signature';
import type { InclusionProof } from '../modules/audit/checkpoint-service';
import { leafHash, verifyInclusion } from '../modules/audit/merkle-tree';

const USAGE =
  'usage: npm run verify-export -- <events.ndjson> <checkpoints.json> [--public-key <pem file>] [--json]\n' +
  '       npm run verify-export -- --history <history.json> --public-key <pem file> [--json]   (GET /v1/projects/:id/history?proof=true)';

/** Usage and I/O errors: exit 2. */
class UsageError extends Error {}

type ReportedProblem =
  | ({ source: 'chain' } & ChainProblem)
  | { source: 'line'; line: number; seq: number | null; kind: 'malformed'; detail: string }
  | { source: 'checkpoint'; checkpointId: number | null; kind: 'signature' | 'key'; detail: string; seq: null }
  | ({ source: 'checkpoint'; checkpointId: number | null } & CheckpointHeadProblem);

interface Report {
  ok: boolean;
  checked: number;
  firstBadSeq: number | null;
  chains: number;
  checkpoints: { checked: number; ok: number; latestSeqHighWater: number | null };
  key: { keyId: string | null; source: 'argument' | 'embedded' | null };
  problemCount: number;
  problems: ReportedProblem[];
}

async function readCheckpointsFile(file: string): Promise<{ publicKeyPem: string | null; checkpoints: SignedCheckpoint[] }> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file} is not JSON: ${(err as Error).message}`);
  }
  const d = doc as { publicKeyPem?: unknown; checkpoints?: unknown };
  if (typeof doc !== 'object' || doc === null || !Array.isArray(d.checkpoints)) {
    throw new UsageError(`${file} must be { "publicKeyPem": "...", "checkpoints": [...] }`);
  }
  for (const [i, cp] of d.checkpoints.entries()) {
    if (typeof cp !== 'object' || cp === null || !Array.isArray((cp as SignedCheckpoint).heads)) {
      throw new UsageError(`${file}: checkpoints[${i}] is not a checkpoint with heads`);
    }
  }
  return {
    publicKeyPem: typeof d.publicKeyPem === 'string' ? d.publicKeyPem : null,
    checkpoints: d.checkpoints as SignedCheckpoint[],
  };
}

async function verifyExport(eventsFile: string, checkpointsFile: string, publicKeyFile: string | undefined): Promise<Report> {
  const problems: ReportedProblem[] = [];
  let problemCount = 0;
  let firstBadSeq: number | null = null;
  const note = (p: ReportedProblem) => {
    problemCount++;
    if (problems.length < MAX_REPORTED_PROBLEMS) problems.push(p);
    if (p.seq !== null && (firstBadSeq === null || p.seq < firstBadSeq)) firstBadSeq = p.seq;
  };

  // --- key and checkpoints -------------------------------------------------------------------
  const { publicKeyPem, checkpoints } = await readCheckpointsFile(checkpointsFile);
  let embeddedKey: KeyObject | null = null;
  if (publicKeyPem !== null) {
    try {
      embeddedKey = publicKeyFromPem(publicKeyPem);
    } catch (err) {
      if (publicKeyFile === undefined) throw new UsageError(`publicKeyPem in ${checkpointsFile}: ${(err as Error).message}`);
      note({ source: 'checkpoint', checkpointId: null, kind: 'key', seq: null, detail: `embedded publicKeyPem is unusable: ${(err as Error).message}` });
    }
  }
  let key: KeyObject;
  let keySource: 'argument' | 'embedded';
  if (publicKeyFile !== undefined) {
    let pem: string;
    try {
      pem = await fs.readFile(publicKeyFile, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read ${publicKeyFile}: ${(err as Error).message}`);
    }
    try {
      key = publicKeyFromPem(pem);
    } catch (err) {
      throw new UsageError(`${publicKeyFile}: ${(err as Error).message}`);
    }
    keySource = 'argument';
    if (embeddedKey && !samePublicKey(embeddedKey, key)) {
      note({
        source: 'checkpoint',
        checkpointId: null,
        kind: 'key',
        seq: null,
        detail: `the checkpoints file embeds key ${keyIdOf(embeddedKey)}, not the trusted key ${keyIdOf(key)}`,
      });
    }
  } else if (embeddedKey) {
    key = embeddedKey;
    keySource = 'embedded';
  } else {
    throw new UsageError(`${checkpointsFile} has no publicKeyPem; pass --public-key`);
  }

  const failedCheckpoints = new Set<number>();
  // In id order, as a sequence: version-2 checkpoints rebuild their Merkle root from the changed
  // heads of the ones before.
  const sequence = createCheckpointSequenceChecker(key);
  checkpoints.forEach((cp, i) => {
    for (const detail of sequence.check(cp)) {
      failedCheckpoints.add(i);
      note({ source: 'checkpoint', checkpointId: typeof cp.id === 'number' ? cp.id : null, kind: 'signature', seq: null, detail });
    }
  });

  // --- events --------------------------------------------------------------------------------
  // Remember the rowHash at every checkpoint head while streaming: checkpoints are older than the
  // end of the export, so their heads are somewhere in the middle of each chain.
  const verifier = createChainVerifier({ track: checkpointPositions(checkpoints) });
  const input = createReadStream(eventsFile, { encoding: 'utf8', highWaterMark: 1 << 20 });
  // Constant memory: one line at a time. Read errors surface from the iterator.
  const lines = readline.createInterface({ input, crlfDelay: Infinity });
  let lineNo = 0;
  try {
    for await (let line of lines) {
      lineNo++;
      if (lineNo === 1 && line.charCodeAt(0) === 0xfeff) line = line.slice(1); // BOM
      if (line.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        note({ source: 'line', line: lineNo, seq: null, kind: 'malformed', detail: 'not valid JSON' });
        continue;
      }
      const shapeError = auditEventShapeError(value);
      if (shapeError !== null) {
        const seq = (value as { seq?: unknown } | null)?.seq;
        note({ source: 'line', line: lineNo, seq: Number.isSafeInteger(seq) ? (seq as number) : null, kind: 'malformed', detail: shapeError });
        continue;
      }
      verifier.push(value as AuditEventRecord);
    }
  } catch (err) {
    throw new UsageError(`cannot read ${eventsFile}: ${(err as Error).message}`);
  } finally {
    lines.close();
    input.destroy();
  }

  const chains = verifier.result();
  for (const p of chains.problems) note({ source: 'chain', ...p });
  problemCount += chains.problemCount - chains.problems.length; // the verifier kept only the first ones
  if (chains.firstBadSeq !== null && (firstBadSeq === null || chains.firstBadSeq < firstBadSeq)) firstBadSeq = chains.firstBadSeq;

  // --- checkpoint heads against the export ----------------------------------------------------
  checkpoints.forEach((cp, i) => {
    for (const p of checkAgainstCheckpoint(chains, cp)) {
      failedCheckpoints.add(i);
      // A rewritten head is pinned to the event found there; for a missing one the event is gone,
      // and the checkpoint's high-water seq is the bound we have.
      const seq = p.kind === 'mismatch' && p.seq !== null ? p.seq : Number.isSafeInteger(cp.seqHighWater) ? cp.seqHighWater : null;
      note({ source: 'checkpoint', checkpointId: typeof cp.id === 'number' ? cp.id : null, ...p, seq });
    }
  });

  const highWaters = checkpoints.map((cp) => cp.seqHighWater).filter((n) => Number.isSafeInteger(n));
  return {
    ok: problemCount === 0,
    checked: chains.checked,
    firstBadSeq,
    chains: chains.heads.size,
    checkpoints: {
      checked: checkpoints.length,
      ok: checkpoints.length - failedCheckpoints.size,
      latestSeqHighWater: highWaters.length ? Math.max(...highWaters) : null,
    },
    key: { keyId: keyIdOf(key), source: keySource },
    problemCount,
    problems,
  };
}

interface HistoryReport {
  ok: boolean;
  projectId: string | null;
  events: number;
  proof: { checkpointId: number | null; leafIndex: number | null; treeSize: number | null; chainSeq: number | null } | null;
  problems: string[];
}

/** A project history with its inclusion proof (GET /v1/projects/:id/history?proof=true). */
async function verifyHistory(historyFile: string, publicKeyFile: string): Promise<HistoryReport> {
  let doc: { projectId?: unknown; events?: unknown; proof?: InclusionProof | null };
  let key: KeyObject;
  try {
    doc = JSON.parse(await fs.readFile(historyFile, 'utf8'));
  } catch (err) {
    throw new UsageError(`cannot read ${historyFile} as JSON: ${(err as Error).message}`);
  }
  try {
    key = publicKeyFromPem(await fs.readFile(publicKeyFile, 'utf8'));
  } catch (err) {
    throw new UsageError(`${publicKeyFile}: ${(err as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || !Array.isArray(doc.events)) throw new UsageError(`${historyFile} must be { "projectId", "events": [...], "proof" }`);
  const problems: string[] = [];
  const projectId = typeof doc.projectId === 'string' ? doc.projectId : null;
  const verifier = createChainVerifier();
  const bySeq = new Map<number, AuditEventRecord>();
  for (const [i, e] of (doc.events as unknown[]).entries()) {
    const shape = auditEventShapeError(e);
    if (shape !== null) {
      problems.push(`events[${i}]: ${shape}`);
      continue;
    }
    const ev = e as AuditEventRecord;
    if (ev.chainId !== projectId) problems.push(`events[${i}] belongs to chain ${ev.chainId}, not ${String(projectId)}`);
    verifier.push(ev);
    bySeq.set(ev.chainSeq, ev);
  }
  const chain = verifier.result();
  for (const p of chain.problems) problems.push(`seq ${p.seq} (#${p.chainSeq}) ${p.kind}: ${p.detail}`);
  const proof = doc.proof;
  if (proof === undefined || proof === null) {
    problems.push('no inclusion proof (fetch the history with ?proof=true once a checkpoint covers the project)');
  } else {
    const cp = proof.checkpoint as unknown as SignedCheckpoint;
    if (cp?.version !== 2) problems.push('the proof is not against a version-2 checkpoint');
    else if (!verifyCheckpointSignature(cp, key)) problems.push('the checkpoint signature does not verify with the public key');
    const leaf = proof.leaf;
    if (leaf?.chainId !== projectId) problems.push(`the proof is for chain ${String(leaf?.chainId)}, not ${String(projectId)}`);
    const event = bySeq.get(leaf?.chainSeq);
    if (!event) problems.push(`the history has no event at chainSeq ${String(leaf?.chainSeq)}, the head the checkpoint holds (truncated)`);
    else if (event.rowHash !== leaf.rowHash) problems.push(`the event at chainSeq ${leaf.chainSeq} (seq ${event.seq}) is not the one the checkpoint holds (rewritten)`);
    if (proof.treeSize !== cp?.chainCount) problems.push(`treeSize ${String(proof.treeSize)} is not the checkpoint's chainCount ${String(cp?.chainCount)}`);
    let hash: Buffer | null = null;
    try {
      hash = leafHash(leaf);
    } catch (err) {
      problems.push(`the leaf is malformed: ${(err as Error).message}`);
    }
    if (hash && !verifyInclusion(proof.leafIndex, proof.treeSize, hash, proof.auditPath, cp?.headsDigest)) {
      problems.push('the audit path does not lead from the leaf to the signed Merkle root');
    }
  }
  return {
    ok: problems.length === 0,
    projectId,
    events: chain.checked,
    proof: proof ? { checkpointId: proof.checkpoint?.id ?? null, leafIndex: proof.leafIndex ?? null, treeSize: proof.treeSize ?? null, chainSeq: proof.leaf?.chainSeq ?? null } : null,
    problems,
  };
}

function describe(p: ReportedProblem): string {
  switch (p.source) {
    case 'chain':
      return `seq ${p.seq} (chain ${p.chainId} #${p.chainSeq}) ${p.kind}: ${p.detail}`;
    case 'line':
      return `line ${p.line}${p.seq === null ? '' : ` (seq ${p.seq})`} malformed: ${p.detail}`;
    case 'checkpoint':
      return `checkpoint${p.checkpointId === null ? '' : ` #${p.checkpointId}`} ${p.kind}: ${p.detail}`;
  }
}

function printHuman(r: Report): void {
  const out: string[] = [];
  out.push(`events: ${r.checked} checked in ${r.chains} chain${r.chains === 1 ? '' : 's'}`);
  out.push(`checkpoints: ${r.checkpoints.checked} checked, ${r.checkpoints.ok} ok` +
    (r.checkpoints.latestSeqHighWater === null ? '' : ` (latest covers seq ≤ ${r.checkpoints.latestSeqHighWater})`));
  out.push(`public key: ${r.key.keyId} (${r.key.source === 'argument' ? 'from --public-key' : 'embedded in the checkpoints file: proves self-consistency only; pass --public-key to prove origin'})`);
  if (r.checkpoints.checked === 0) out.push('warning: no checkpoints, so a truncated or re-sealed tail cannot be detected');
  if (r.ok) {
    out.push('result: OK, the export verifies');
  } else {
    out.push(`result: VERIFICATION FAILED, ${r.problemCount} problem${r.problemCount === 1 ? '' : 's'}`);
    out.push(r.firstBadSeq === null ? 'first bad seq: unknown (no event identified, see below)' : `first bad seq: ${r.firstBadSeq}`);
    for (const p of r.problems) out.push(`  ${describe(p)}`);
    if (r.problemCount > r.problems.length) out.push(`  … and ${r.problemCount - r.problems.length} more`);
  }
  process.stdout.write(out.join('\n') + '\n');
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        'public-key': { type: 'string' },
        history: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    process.stderr.write(`verify-export: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values.history !== undefined) {
    if (positionals.length !== 0 || values['public-key'] === undefined) {
      process.stderr.write(`verify-export: --history takes no other files and needs --public-key\n${USAGE}\n`);
      return 2;
    }
    try {
      const report = await verifyHistory(values.history, values['public-key']);
      if (values.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
      else {
        const lines = [`history of ${report.projectId}: ${report.events} events`];
        if (report.proof) lines.push(`proof: leaf ${report.proof.leafIndex} of ${report.proof.treeSize} in checkpoint #${report.proof.checkpointId} (chainSeq ${report.proof.chainSeq})`);
        lines.push(report.ok ? 'result: OK, the history is included in the signed checkpoint' : `result: VERIFICATION FAILED\n${report.problems.map((p) => `  ${p}`).join('\n')}`);
        process.stdout.write(lines.join('\n') + '\n');
      }
      return report.ok ? 0 : 1;
    } catch (err) {
      if (err instanceof UsageError) {
        process.stderr.write(`verify-export: ${err.message}\n`);
        return 2;
      }
      throw err;
    }
  }
  if (positionals.length !== 2) {
    process.stderr.write(`verify-export: expected 2 files, got ${positionals.length}\n${USAGE}\n`);
    return 2;
  }
  const [eventsFile, checkpointsFile] = positionals as [string, string];
  try {
    const stat = await fs.stat(eventsFile).catch((err: Error) => {
      throw new UsageError(`cannot read ${eventsFile}: ${err.message}`);
    });
    if (!stat.isFile()) throw new UsageError(`${eventsFile} is not a file`);
    const report = await verifyExport(eventsFile, checkpointsFile, values['public-key']);
    if (values.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    else printHuman(report);
    return report.ok ? 0 : 1;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`verify-export: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`verify-export: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 2;
  },
);
