/**
 * Signed checkpoints of the audit chain heads (DESIGN.md §2 "Audit log").
 *
 * A checkpoint (version 2) reads, in one consistent snapshot, the chain heads that differ from the
 * previous checkpoint's tree (project heads from projects.chain_seq/chain_head, the 'system' head
 * from audit_chain_heads, diffed in SQL against audit_merkle_leaves), applies them to the RFC 6962
 * Merkle tree kept in memory, signs the root with the Ed25519 key kept outside the database, and
 * appends the checkpoint with only the changed heads to audit_checkpoints (append-only). Its cost
 * follows the chains that moved, not the number of chains. Whoever later rewrites or truncates a
 * chain cannot make the rewritten rows agree with a checkpoint signed before, without the key.
 * Version-1 checkpoints (every head, flat digest) made before keep verifying as they are.
 *
 * Checkpoints are made periodically (start/stop) and after every decision (reason 'decision');
 * a periodic one is skipped when nothing changed since the latest.
 */
import type { KeyObject } from 'node:crypto';
import type { TransactionSql } from 'postgres';
import type { Db, Sql } from '../../infra/database';
import type { ChainHead } from './audit-hash';
import {
  loadOrCreateCheckpointKey,
  signCheckpoint,
  type CheckpointBody,
  type CheckpointHead,
  type CheckpointKey,
  type SignedCheckpoint,
} from './checkpoint-signature';
import { applyChangedHeads, createCheckpointSequenceChecker, emptyCheckpointTree, type CheckpointTree } from './checkpoint-sequence';
import { leafHash } from './merkle-tree';

type Counts = { decided: number; appraised: number; events: number };

/** What proves a chain's head is in a signed checkpoint (RFC 6962 audit path). */
export interface InclusionProof {
  /** The signed checkpoint fields (its changed heads left out), signature and key id. */
  checkpoint: Omit<StoredCheckpoint, 'heads'>;
  leafIndex: number;
  treeSize: number;
  /** The chain head the leaf holds: chainId, chainSeq, rowHash. */
  leaf: ChainHead;
  /** Sibling hashes, leaf to root (hex). */
  auditPath: string[];
}

export interface CheckpointServiceDeps {
  db: Db;
  /** File holding the Ed25519 private key (PEM), outside the database. */
  keyFile: string;
  clock: () => Date;
  /** Where failures of periodic checkpoints are reported (they never throw out of the timer). */
  log?: { error(obj: object, msg: string): void };
}

/** Why a checkpoint was made; 'decision' checkpoints are made even when nothing changed. */
export type CheckpointReason = 'periodic' | 'decision' | 'manual' | (string & {});

/** A stored checkpoint: the signed fields, the heads they digest, and why it was made. */
export interface StoredCheckpoint extends SignedCheckpoint {
  reason: string;
}

/** Columns of audit_checkpoints in the shape of StoredCheckpoint (created_at exactly as signed). */
export const CHECKPOINT_COLUMNS = `id, to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as created_at, reason,
  seq_high_water, chain_count, heads_digest, counts, heads, key_id, signature, version, previous_id`;

export interface CheckpointRow {
  id: string | number;
  created_at: string;
  reason: string;
  seq_high_water: string | number;
  chain_count: number;
  heads_digest: string;
  counts: { decided: number; appraised: number; events: number };
  heads: CheckpointHead[];
  key_id: string;
  signature: string;
  version: number;
  previous_id: string | number | null;
}

export function toStoredCheckpoint(r: CheckpointRow): StoredCheckpoint {
  const versioned = r.version === 1 ? {} : { previousId: r.previous_id === null ? null : Number(r.previous_id) };
  return {
    id: Number(r.id),
    version: r.version as 1 | 2,
    ...versioned,
    createdAt: r.created_at,
    seqHighWater: Number(r.seq_high_water),
    chainCount: r.chain_count,
    headsDigest: r.heads_digest,
    counts: r.counts,
    keyId: r.key_id,
    signature: r.signature,
    heads: r.heads,
    reason: r.reason,
  };
}

/**
 * Sorted in UTF-8 byte order of chain ids: the order headsDigest uses, and the order new chains
 * take their leaves in. Each id is encoded once (a comparator encoding both sides would allocate
 * two buffers per comparison: seconds for 71,000 heads).
 */
function sortByChainId<T extends ChainHead>(heads: T[]): T[] {
  const keyed = heads.map((h) => ({ h, key: Buffer.from(h.chainId, 'utf8') }));
  keyed.sort((a, b) => Buffer.compare(a.key, b.key));
  return keyed.map((k) => k.h);
}

