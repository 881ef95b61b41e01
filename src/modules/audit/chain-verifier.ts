/**
 * Verifies audit hash chains (one per project plus 'system') from a stream of events in global seq
 * order, in memory proportional to the number of chains, not events: per chain only the last
 * (chainSeq, rowHash, seq) is kept. Used by the standalone export verifier and by the server.
 *
 * Per event it checks:
 *   - seq strictly increases over the whole stream (out_of_order / duplicate), checked between
 *     adjacent rows;
 *   - chainSeq is the chain's previous chainSeq + 1, starting at 1 (chain_gap / out_of_order /
 *     duplicate — a repeated chainSeq is a fork: two events claiming the same place);
 *   - prevHash equals the previous event's rowHash in that chain (broken_link), or the chain's
 *     genesis hash for chainSeq 1 (bad_genesis);
 *   - the stored rowHash equals the one recomputed from the content (hash_mismatch).
 * After a problem it resynchronises on the stored values, so one tampered row is reported once and
 * later, independent problems are still found.
 *
 * What a chain alone cannot show: a tail that was cut off, or rewritten and re-sealed consistently.
 * Signed checkpoints of the chain heads cover that (checkAgainstCheckpoint / verifyCheckpointHeads).
 */
import { genesisHash, isHexSha256, recomputeRowHash, type AuditEventRecord, type ChainHead } from './audit-hash';

export type ChainProblemKind = 'hash_mismatch' | 'broken_link' | 'chain_gap' | 'bad_genesis' | 'out_of_order' | 'duplicate';

export interface ChainProblem {
  seq: number;
  chainId: string;
  chainSeq: number;
  kind: ChainProblemKind;
  detail: string;
}

export interface VerifiedHead {
  chainSeq: number;
  rowHash: string;
  seq: number;
}

/** Where a tracked chain position was found in the stream. */
export interface TrackedPosition {
  rowHash: string;
  seq: number;
}

export interface ChainVerifyResult {
  ok: boolean;
  /** Events pushed. */
  checked: number;
  /** Smallest seq with a problem, null when ok. */
  firstBadSeq: number | null;
  /** At most MAX_REPORTED_PROBLEMS; problemCount has the total. */
  problems: ChainProblem[];
  problemCount: number;
  /** Last event of each chain seen (highest chainSeq accepted). */
  heads: Map<string, VerifiedHead>;
  /** Every position asked for with `track`: where it was found, or null if not in the stream. */
  tracked: Map<string, Map<number, TrackedPosition | null>>;
}

export interface ChainVerifier {
  push(e: AuditEventRecord): void;
  result(): ChainVerifyResult;
}

export interface ChainVerifierOptions {
  /**
   * Chain positions whose rowHash should be remembered while streaming — typically the heads of
   * every checkpoint, which are older than the export's end. Memory grows with these, not with
   * the number of events.
   */
  track?: Iterable<{ chainId: string; chainSeq: number }>;
  /**
   * Chains that continue from a known head (incremental verification from a checkpoint): their
   * next event must be chainSeq + 1 and link to rowHash, as if the head had been pushed.
   */
  start?: Iterable<{ chainId: string; chainSeq: number; rowHash: string; seq?: number }>;
}

export const MAX_REPORTED_PROBLEMS = 100;

interface ChainState {
  chainSeq: number;
  rowHash: string;
  seq: number;
  /** Tracked positions of this chain (chainSeq → found), undefined when none are tracked. */
  track: Map<number, TrackedPosition | null> | undefined;
}

