/**
 * Signed checkpoints of the audit chain heads (DESIGN.md §2 "Audit log").
 *
 * A checkpoint reads, in one consistent snapshot, the head of every chain (project heads from
 * projects.chain_seq/chain_head, the 'system' head from audit_chain_heads), the highest seq, and
 * a few counts, signs the body with the Ed25519 key kept outside the database, and appends it to
 * audit_checkpoints (append-only). Whoever later rewrites or truncates a chain cannot make the
 * rewritten rows agree with a checkpoint signed before, without the key.
 *
 * Checkpoints are made periodically (start/stop) and after every decision (reason 'decision');
 * a periodic one is skipped when nothing changed since the latest.
 */
import type { KeyObject } from 'node:crypto';
import type { TransactionSql } from 'postgres';
import type { Db, Sql } from '../../infra/database';
import { headsDigest, type ChainHead } from './audit-hash';
import {
  loadOrCreateCheckpointKey,
  signCheckpoint,
  type CheckpointBody,
  type CheckpointKey,
  type SignedCheckpoint,
} from './checkpoint-signature';

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
  seq_high_water, chain_count, heads_digest, counts, heads, key_id, signature`;

export interface CheckpointRow {
  id: string | number;
  created_at: string;
  reason: string;
  seq_high_water: string | number;
  chain_count: number;
  heads_digest: string;
  counts: { decided: number; appraised: number; events: number };
  heads: ChainHead[];
  key_id: string;
  signature: string;
}

export function toStoredCheckpoint(r: CheckpointRow): StoredCheckpoint {
  return {
    id: Number(r.id),
    version: 1,
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

/** UTF-8 byte order of chain ids: the order headsDigest uses, and the order heads are stored in. */
function byChainId(a: ChainHead, b: ChainHead): number {
  return Buffer.compare(Buffer.from(a.chainId, 'utf8'), Buffer.from(b.chainId, 'utf8'));
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

/** Every chain head as of the transaction's snapshot. */
export async function readLiveHeads(tx: SqlClient): Promise<ChainHead[]> {
  const rows = await tx<Array<{ chain_id: string; chain_seq: number; row_hash: string }>>`
    select id::text as chain_id, chain_seq, chain_head as row_hash from projects where chain_seq > 0
    union all
    select chain_id, chain_seq, row_hash from audit_chain_heads`;
  return rows.map((r) => ({ chainId: r.chain_id, chainSeq: r.chain_seq, rowHash: r.row_hash })).sort(byChainId);
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
      const made = await client.begin('isolation level repeatable read', async (tx) => {
        const [lock] = await tx<Array<{ locked: boolean }>>`select pg_try_advisory_xact_lock(hashtextextended('audit:checkpoint', 0)) as locked`;
        if (!lock!.locked) return BUSY;
        return makeInSnapshot(tx, reason, signingKey);
      });
      if (made !== BUSY) return made as StoredCheckpoint | null;
      if (reason !== 'decision') return null;
      if (attempt >= 200) throw new Error('audit checkpoint: another maker held the lock for 5 s; the decision checkpoint was not made');
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** The checkpoint, inside the repeatable-read transaction (the lock is held). */
  async function makeInSnapshot(tx: SqlClient, reason: string, signingKey: CheckpointKey): Promise<StoredCheckpoint | null> {
    const heads = await readLiveHeads(tx);
    const [stats] = await tx<Array<{ high_water: string | null; events: string; decided: string; appraised: string }>>`
      select
        (select max(seq) from audit_events) as high_water,
        (select count(*) from audit_events) as events,
        (select count(*) from projects where state in ('approved', 'rejected')) as decided,
        (select count(*) from (
           select id from projects where state in ('appraised', 'approved', 'rejected')
           union
           select project_id from audit_events where action = 'appraisal.concluded' and project_id is not null
         ) reached) as appraised`;
    const counts = { decided: Number(stats!.decided), appraised: Number(stats!.appraised), events: Number(stats!.events) };
    if (counts.events === 0) return null; // an empty log: nothing to vouch for yet
    const { digest, count } = headsDigest(heads);

    const [latest] = await tx<Array<{ heads_digest: string; counts: typeof counts }>>`
      select heads_digest, counts from audit_checkpoints order by id desc limit 1`;
    const unchanged =
      latest !== undefined &&
      latest.heads_digest === digest &&
      latest.counts.decided === counts.decided &&
      latest.counts.appraised === counts.appraised &&
      latest.counts.events === counts.events;
    if (unchanged && reason !== 'decision') return null;

    const body: CheckpointBody = {
      version: 1,
      // Milliseconds, as stored in created_at (timestamptz(3)) and read back by CHECKPOINT_COLUMNS.
      createdAt: new Date(Math.floor(deps.clock().getTime())).toISOString(),
      seqHighWater: stats!.high_water === null ? 0 : Number(stats!.high_water),
      chainCount: count,
      headsDigest: digest,
      counts,
    };
    const { signature, keyId } = signCheckpoint(body, signingKey.privateKey, signingKey.keyId);
    const [row] = await tx<CheckpointRow[]>`
      insert into audit_checkpoints (created_at, reason, seq_high_water, chain_count, heads_digest, counts, heads, key_id, signature)
      values (${body.createdAt}, ${reason}, ${body.seqHighWater}, ${body.chainCount}, ${body.headsDigest},
        ${JSON.stringify(counts)}::text::jsonb, ${JSON.stringify(heads)}::text::jsonb, ${keyId}, ${signature})
      returning ${tx.unsafe(CHECKPOINT_COLUMNS)}`;
    return toStoredCheckpoint(row!);
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

  return {
    checkpoint,
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
