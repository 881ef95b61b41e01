/**
 * Routine verification that costs what changed since a checkpoint (GET /v1/audit/verify; the full
 * walk in chain-audit.ts stays for audits, `?full=true`).
 *
 * A signed checkpoint certifies the chains up to the heads it holds. From checkpoint B (default:
 * the latest), in one REPEATABLE READ snapshot, this checks:
 *   1. the checkpoint chain itself: every checkpoint's signature, previousId, and (version 2) the
 *      Merkle root rebuilt from the changed heads — which also yields the heads B holds;
 *   2. B's heads are still in the log with the same rowHash: for the chains that did not move,
 *      B's head is the live head, checked against the log in one join in SQL (nothing uploaded);
 *      a tail cut back to or below B, or an event at B's head rewritten, shows here;
 *   3. every event after B's head of each chain whose live head moved, through the same chain
 *      verifier as the full walk, seeded with B's head (so the first new event must link to it),
 *      tracking every later checkpoint's heads, then those heads and the live heads against it;
 *   4. the number of events equals the sum of the chain lengths (a deleted or inserted old event).
 * What it cannot see, by design: an old event before B edited without touching B's head or the
 * count (only rehashing shows that: the full walk, and the offline verifier on an export).
 */
import type { KeyObject } from 'node:crypto';
import type { Sql } from '../../infra/database';
import type { ChainHead } from './audit-hash';
import { pushWalkBatches, WALK_COLUMNS_TEXT } from './audit-query';
import type { AuditRow } from './audit-reader';
import { checkLiveHeads, createProblemCollector, systemHeadSeqs, verifyAuditLog, type AuditVerifyReport, type CheckpointSummary } from './chain-audit';
import { checkAgainstCheckpoint, createChainVerifier } from './chain-verifier';
import { CHECKPOINT_COLUMNS, readLiveHeads, toStoredCheckpoint, type CheckpointRow, type StoredCheckpoint } from './checkpoint-service';
import { createCheckpointSequenceChecker } from './checkpoint-sequence';

export interface IncrementalVerifyReport extends AuditVerifyReport {
  mode: 'incremental' | 'full';
  /** The checkpoint the walk started from (null: there was none, so the whole log was walked). */
  since: { checkpointId: number; seqHighWater: number } | null;
}

export class UnknownCheckpointError extends Error {}