export function createChainVerifier(options: ChainVerifierOptions = {}): ChainVerifier {
  const chains = new Map<string, ChainState>();
  // Tracked positions of chains not seen yet; moved into their ChainState on first sight so that
  // the hot path costs one property read.
  const pendingTracks = new Map<string, Map<number, TrackedPosition | null>>();
  for (const { chainId, chainSeq } of options.track ?? []) {
    let m = pendingTracks.get(chainId);
    if (!m) pendingTracks.set(chainId, (m = new Map()));
    m.set(chainSeq, null);
  }
  const allTracks = new Map(pendingTracks);
  for (const h of options.start ?? []) {
    chains.set(h.chainId, { chainSeq: h.chainSeq, rowHash: h.rowHash, seq: h.seq ?? 0, track: pendingTracks.get(h.chainId) });
    pendingTracks.delete(h.chainId);
  }

  const problems: ChainProblem[] = [];
  let problemCount = 0;
  let firstBadSeq: number | null = null;
  let checked = 0;
  let prevSeq = -Infinity;

  function report(e: AuditEventRecord, kind: ChainProblemKind, detail: string) {
    problemCount++;
    if (problems.length < MAX_REPORTED_PROBLEMS) {
      problems.push({ seq: e.seq, chainId: e.chainId, chainSeq: e.chainSeq, kind, detail });
    }
    if (firstBadSeq === null || e.seq < firstBadSeq) firstBadSeq = e.seq;
  }

  function push(e: AuditEventRecord): void {
    checked++;

    // 1. Global order. Comparing with the previous row only is complete (a sequence is strictly
    // increasing iff every adjacent pair is) and a row moved far ahead is reported at its two
    // ends instead of at every row it jumped over.
    let orderIssue: ChainProblemKind | null = null;
    if (e.seq === prevSeq) report(e, (orderIssue = 'duplicate'), `seq ${e.seq} appears twice`);
    else if (e.seq < prevSeq) report(e, (orderIssue = 'out_of_order'), `seq ${e.seq} comes after seq ${prevSeq}`);
    prevSeq = e.seq;

    // 2. Position and link within the chain.
    let state = chains.get(e.chainId);
    let advance = true;
    if (state === undefined) {
      if (e.chainSeq !== 1) {
        report(e, 'chain_gap', `chain starts at chainSeq ${e.chainSeq}, expected 1`);
      } else if (e.prevHash !== genesisHash(e.chainId)) {
        report(e, 'bad_genesis', `prevHash of chainSeq 1 is not the genesis hash of chain ${e.chainId}`);
      }
      state = { chainSeq: 0, rowHash: '', seq: 0, track: pendingTracks.get(e.chainId) };
      pendingTracks.delete(e.chainId);
      chains.set(e.chainId, state);
    } else if (e.chainSeq === state.chainSeq + 1) {
      if (e.prevHash !== state.rowHash) {
        report(e, 'broken_link', `prevHash does not match rowHash of chainSeq ${state.chainSeq} (seq ${state.seq})`);
      }
    } else if (e.chainSeq > state.chainSeq) {
      report(e, 'chain_gap', `chainSeq jumps from ${state.chainSeq} (seq ${state.seq}) to ${e.chainSeq}`);
    } else {
      // Do not move the head back: the rest of the chain links to the events already accepted.
      // A row exported twice or moved is already reported by the global check: report it once.
      advance = false;
      if (e.chainSeq === state.chainSeq) {
        if (orderIssue !== 'duplicate') report(e, 'duplicate', `chainSeq ${e.chainSeq} appears twice (fork; first at seq ${state.seq})`);
      } else if (orderIssue !== 'out_of_order') {
        report(e, 'out_of_order', `chainSeq ${e.chainSeq} comes after chainSeq ${state.chainSeq} (seq ${state.seq})`);
      }
    }

    // 3. Content. Comparing against the recomputed (always well-formed) hash also rejects a
    // malformed stored rowHash.
    if (recomputeRowHash(e) !== e.rowHash) {
      report(e, 'hash_mismatch', isHexSha256(e.rowHash) ? 'rowHash does not match the content' : 'rowHash is not a lowercase hex SHA-256');
    }

    if (state.track !== undefined && state.track.has(e.chainSeq) && state.track.get(e.chainSeq) === null) {
      state.track.set(e.chainSeq, { rowHash: e.rowHash, seq: e.seq });
    }
    // Resynchronise on the stored values (even after a problem) so the next event is judged on
    // its own link.
    if (advance) {
      state.chainSeq = e.chainSeq;
      state.rowHash = e.rowHash;
      state.seq = e.seq;
    }
  }

  function result(): ChainVerifyResult {
    const heads = new Map<string, VerifiedHead>();
    for (const [chainId, s] of chains) heads.set(chainId, { chainSeq: s.chainSeq, rowHash: s.rowHash, seq: s.seq });
    const tracked = new Map<string, Map<number, TrackedPosition | null>>();
    for (const [chainId, m] of allTracks) tracked.set(chainId, new Map(m));
    return { ok: problemCount === 0, checked, firstBadSeq, problems: [...problems], problemCount, heads, tracked };
  }

  return { push, result };
}

/**
 * Why a parsed export line cannot be treated as an event, or null. Checks only the fields the
 * verifier navigates by; everything else is covered by rowHash.
 */
export function auditEventShapeError(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const e = value as Record<string, unknown>;
  if (!Number.isSafeInteger(e.seq) || (e.seq as number) < 0) return 'seq is not a non-negative integer';
  if (typeof e.chainId !== 'string' || e.chainId === '') return 'chainId is not a non-empty string';
  if (!Number.isSafeInteger(e.chainSeq) || (e.chainSeq as number) < 1) return 'chainSeq is not a positive integer';
  if (typeof e.prevHash !== 'string') return 'prevHash is not a string';
  if (typeof e.rowHash !== 'string') return 'rowHash is not a string';
  return null;
}

