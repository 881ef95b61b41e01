/**
 * Server-side verification of the whole audit log (GET /v1/audit/verify), with the same rules as
 * the standalone export verifier (src/cli/verify-export.ts), so that both give the same verdict
 * and the same first bad seq on the same data:
 *
 *   1. every event, in seq order from a cursor (memory grows with chains, not events), through
 *      createChainVerifier, tracking every position a checkpoint names;
 *   2. every stored checkpoint: Ed25519 signature with the service's key, headsDigest, chainCount,
 *      and each head still present in the log with the same rowHash (what catches a tail that was
 *      cut off, or rewritten and re-sealed);
 *   3. the live heads (projects.chain_seq/chain_head, audit_chain_heads) against the heads the
 *      walk ended on: the write path appends from those, so a mismatch is a problem too.
 *
 * All three read one REPEATABLE READ snapshot, so appends running meanwhile cannot make a sound
 * log look inconsistent.
 *
 * The walk costs about as much in decoding rows as in hashing them, both in JavaScript. On a large
 * log it is split over worker threads (chain-audit-worker.ts), each with its own connection in the
 * same exported snapshot and its own share of the chains (by hashtext(chain_id)): every event of a
 * chain is judged by one verifier, in seq order, so the merged result is exactly the one-thread one.
 */
import type { KeyObject } from 'node:crypto';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Sql } from '../../infra/database';
import type { ChainHead } from './audit-hash';
import {
  checkAgainstCheckpoint,
  createChainVerifier,
  MAX_REPORTED_PROBLEMS,
  type ChainVerifyResult,
  type TrackedPosition,
} from './chain-verifier';
import type { VerifyPartInput } from './chain-audit-worker';
import { createCheckpointSequenceChecker } from './checkpoint-sequence';
import { pushWalkBatches, WALK_COLUMNS_TEXT } from './audit-query';
import type { AuditRow } from './audit-reader';
import { CHECKPOINT_COLUMNS, readLiveHeads, toStoredCheckpoint, type CheckpointRow, type SqlClient } from './checkpoint-service';

export interface VerifyProblem {
  source: 'chain' | 'checkpoint' | 'live_head';
  kind: string;
  /** The event the problem is pinned to, when one is known. */
  seq: number | null;
  chainId: string | null;
  chainSeq: number | null;
  checkpointId: number | null;
  detail: string;
}

export interface CheckpointSummary {
  id: number;
  createdAt: string;
  seqHighWater: number;
  chainCount: number;
  headsDigest: string;
}

export interface AuditVerifyReport {
  ok: boolean;
  /** Events walked. */
  checked: number;
  /** Smallest seq with a problem (same rule as the export verifier), null when ok or unknown. */
  firstBadSeq: number | null;
  head: { seq: number | null; chains: number };
  checkpoints: { checked: number; ok: number; latest: CheckpointSummary | null };
  problemCount: number;
  /** The first few problems; problemCount has the total. */
  problems: VerifyProblem[];
}

export interface VerifyOptions {
  /** The checkpoint verification key (the service's own public key). */
  publicKey: KeyObject;
  /** Rows per cursor fetch. */
  batchSize?: number;
  /** Problems listed in the report (all are counted). */
  maxProblems?: number;
  /** Worker threads for the walk (1: walk in this thread). Default: the cores available, at most 4. */
  parallelism?: number;
  /** Logs spanning fewer seqs than this are walked in this thread (a worker costs a connection and ~0.2 s). */
  parallelThreshold?: number;
}

/**
 * The problems one verification finds: every one counted, the first few kept, the lowest bad seq
 * remembered. Shared by the full walk and the incremental verification.
 */