/** A postgres.js client or transaction. */
export type SqlClient = Sql | TransactionSql;

/**
 * The postgres.js client under a drizzle instance (drizzle's `$client`): cursors, COPY and
 * transaction options that drizzle does not expose.
 */
export function sqlClientOf(db: Db): Sql {
  const client = (db as unknown as { $client?: Sql }).$client;
  if (typeof client !== 'function') throw new TypeError('the drizzle instance does not expose its postgres.js client ($client)');
  return client;
}

/**
 * Every chain head as of the transaction's snapshot, in chain-id byte order (or unsorted: sorting
 * 71,000 ids by their bytes costs more than reading them).
 */
export async function readLiveHeads(tx: SqlClient, opts: { sorted?: boolean } = {}): Promise<ChainHead[]> {
  const rows = await tx<Array<{ chain_id: string; chain_seq: number; row_hash: string }>>`
    select id::text as chain_id, chain_seq, chain_head as row_hash from projects where chain_seq > 0
    union all
    select chain_id, chain_seq, row_hash from audit_chain_heads`;
  const heads = rows.map((r) => ({ chainId: r.chain_id, chainSeq: r.chain_seq, rowHash: r.row_hash }));
  return opts.sorted === false ? heads : sortByChainId(heads);
}

const BUSY = Symbol('checkpoint maker busy');

