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
 */
import type { KeyObject } from 'node:crypto';
import type { Sql } from '../../infra/database';
import type { ChainHead } from './audit-hash';
import { checkAgainstCheckpoint, createChainVerifier, type ChainVerifyResult } from './chain-verifier';
import { checkCheckpoint } from './checkpoint-signature';
import { AUDIT_COLUMNS_TEXT } from './audit-query';
import { toRecord, type AuditRow } from './audit-reader';
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
}

const CHECKPOINT_BATCH = 20;

export async function verifyAuditLog(client: Sql, opts: VerifyOptions): Promise<AuditVerifyReport> {
  const batchSize = opts.batchSize ?? 5000;
  const maxProblems = opts.maxProblems ?? 20;
  const problems: VerifyProblem[] = [];
  let problemCount = 0;
  let firstBadSeq: number | null = null;
  const note = (p: VerifyProblem) => {
    problemCount++;
    if (problems.length < maxProblems) problems.push(p);
    if (p.seq !== null && (firstBadSeq === null || p.seq < firstBadSeq)) firstBadSeq = p.seq;
  };

  return client.begin('isolation level repeatable read read only', async (tx) => {
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
    const verifier = createChainVerifier({ track: trackList(positions) });
    positions.clear();

    // 2. The log, in seq order.
    for await (const rows of tx<AuditRow[]>`select ${tx.unsafe(AUDIT_COLUMNS_TEXT)} from audit_events order by seq`.cursor(batchSize)) {
      for (let i = 0; i < rows.length; i++) verifier.push(toRecord(rows[i]!));
    }
    const chains = verifier.result();
    for (const p of chains.problems) note({ source: 'chain', kind: p.kind, seq: p.seq, chainId: p.chainId, chainSeq: p.chainSeq, checkpointId: null, detail: p.detail });
    problemCount += chains.problemCount - chains.problems.length;
    if (chains.firstBadSeq !== null && (firstBadSeq === null || chains.firstBadSeq < firstBadSeq)) firstBadSeq = chains.firstBadSeq;

    // 3. Live heads against where the walk ended.
    checkLiveHeads(await readLiveHeads(tx), await systemHeadSeqs(tx), chains, note);

    // 4. Checkpoints: by themselves, then against the log.
    let checked = 0;
    let okCount = 0;
    let latest: CheckpointSummary | null = null;
    for await (const rows of tx<CheckpointRow[]>`select ${tx.unsafe(CHECKPOINT_COLUMNS)} from audit_checkpoints order by id`.cursor(CHECKPOINT_BATCH)) {
      for (const row of rows) {
        const cp = toStoredCheckpoint(row);
        checked++;
        let good = true;
        for (const detail of checkCheckpoint(cp, opts.publicKey)) {
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
    return {
      ok: problemCount === 0,
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

/** seq of each non-project head (audit_chain_heads stores it; project rows do not). */
async function systemHeadSeqs(tx: SqlClient): Promise<Map<string, number>> {
  const rows = await tx<Array<{ chain_id: string; seq: string }>>`select chain_id, seq from audit_chain_heads`;
  return new Map(rows.map((r) => [r.chain_id, Number(r.seq)]));
}

function checkLiveHeads(
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
  for (const [chainId, walked] of chains.heads) {
    if (seen.has(chainId)) continue;
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