export function createProblemCollector(maxProblems: number) {
  const problems: VerifyProblem[] = [];
  let problemCount = 0;
  let firstBadSeq: number | null = null;
  const note = (p: VerifyProblem) => {
    problemCount++;
    if (problems.length < maxProblems) problems.push(p);
    if (p.seq !== null && (firstBadSeq === null || p.seq < firstBadSeq)) firstBadSeq = p.seq;
  };
  return {
    note,
    /** Take over a chain verifier's findings (its kept problems, its total and its first bad seq). */
    absorbChains(chains: { problems: Array<{ kind: VerifyProblem['kind']; seq: number | null; chainId: string | null; chainSeq: number | null; detail: string }>; problemCount: number; firstBadSeq: number | null }) {
      for (const c of chains.problems) note({ source: 'chain', kind: c.kind, seq: c.seq, chainId: c.chainId, chainSeq: c.chainSeq, checkpointId: null, detail: c.detail });
      problemCount += chains.problemCount - chains.problems.length;
      if (chains.firstBadSeq !== null && (firstBadSeq === null || chains.firstBadSeq < firstBadSeq)) firstBadSeq = chains.firstBadSeq;
    },
    summary: () => ({ ok: problemCount === 0, firstBadSeq, problemCount, problems }),
  };
}

const CHECKPOINT_BATCH = 20;

export async function verifyAuditLog(client: Sql, opts: VerifyOptions): Promise<AuditVerifyReport> {
  const batchSize = opts.batchSize ?? 5000;
  const maxProblems = opts.maxProblems ?? 20;
  const found = createProblemCollector(maxProblems);
  const note = found.note;

  return client.begin('isolation level repeatable read read only', async (tx) => {
    // The walk reads occurred_at as Postgres' text output (walkRowToRecord); pin its format.
    await tx.unsafe("set local timezone = 'UTC'");
    await tx.unsafe("set local datestyle = 'ISO, MDY'");
    // 1. The positions every checkpoint names (deduplicated: consecutive checkpoints mostly repeat
    // them), read a few checkpoints at a time so their heads never all sit in memory at once.
    const positions = new Map<string, Set<number>>();
    for await (const rows of tx<Array<{ heads: ChainHead[] }>>`select heads from audit_checkpoints order by id`.cursor(CHECKPOINT_BATCH)) {
      for (const { heads } of rows) {
        for (const h of Array.isArray(heads) ? heads : []) {
          if (typeof h?.chainId !== 'string' || !Number.isSafeInteger(h.chainSeq)) continue; // reported by checkCheckpoint
          let s = positions.get(h.chainId);
          if (!s) positions.set(h.chainId, (s = new Set()));
          s.add(h.chainSeq);
        }
      }
    }
    const track = [...trackList(positions)];
    positions.clear();

    // 2. The log, in seq order: here, or split by chain over worker threads.
    const parallelism = Math.max(1, Math.floor(opts.parallelism ?? Math.min(availableParallelism(), 4)));
    const [{ span }] = await tx<[{ span: string }]>`select coalesce(max(seq) - min(seq) + 1, 0) as span from audit_events`;
    const connection = parallelism > 1 && Number(span) >= (opts.parallelThreshold ?? 100_000) ? workerConnection(client) : null;
    let chains: ChainVerifyResult;
    if (connection) {
      const [{ snapshot }] = await tx<[{ snapshot: string }]>`select pg_export_snapshot() as snapshot`;
      chains = mergeResults(await runParts(Array.from({ length: parallelism }, (_, part) => ({ connection, snapshot, part, parts: parallelism, track, batchSize }))));
    } else {
      const verifier = createChainVerifier({ track });
      await pushWalkBatches(
        tx<AuditRow[]>`select ${tx.unsafe(WALK_COLUMNS_TEXT)} from audit_events order by seq`.cursor(batchSize)[Symbol.asyncIterator](),
        (r) => verifier.push(r),
      );
      chains = verifier.result();
    }
    found.absorbChains(chains);

    // 3. Live heads against where the walk ended.
    checkLiveHeads(await readLiveHeads(tx), await systemHeadSeqs(tx), chains, note);

    // 4. Checkpoints: by themselves, then against the log.
    let checked = 0;
    let okCount = 0;
    let latest: CheckpointSummary | null = null;
    const sequence = createCheckpointSequenceChecker(opts.publicKey);
    for await (const rows of tx<CheckpointRow[]>`select ${tx.unsafe(CHECKPOINT_COLUMNS)} from audit_checkpoints order by id`.cursor(CHECKPOINT_BATCH)) {
      for (const row of rows) {
        const cp = toStoredCheckpoint(row);
        checked++;
        let good = true;
        for (const detail of sequence.check(cp)) {
          good = false;
          note({ source: 'checkpoint', kind: 'signature', seq: null, chainId: null, chainSeq: null, checkpointId: cp.id, detail });
        }
        if (Array.isArray(cp.heads)) {
          for (const p of checkAgainstCheckpoint(chains, cp)) {
            good = false;
            // As the export verifier: a rewritten head is pinned to the event found there; for a
            // missing one the event is gone and the checkpoint's high-water seq is the bound we have.
            const seq = p.kind === 'mismatch' && p.seq !== null ? p.seq : cp.seqHighWater;
            note({ source: 'checkpoint', kind: p.kind, seq, chainId: p.chainId, chainSeq: p.chainSeq, checkpointId: cp.id, detail: p.detail });
          }
        }
        if (good) okCount++;
        latest = { id: cp.id, createdAt: cp.createdAt, seqHighWater: cp.seqHighWater, chainCount: cp.chainCount, headsDigest: cp.headsDigest };
      }
    }

    let headSeq: number | null = null;
    for (const h of chains.heads.values()) if (headSeq === null || h.seq > headSeq) headSeq = h.seq;
    const { ok, firstBadSeq, problemCount, problems } = found.summary();
    return {
      ok,
      checked: chains.checked,
      firstBadSeq,
      head: { seq: headSeq, chains: chains.heads.size },
      checkpoints: { checked, ok: okCount, latest },
      problemCount,
      problems,
    };
  }) as Promise<AuditVerifyReport>;
}