export function createCheckpointService(deps: CheckpointServiceDeps) {
  const client = sqlClientOf(deps.db);
  let keyPromise: Promise<CheckpointKey> | undefined;
  let timer: NodeJS.Timeout | undefined;
  /** Checkpoints being made right now (any caller), so stop() can wait for them. */
  const running = new Set<Promise<unknown>>();

  function key(): Promise<CheckpointKey> {
    keyPromise ??= loadOrCreateCheckpointKey(deps.keyFile).catch((err: unknown) => {
      keyPromise = undefined; // a transient I/O error must not poison every later attempt
      throw err;
    });
    return keyPromise;
  }

  async function make(reason: CheckpointReason): Promise<StoredCheckpoint | null> {
    if (typeof reason !== 'string' || reason.length === 0 || reason.length > 64) throw new TypeError('a checkpoint reason is 1-64 characters');
    const signingKey = await key(); // before the transaction: never hold a snapshot open on file I/O
    // Serialise checkpoint makers (several instances may run the timer) with a TRANSACTION-scoped
    // advisory lock, so nothing outlives the transaction (transaction-pooling PgBouncer, a killed
    // connection). The snapshot of a repeatable-read transaction is taken by its first statement,
    // so that statement must not wait for the lock (a snapshot taken before the wait would miss
    // the previous maker's checkpoint): it only TRIES. Busy → another maker is at work right now:
    // a periodic checkpoint leaves it to that one; a decision's retries in a new transaction,
    // whose snapshot then follows the other's commit. (Between the snapshot and the try there
    // is a window of one statement in which the other could commit; the worst case is one
    // redundant checkpoint, each one still signing a consistent snapshot.)
    for (let attempt = 1; ; attempt++) {
      pendingCache = null;
      let made: unknown;
      try {
        made = await client.begin('isolation level repeatable read', async (tx) => {
          const [lock] = await tx<Array<{ locked: boolean }>>`select pg_try_advisory_xact_lock(hashtextextended('audit:checkpoint', 0)) as locked`;
          if (!lock!.locked) return BUSY;
          return makeInSnapshot(tx, reason, signingKey);
        });
      } catch (err) {
        cache = null; // the tree may hold changes that were never committed
        pendingCache = null;
        throw err;
      }
      if (made !== BUSY) {
        if (pendingCache) cache = pendingCache; // committed: the in-memory tree follows
        pendingCache = null;
        return made as StoredCheckpoint | null;
      }
      pendingCache = null;
      if (reason !== 'decision') return null;
      if (attempt >= 200) throw new Error('audit checkpoint: another maker held the lock for 5 s; the decision checkpoint was not made');
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /**
   * The Merkle tree of the latest checkpoint, kept between checkpoints (and for inclusion proofs).
   * Cleared while a checkpoint changes it, set again only once that checkpoint is committed.
   */
  let cache: { checkpointId: number; t: CheckpointTree } | null = null;
  /** The tree of the checkpoint being made, cached once its transaction commits. */
  let pendingCache: { checkpointId: number; t: CheckpointTree } | null = null;

  /** The tree as of checkpoint `latest` (a version-2 one), from the cache or rebuilt in `tx`'s snapshot. */
  async function treeOf(tx: SqlClient, latest: { id: number; heads_digest: string; chain_count: number }): Promise<CheckpointTree> {
    if (cache && cache.checkpointId === latest.id) return cache.t;
    // The leaves cache table, checked against the signed root; if it disagrees (altered, or
    // written by an older version), replay the checkpoints themselves.
    const rows = await tx<Array<{ leaf_index: number; chain_id: string; chain_seq: number; row_hash: string }>>`
      select leaf_index, chain_id, chain_seq, row_hash from audit_merkle_leaves order by leaf_index`;
    const t = emptyCheckpointTree();
    const problems = rows.every((r, i) => r.leaf_index === i)
      ? applyChangedHeads(t, rows.map((r) => ({ chainId: r.chain_id, chainSeq: r.chain_seq, rowHash: r.row_hash, leafIndex: r.leaf_index })))
      : ['leaf indexes are not contiguous'];
    if (problems.length === 0 && t.tree.size === latest.chain_count && t.tree.rootHex() === latest.heads_digest) return t;
    const replayed = await replayCheckpoints(tx, latest.id);
    await tx`delete from audit_merkle_leaves`;
    await writeLeaves(tx, replayed.heads.map((h, leafIndex) => ({ ...h, leafIndex })));
    return replayed;
  }

  async function replayCheckpoints(tx: SqlClient, upToId: number): Promise<CheckpointTree> {
    const checker = createCheckpointSequenceChecker((await key()).publicKey);
    for await (const rows of tx<CheckpointRow[]>`select ${tx.unsafe(CHECKPOINT_COLUMNS)} from audit_checkpoints where id <= ${upToId} order by id`.cursor(20)) {
      for (const row of rows) {
        const problems = checker.check(toStoredCheckpoint(row));
        if (problems.length > 0) throw new Error(`checkpoint #${row.id} does not verify (${problems[0]}); run GET /v1/audit/verify?full=true`);
      }
    }
    const t = checker.tree();
    if (!t) throw new Error(`checkpoint #${upToId} has no Merkle tree to continue from`);
    return t;
  }

  async function writeLeaves(tx: SqlClient, heads: Array<ChainHead & { leafIndex: number }>): Promise<void> {
    if (heads.length === 0) return;
    await tx`
      insert into audit_merkle_leaves (leaf_index, chain_id, chain_seq, row_hash)
      select "leafIndex", "chainId", "chainSeq", "rowHash"
      from jsonb_to_recordset(${JSON.stringify(heads)}::text::jsonb) as h("leafIndex" int, "chainId" text, "chainSeq" int, "rowHash" text)
      on conflict (leaf_index) do update set chain_seq = excluded.chain_seq, row_hash = excluded.row_hash`;
  }

  /** The checkpoint, inside the repeatable-read transaction (the lock is held). */
  async function makeInSnapshot(tx: SqlClient, reason: string, signingKey: CheckpointKey): Promise<StoredCheckpoint | null> {
    const [latest] = await tx<Array<{ id: string; version: number; heads_digest: string; chain_count: number; counts: Counts }>>`
      select id, version, heads_digest, chain_count, counts from audit_checkpoints order by id desc limit 1`;
    const latestId = latest === undefined ? null : Number(latest.id);
    // A version-1 (or no) latest checkpoint: this one starts the tree and lists every head.
    const continues = latest !== undefined && latest.version === 2;
    const base = continues ? await treeOf(tx, { id: latestId!, heads_digest: latest.heads_digest, chain_count: latest.chain_count }) : emptyCheckpointTree();
    if (!continues) await tx`delete from audit_merkle_leaves`;

    // The heads that differ from the tree's leaves, diffed in SQL (only those cross the wire);
    // events counted as the sum of the chains' lengths (each chain is gapless from 1), which reads
    // the same rows rather than the whole log.
    const changedRows = await tx<Array<{ chain_id: string; chain_seq: number; row_hash: string }>>`
      with live as (
        select id::text as chain_id, chain_seq, chain_head as row_hash from projects where chain_seq > 0
        union all
        select chain_id, chain_seq, row_hash from audit_chain_heads)
      select live.chain_id, live.chain_seq, live.row_hash
      from live left join audit_merkle_leaves l on l.chain_id = live.chain_id
      where ${continues ? tx`l.chain_id is null or l.chain_seq <> live.chain_seq or l.row_hash <> live.row_hash` : tx`true`}`;
    const [stats] = await tx<Array<{ high_water: string | null; events: string; decided: string; appraised: string }>>`
      select
        (select max(seq) from audit_events) as high_water,
        (select coalesce(sum(chain_seq), 0) from projects) + (select coalesce(sum(chain_seq), 0) from audit_chain_heads) as events,
        (select count(*) from projects where state in ('approved', 'rejected')) as decided,
        (select count(*) from (
           select id from projects where state in ('appraised', 'approved', 'rejected')
           union
           select project_id from audit_events where action = 'appraisal.concluded' and project_id is not null
         ) reached) as appraised`;
    const counts = { decided: Number(stats!.decided), appraised: Number(stats!.appraised), events: Number(stats!.events) };
    if (counts.events === 0) return null; // an empty log: nothing to vouch for yet

    const unchanged =
      continues &&
      changedRows.length === 0 &&
      latest.counts.decided === counts.decided &&
      latest.counts.appraised === counts.appraised &&
      latest.counts.events === counts.events;
    if (unchanged && reason !== 'decision') return null;

    // Known chains keep their leaf; new ones are appended in chain-id byte order (deterministic).
    const known: CheckpointHead[] = [];
    const fresh: CheckpointHead[] = [];
    for (const r of changedRows) {
      const h = { chainId: r.chain_id, chainSeq: r.chain_seq, rowHash: r.row_hash };
      const leafIndex = base.leafOf.get(h.chainId);
      if (leafIndex === undefined) fresh.push(h);
      else known.push({ ...h, leafIndex });
    }
    known.sort((a, b) => a.leafIndex! - b.leafIndex!);
    const appended = sortByChainId(fresh);
    appended.forEach((h, i) => (h.leafIndex = base.tree.size + i));
    const changed = [...known, ...appended];
    for (const h of changed) leafHash(h); // a malformed live head fails here, before the tree changes

    // From here the cached tree is being changed: nobody may use it until this commits.
    cache = null;
    const problems = applyChangedHeads(base, changed);
    if (problems.length > 0) throw new Error(`cannot apply the changed heads: ${problems[0]}`);

    const body: CheckpointBody = {
      version: 2,
      // Milliseconds, as stored in created_at (timestamptz(3)) and read back by CHECKPOINT_COLUMNS.
      createdAt: new Date(Math.floor(deps.clock().getTime())).toISOString(),
      seqHighWater: stats!.high_water === null ? 0 : Number(stats!.high_water),
      chainCount: base.tree.size,
      headsDigest: base.tree.rootHex(),
      previousId: latestId,
      counts,
    };
    const { signature, keyId } = signCheckpoint(body, signingKey.privateKey, signingKey.keyId);
    const [row] = await tx<CheckpointRow[]>`
      insert into audit_checkpoints (created_at, reason, seq_high_water, chain_count, heads_digest, counts, heads, key_id, signature, version, previous_id)
      values (${body.createdAt}, ${reason}, ${body.seqHighWater}, ${body.chainCount}, ${body.headsDigest},
        ${JSON.stringify(counts)}::text::jsonb, ${JSON.stringify(changed)}::text::jsonb, ${keyId}, ${signature}, 2, ${latestId})
      returning ${tx.unsafe(CHECKPOINT_COLUMNS)}`;
    await writeLeaves(tx, changed as Array<ChainHead & { leafIndex: number }>);
    const stored = toStoredCheckpoint(row!);
    pendingCache = { checkpointId: stored.id, t: base };
    return stored;
  }

  /**
   * Sign the current heads of every chain and store the checkpoint. Returns null (and stores
   * nothing) when the log is empty, or when nothing changed since the latest checkpoint unless
   * the reason is 'decision'.
   */
  function checkpoint(reason: CheckpointReason): Promise<StoredCheckpoint | null> {
    const p = make(reason);
    running.add(p);
    const done = () => running.delete(p);
    p.then(done, done);
    return p;
  }

  let tickInFlight = false;
  async function tick(): Promise<void> {
    if (tickInFlight) return; // a slow checkpoint is never stacked up behind itself
    tickInFlight = true;
    try {
      await checkpoint('periodic');
    } catch (err) {
      deps.log?.error({ err }, 'periodic audit checkpoint failed');
    } finally {
      tickInFlight = false;
    }
  }

  /** Checkpoints in id order; with `latest`, only the newest that many (still in id order). */
  async function list(opts: { latest?: number } = {}): Promise<StoredCheckpoint[]> {
    const out: StoredCheckpoint[] = [];
    for await (const batch of iterate(opts)) out.push(...batch);
    return out;
  }

  /**
   * Checkpoints in id order, a few at a time from a cursor: each carries every chain head, so a
   * long history of them must never be held in memory at once.
   */
  async function* iterate(opts: { latest?: number } = {}): AsyncGenerator<StoredCheckpoint[]> {
    const query = opts.latest
      ? client<CheckpointRow[]>`
          select ${client.unsafe(CHECKPOINT_COLUMNS)} from audit_checkpoints
          where id >= coalesce((select min(id) from (select id from audit_checkpoints order by id desc limit ${opts.latest}) l), 0)
          order by id`
      : client<CheckpointRow[]>`select ${client.unsafe(CHECKPOINT_COLUMNS)} from audit_checkpoints order by id`;
    for await (const rows of query.cursor(10)) yield rows.map(toStoredCheckpoint);
  }

  /**
   * The checkpoints file `npm run verify-export` reads ({ publicKeyPem, keyId, checkpoints }), as
   * JSON text chunks in constant memory.
   */
  async function* exportJson(opts: { latest?: number } = {}): AsyncGenerator<string> {
    const { publicKeyPem, keyId } = await key();
    yield `{"publicKeyPem":${JSON.stringify(publicKeyPem)},"keyId":${JSON.stringify(keyId)},"checkpoints":[`;
    let first = true;
    for await (const batch of iterate(opts)) {
      let chunk = '';
      for (const cp of batch) {
        chunk += (first ? '' : ',') + JSON.stringify(cp);
        first = false;
      }
      yield chunk;
    }
    yield ']}\n';
  }

  /**
   * The proof that chain `chainId`'s head, as of the latest checkpoint, is a leaf of its signed
   * Merkle root; null when the latest checkpoint is not a version-2 one or does not cover the chain.
   */
  async function inclusionProof(chainId: string): Promise<InclusionProof | null> {
    return client.begin('isolation level repeatable read read only', async (tx) => {
      const [row] = await tx<CheckpointRow[]>`select ${tx.unsafe(CHECKPOINT_COLUMNS)} from audit_checkpoints order by id desc limit 1`;
      if (!row || row.version !== 2) return null;
      const { heads: _changed, ...checkpoint } = toStoredCheckpoint(row);
      let t: CheckpointTree;
      if (cache && cache.checkpointId === checkpoint.id) t = cache.t;
      else {
        // Read-only here: rebuild from the leaves table (or the checkpoints) without rewriting it.
        const rows = await tx<Array<{ leaf_index: number; chain_id: string; chain_seq: number; row_hash: string }>>`
          select leaf_index, chain_id, chain_seq, row_hash from audit_merkle_leaves order by leaf_index`;
        t = emptyCheckpointTree();
        const problems = applyChangedHeads(t, rows.map((r) => ({ chainId: r.chain_id, chainSeq: r.chain_seq, rowHash: r.row_hash, leafIndex: r.leaf_index })));
        if (problems.length > 0 || t.tree.rootHex() !== checkpoint.headsDigest) t = await replayCheckpoints(tx, checkpoint.id);
        if (!cache || cache.checkpointId < checkpoint.id) cache = { checkpointId: checkpoint.id, t };
      }
      // Synchronous from here: the tree cannot change under the proof.
      const leafIndex = t.leafOf.get(chainId);
      if (leafIndex === undefined) return null;
      return { checkpoint, leafIndex, treeSize: t.tree.size, leaf: { ...t.heads[leafIndex]! }, auditPath: t.tree.auditPath(leafIndex) };
    }) as Promise<InclusionProof | null>;
  }

  return {
    checkpoint,
    inclusionProof,
    /** checkpoint() for callers that only need it done (after a decision, on a timer). */
    async createCheckpoint(reason: CheckpointReason): Promise<void> {
      await checkpoint(reason);
    },
    list,
    iterate,
    exportJson,
    async latest(): Promise<StoredCheckpoint | null> {
      const [cp] = await list({ latest: 1 });
      return cp ?? null;
    },
    /** The verification key, as SPKI PEM (what exports carry) and as a KeyObject. */
    async publicKey(): Promise<{ pem: string; key: KeyObject; keyId: string }> {
      const k = await key();
      return { pem: k.publicKeyPem, key: k.publicKey, keyId: k.keyId };
    },
    /** Make a checkpoint every intervalMs (the timer does not keep the process alive). */
    start(intervalMs: number): void {
      if (!Number.isFinite(intervalMs) || intervalMs < 1) throw new RangeError('the checkpoint interval must be a positive number of ms');
      if (timer) clearInterval(timer);
      timer = setInterval(() => void tick(), intervalMs);
      timer.unref();
    },
    /** Stop the timer and wait for any checkpoint being made. */
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      timer = undefined;
      await Promise.allSettled([...running]);
    },
  };
}
export type CheckpointService = ReturnType<typeof createCheckpointService>;