export async function verifyAuditLogIncremental(
  client: Sql,
  opts: { publicKey: KeyObject; sinceCheckpointId?: number; maxProblems?: number; batchSize?: number },
): Promise<IncrementalVerifyReport> {
  const maxProblems = opts.maxProblems ?? 20;
  const found = createProblemCollector(maxProblems);
  const note = found.note;

  const report = await client.begin('isolation level repeatable read read only', async (tx) => {
    await tx.unsafe("set local timezone = 'UTC'");
    await tx.unsafe("set local datestyle = 'ISO, MDY'");
    const [{ latest }] = await tx<[{ latest: string | null }]>`select max(id) as latest from audit_checkpoints`;
    if (latest === null) return null; // nothing certifies any part of the log: walk it all
    const baseId = opts.sinceCheckpointId ?? Number(latest);

    // 1. The checkpoint chain, and the heads B holds.
    const sequence = createCheckpointSequenceChecker(opts.publicKey);
    let base: StoredCheckpoint | null = null;
    let baseHeads: ChainHead[] | null = null;
    const later: StoredCheckpoint[] = []; // after B: only their (changed) heads are kept
    let checked = 0;
    let okCount = 0;
    let latestSummary: CheckpointSummary | null = null;
    for await (const rows of tx<CheckpointRow[]>`select ${tx.unsafe(CHECKPOINT_COLUMNS)} from audit_checkpoints order by id`.cursor(20)) {
      for (const row of rows) {
        const cp = toStoredCheckpoint(row);
        checked++;
        let good = true;
        for (const detail of sequence.check(cp)) {
          good = false;
          note({ source: 'checkpoint', kind: 'signature', seq: null, chainId: null, chainSeq: null, checkpointId: cp.id, detail });
        }
        if (good) okCount++;
        if (cp.id === baseId) {
          base = cp;
          const tree = cp.version === 2 ? sequence.tree() : null;
          if (good) baseHeads = cp.version === 1 ? cp.heads.map(({ chainId, chainSeq, rowHash }) => ({ chainId, chainSeq, rowHash })) : tree ? tree.heads.map((h) => ({ ...h })) : null;
        } else if (cp.id > baseId) {
          later.push({ ...cp, heads: cp.heads.map(({ chainId, chainSeq, rowHash }) => ({ chainId, chainSeq, rowHash })) });
        }
        latestSummary = { id: cp.id, createdAt: cp.createdAt, seqHighWater: cp.seqHighWater, chainCount: cp.chainCount, headsDigest: cp.headsDigest };
      }
    }
    if (base === null) throw new UnknownCheckpointError(`there is no checkpoint #${baseId}`);
    // A base that does not verify certifies nothing: the full walk decides.
    if (baseHeads === null) return null;

    // 3. What moved since B.
    const live = await readLiveHeads(tx, { sorted: false });
    const byChain = new Map(baseHeads.map((h) => [h.chainId, h]));
    const moved = live.filter((h) => {
      const b = byChain.get(h.chainId);
      return b === undefined || b.chainSeq !== h.chainSeq || b.rowHash !== h.rowHash;
    });
    const movedIds = new Set(moved.map((h) => h.chainId));

    // 2. B's heads still in the log. For a chain that did not move, B's head is its live head, so
    // one join in SQL finds every live head whose event is gone or different (nothing uploaded);
    // a chain that moved is judged by the walk from B's head below.
    const gone = await tx<Array<{ c: string; s: number; r: string; row_hash: string | null; seq: string | null }>>`
      with live as (
        select id::text as c, chain_seq as s, chain_head as r from projects where chain_seq > 0
        union all
        select chain_id, chain_seq, row_hash from audit_chain_heads)
      select live.c, live.s, live.r, a.row_hash, a.seq
      from live left join audit_events a on a.chain_id = live.c and a.chain_seq = live.s
      where a.row_hash is distinct from live.r`;
    for (const g of gone) {
      if (movedIds.has(g.c)) continue;
      const seq = g.seq === null ? base.seqHighWater : Number(g.seq);
      note({
        source: 'checkpoint',
        kind: g.row_hash === null ? 'missing' : 'mismatch',
        seq,
        chainId: g.c,
        chainSeq: g.s,
        checkpointId: base.id,
        detail: g.row_hash === null ? `chain ${g.c} has no event at chainSeq ${g.s} (truncated or deleted)` : `chain ${g.c} chainSeq ${g.s} (seq ${g.seq}) has a different rowHash than the checkpoint (rewritten)`,
      });
    }

    // 3. What moved since B: the events after B's head.
    const liveIds = new Set(live.map((h) => h.chainId));
    for (const b of baseHeads) {
      if (!liveIds.has(b.chainId)) {
        note({ source: 'live_head', kind: 'missing', seq: base.seqHighWater, chainId: b.chainId, chainSeq: b.chainSeq, checkpointId: null, detail: `chain ${b.chainId} is in checkpoint #${base.id} but has no live head` });
      }
    }
    // Seeds carry B's high-water as their seq: where B's head lies at the latest, which is where a
    // problem found at the seed (a head cut back below B) is pinned.
    const start = moved.flatMap((h) => (byChain.has(h.chainId) ? [{ ...byChain.get(h.chainId)!, seq: base!.seqHighWater }] : []));
    const track = later.flatMap((cp) => cp.heads.filter((h) => !isBaseHead(byChain, h)).map(({ chainId, chainSeq }) => ({ chainId, chainSeq })));
    const verifier = createChainVerifier({ start, track });
    if (moved.length > 0) {
      const from = JSON.stringify(moved.map((h) => ({ c: h.chainId, after: byChain.get(h.chainId)?.chainSeq ?? 0 })));
      await pushWalkBatches(
        tx<AuditRow[]>`
          select ${tx.unsafe(WALK_COLUMNS_TEXT)}
          from jsonb_to_recordset(${from}::text::jsonb) as h(c text, after int)
            cross join lateral (select * from audit_events e where e.chain_id = h.c and e.chain_seq > h.after) as audit_events
          order by seq`.cursor(opts.batchSize ?? 5000)[Symbol.asyncIterator](),
        (r) => verifier.push(r),
      );
    }
    const chains = verifier.result();
    found.absorbChains(chains);
    checkLiveHeads(moved, await systemHeadSeqs(tx), { heads: new Map([...chains.heads].filter(([id]) => movedIds.has(id))) }, note);
    for (const cp of later) {
      const heads = cp.heads.filter((h) => !isBaseHead(byChain, h));
      for (const p of checkAgainstCheckpoint(chains, { heads })) {
        const seq = p.kind === 'mismatch' && p.seq !== null ? p.seq : cp.seqHighWater;
        note({ source: 'checkpoint', kind: p.kind, seq, chainId: p.chainId, chainSeq: p.chainSeq, checkpointId: cp.id, detail: p.detail });
      }
    }

    // 4. Event count against the chain lengths.
    const [{ events, lengths, head_seq }] = await tx<[{ events: string; lengths: string; head_seq: string | null }]>`
      select (select count(*) from audit_events) as events, (select max(seq) from audit_events) as head_seq,
        (select coalesce(sum(chain_seq), 0) from projects) + (select coalesce(sum(chain_seq), 0) from audit_chain_heads) as lengths`;
    if (events !== lengths) {
      note({ source: 'chain', kind: 'count', seq: null, chainId: null, chainSeq: null, checkpointId: null, detail: `the log holds ${events} events but the chains are ${lengths} long (events deleted or inserted)` });
    }

    const { ok, firstBadSeq, problemCount, problems } = found.summary();
    return {
      ok,
      checked: chains.checked,
      firstBadSeq,
      head: { seq: head_seq === null ? null : Number(head_seq), chains: live.length },
      checkpoints: { checked, ok: okCount, latest: latestSummary },
      problemCount,
      problems,
      mode: 'incremental' as const,
      since: { checkpointId: base.id, seqHighWater: base.seqHighWater },
    };
  });
  if (report !== null) return report as IncrementalVerifyReport;
  return { ...(await verifyAuditLog(client, { publicKey: opts.publicKey })), mode: 'full', since: null };
}

function isBaseHead(byChain: Map<string, ChainHead>, h: ChainHead): boolean {
  const b = byChain.get(h.chainId);
  return b !== undefined && b.chainSeq === h.chainSeq && b.rowHash === h.rowHash;
}