function* trackList(positions: Map<string, Set<number>>): Generator<{ chainId: string; chainSeq: number }> {
  for (const [chainId, seqs] of positions) for (const chainSeq of seqs) yield { chainId, chainSeq };
}

// ---------------------------------------------------------------------------------------------
// Parallel walk
// ---------------------------------------------------------------------------------------------

const WORKER_ENTRY = new URL(`./chain-audit-worker${path.extname(fileURLToPath(import.meta.url))}`, import.meta.url).href;
// The worker module is TypeScript when the service runs through tsx (npm start, the Dockerfile,
// vitest): the worker registers tsx's loader before importing it.
const BOOTSTRAP = `import('node:worker_threads').then(async ({ workerData }) => {
  if (workerData.tsx) (await import(workerData.tsx)).register();
  await import(workerData.entry);
});`;

function tsxLoader(): string | null {
  if (!WORKER_ENTRY.endsWith('.ts')) return null;
  const resolve = (import.meta as { resolve?: (specifier: string) => string }).resolve;
  return resolve ? resolve('tsx/esm/api') : 'tsx/esm/api';
}

/** Connection settings a worker can rebuild its own client from, or null if they cannot be sent. */
function workerConnection(client: Sql): VerifyPartInput['connection'] | null {
  const o = client.options as unknown as Record<string, unknown>;
  const settings = {
    host: o.host,
    port: o.port,
    path: o.path || undefined,
    database: o.database,
    user: o.user,
    pass: o.pass,
    ssl: o.ssl,
    connection: o.connection,
    connect_timeout: o.connect_timeout,
    target_session_attrs: o.target_session_attrs ?? undefined,
    // DATABASE_PREPARE=false (a pooler that does not track prepared statements) holds in the workers too.
    prepare: o.prepare,
  };
  try {
    return structuredClone(settings) as VerifyPartInput['connection']; // a password callback cannot cross threads
  } catch {
    return null;
  }
}

/** Runs the parts in worker threads; the first failure stops the others. */
async function runParts(inputs: VerifyPartInput[]): Promise<ChainVerifyResult[]> {
  const workers: Worker[] = [];
  const parts = inputs.map(
    (input) =>
      new Promise<ChainVerifyResult>((resolve, reject) => {
        const worker = new Worker(BOOTSTRAP, { eval: true, workerData: { ...input, entry: WORKER_ENTRY, tsx: tsxLoader() } });
        workers.push(worker);
        let settled = false;
        worker.once('message', (m: { result?: ChainVerifyResult; error?: string }) => {
          settled = true;
          if (m.result) resolve(m.result);
          else reject(new Error(`verification worker ${input.part} failed: ${m.error}`));
        });
        worker.once('error', (err) => {
          settled = true;
          reject(err);
        });
        worker.once('exit', (code) => {
          if (!settled) reject(new Error(`verification worker ${input.part} exited with code ${code}`));
        });
      }),
  );
  try {
    return await Promise.all(parts);
  } finally {
    await Promise.allSettled(workers.map((w) => w.terminate()));
  }
}