/** Verifies a whole sequence of events (sync or async, e.g. a database cursor). */
export async function verifyEvents(
  events: Iterable<AuditEventRecord> | AsyncIterable<AuditEventRecord>,
  options?: ChainVerifierOptions,
): Promise<ChainVerifyResult> {
  const v = createChainVerifier(options);
  if (Symbol.asyncIterator in events) {
    for await (const e of events) v.push(e);
  } else {
    for (const e of events) v.push(e); // no await per event for arrays and other sync sources
  }
  return v.result();
}

/** Synchronous variant for arrays and other sync iterables. */
export function verifyEventsSync(events: Iterable<AuditEventRecord>, options?: ChainVerifierOptions): ChainVerifyResult {
  const v = createChainVerifier(options);
  for (const e of events) v.push(e);
  return v.result();
}

// ---------------------------------------------------------------------------------------------
// Checking chain heads recorded in a checkpoint
// ---------------------------------------------------------------------------------------------

export interface CheckpointHeadProblem {
  chainId: string;
  chainSeq: number;
  /**
   * missing: the event is not there (tail truncated, chain deleted); mismatch: it was rewritten;
   * untracked: checkAgainstCheckpoint was not given that position, so it could not be compared.
   */
  kind: 'missing' | 'mismatch' | 'untracked';
  expected: string;
  actual: string | null;
  /** seq of the event found at that position (mismatch only). */
  seq: number | null;
  detail: string;
}

/** Looks up the stored rowHash (and seq if known) at a chain position. */
export type ChainPositionLookup = (
  chainId: string,
  chainSeq: number,
) => string | { rowHash: string; seq?: number | null } | undefined;

/**
 * Every head of a checkpoint must still exist with the same rowHash. The server passes a lookup
 * into its table; the export verifier one into what it saw while streaming.
 */
export function verifyCheckpointHeads(checkpointHeads: Iterable<ChainHead>, lookup: ChainPositionLookup): CheckpointHeadProblem[] {
  const out: CheckpointHeadProblem[] = [];
  for (const h of checkpointHeads) {
    const found = lookup(h.chainId, h.chainSeq);
    if (found === undefined) {
      out.push({
        chainId: h.chainId,
        chainSeq: h.chainSeq,
        kind: 'missing',
        expected: h.rowHash,
        actual: null,
        seq: null,
        detail: `chain ${h.chainId} has no event at chainSeq ${h.chainSeq} (truncated or deleted)`,
      });
      continue;
    }
    const actual = typeof found === 'string' ? found : found.rowHash;
    const seq = typeof found === 'string' ? null : (found.seq ?? null);
    if (actual !== h.rowHash) {
      out.push({
        chainId: h.chainId,
        chainSeq: h.chainSeq,
        kind: 'mismatch',
        expected: h.rowHash,
        actual,
        seq,
        detail: `chain ${h.chainId} chainSeq ${h.chainSeq}${seq === null ? '' : ` (seq ${seq})`} has a different rowHash than the checkpoint (rewritten)`,
      });
    }
  }
  return out;
}

/**
 * Checks a checkpoint's heads against a verification result. A head older than the end of its
 * chain can only be checked if its position was tracked (createChainVerifier({ track })); an
 * untracked one is reported as 'untracked' rather than assumed fine.
 */
export function checkAgainstCheckpoint(
  verified: Pick<ChainVerifyResult, 'heads'> & Partial<Pick<ChainVerifyResult, 'tracked'>>,
  checkpoint: { heads: Iterable<ChainHead> },
): CheckpointHeadProblem[] {
  const out: CheckpointHeadProblem[] = [];
  for (const h of checkpoint.heads) {
    const head = verified.heads.get(h.chainId);
    const trackedChain = verified.tracked?.get(h.chainId);
    if (trackedChain?.has(h.chainSeq)) {
      const pos = trackedChain.get(h.chainSeq) ?? undefined; // null: tracked, never seen
      out.push(...verifyCheckpointHeads([h], () => pos));
    } else if (head && head.chainSeq > h.chainSeq) {
      out.push({
        chainId: h.chainId,
        chainSeq: h.chainSeq,
        kind: 'untracked',
        expected: h.rowHash,
        actual: null,
        seq: null,
        detail: `chain ${h.chainId} chainSeq ${h.chainSeq} was not tracked while verifying; cannot compare`,
      });
    } else {
      out.push(...verifyCheckpointHeads([h], () => (head && head.chainSeq === h.chainSeq ? head : undefined)));
    }
  }
  return out;
}

/** Tracking list for createChainVerifier: every head of every checkpoint. */
export function checkpointPositions(checkpoints: Iterable<{ heads: Iterable<ChainHead> }>): Array<{ chainId: string; chainSeq: number }> {
  const out: Array<{ chainId: string; chainSeq: number }> = [];
  for (const cp of checkpoints) for (const h of cp.heads) out.push({ chainId: h.chainId, chainSeq: h.chainSeq });
  return out;
}