/**
 * The result one verifier over the whole log would give, from verifiers over disjoint sets of
 * chains each walked in seq order. Problems are reported in seq order by each, and every seq
 * belongs to one part, so a stable sort by seq restores the one-verifier order; each part kept
 * its first MAX_REPORTED_PROBLEMS, which include every one of the overall first that is theirs.
 */
export function mergeResults(parts: ChainVerifyResult[]): ChainVerifyResult {
  let checked = 0;
  let problemCount = 0;
  let firstBadSeq: number | null = null;
  const heads = new Map<string, ChainVerifyResult['heads'] extends Map<string, infer H> ? H : never>();
  const tracked = new Map<string, Map<number, TrackedPosition | null>>();
  for (const p of parts) {
    checked += p.checked;
    problemCount += p.problemCount;
    if (p.firstBadSeq !== null && (firstBadSeq === null || p.firstBadSeq < firstBadSeq)) firstBadSeq = p.firstBadSeq;
    for (const [chainId, head] of p.heads) heads.set(chainId, head);
    for (const [chainId, positions] of p.tracked) {
      let m = tracked.get(chainId);
      if (!m) tracked.set(chainId, (m = new Map()));
      for (const [chainSeq, pos] of positions) if (pos !== null || !m.has(chainSeq)) m.set(chainSeq, pos);
    }
  }
  const problems = parts
    .flatMap((p) => p.problems)
    .sort((a, b) => a.seq - b.seq) // stable
    .slice(0, MAX_REPORTED_PROBLEMS);
  return { ok: problemCount === 0, checked, firstBadSeq, problems, problemCount, heads, tracked };
}

/** seq of each non-project head (audit_chain_heads stores it; project rows do not). */
export async function systemHeadSeqs(tx: SqlClient): Promise<Map<string, number>> {
  const rows = await tx<Array<{ chain_id: string; seq: string }>>`select chain_id, seq from audit_chain_heads`;
  return new Map(rows.map((r) => [r.chain_id, Number(r.seq)]));
}

export function checkLiveHeads(
  live: ChainHead[],
  liveSeqs: Map<string, number>,
  chains: Pick<ChainVerifyResult, 'heads'>,
  note: (p: VerifyProblem) => void,
): void {
  const seen = new Set<string>();
  for (const h of live) {
    seen.add(h.chainId);
    const walked = chains.heads.get(h.chainId);
    const base = { source: 'live_head' as const, chainId: h.chainId, chainSeq: h.chainSeq, checkpointId: null };
    if (!walked) {
      note({ ...base, kind: 'missing', seq: liveSeqs.get(h.chainId) ?? null, detail: `the head of chain ${h.chainId} is at chainSeq ${h.chainSeq}, but the log has no event of that chain` });
    } else if (walked.chainSeq !== h.chainSeq || walked.rowHash !== h.rowHash) {
      // The chain's last event is where appends continue from; a head elsewhere means events were
      // removed (head ahead of the log), or the head or the log was rewritten.
      const seq = walked.chainSeq >= h.chainSeq ? walked.seq : (liveSeqs.get(h.chainId) ?? null);
      note({
        ...base,
        kind: 'mismatch',
        seq,
        detail: `the head of chain ${h.chainId} is chainSeq ${h.chainSeq} ${h.rowHash.slice(0, 12)}…, the log ends at chainSeq ${walked.chainSeq} ${walked.rowHash.slice(0, 12)}… (seq ${walked.seq})`,
      });
    }
  }
  const unrecorded = [...chains.heads].filter(([chainId]) => !seen.has(chainId)).sort((a, b) => a[1].seq - b[1].seq);
  for (const [chainId, walked] of unrecorded) {
    note({
      source: 'live_head',
      kind: 'unrecorded',
      seq: walked.seq,
      chainId,
      chainSeq: walked.chainSeq,
      checkpointId: null,
      detail: `chain ${chainId} has events up to chainSeq ${walked.chainSeq} but no recorded head`,
    });
  }
}
