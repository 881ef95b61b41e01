/**
 * The one write path of a command (DESIGN.md §2 "A command, end to end"):
 * one transaction (pipelined-transaction.ts: BEGIN travels with the first reads, COMMIT with the
 * stored response); Idempotency-Key claimed first (replay, 422 on a different body, 409 while in
 * flight); the whole transaction retried on serialization failure or deadlock with bounded,
 * jittered backoff. Project commands add If-Match and the conditional revision update
 * (project-command.ts).
 */
import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import canonicalize from 'canonicalize';
import type { Db, Tx } from '../../infra/database';
import { sqlState } from '../../infra/database';
import { ConflictError, UnprocessableError } from '../../errors';
import { isRetryableConstraint, refusalOf } from './constraint-refusals';
import type { Principal } from '../../auth/token-verifier';
import { observe } from '../../infra/metrics-observer';
import { pipelinedTransaction } from './pipelined-transaction';

export interface CommandResponse {
  status: number;
  body: unknown;
}

export interface IdempotencyInput {
  key: string;
  /** What makes two requests "the same": method, route and body. */
  fingerprint: unknown;
}

export const IDEMPOTENCY_TTL_HOURS = 24;
const RETRYABLE = new Set(['40001', '40P01']); // serialization_failure, deadlock_detected
const MAX_ATTEMPTS = 6;

export interface CommandRunnerDeps {
  db: Db;
  /** Random source for backoff jitter (injectable for tests). */
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface RunResult extends CommandResponse {
  /** True when the response is the stored one of an earlier request with the same key. */
  replayed: boolean;
}

export function fingerprintHash(fingerprint: unknown): string {
  return createHash('sha256').update(canonicalize(fingerprint) ?? 'null').digest('hex');
}

export function createCommandRunner(deps: CommandRunnerDeps) {
  const random = deps.random ?? Math.random;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));

  /**
   * Retry the whole transaction on 40001/40P01 (and on a unique violation that means a concurrent
   * request committed first, e.g. the same Idempotency-Key): 5, 10, 20, 40, 80 ms (±50% jitter).
   * What still fails with a database refusal (the loser of a race, a coverage trigger) becomes
   * a 409 with a stable code (constraint-refusals.ts), never a 500.
   */
  async function withRetries<T>(work: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await work();
      } catch (err) {
        const state = sqlState(err);
        const retryable = (state !== undefined && RETRYABLE.has(state)) || isRetryableConstraint(err);
        if (!retryable || attempt >= MAX_ATTEMPTS) throw refusalOf(err) ?? err;
        await sleep(5 * 2 ** (attempt - 1) * (0.5 + random()));
      }
    }
  }

  /**
   * Run `work` in one transaction. With an idempotency key: a completed earlier request with
   * the same key is replayed without running `work`; a different body is refused (422); a
   * request still running with the key answers 409.
   */
  async function run<P = undefined>(
    principal: Principal,
    idempotency: IdempotencyInput | undefined,
    work: (tx: Tx, prefetched: P) => Promise<CommandResponse>,
    /**
     * A read the work needs first (e.g. the project). It is sent together with the idempotency
     * claim, in the same round trip, and its result is used only if the command runs.
     */
    prefetch?: (tx: Tx) => Promise<P>,
    /** The command's name in metrics and traces. */
    action = 'command',
  ): Promise<RunResult> {
    const requestHash = idempotency ? fingerprintHash(idempotency.fingerprint) : undefined;
    return observe.command(action, () => withRetries(() =>
      pipelinedTransaction<RunResult>(deps.db, async (tx) => {
        const pending = prefetch?.(tx);
        pending?.catch(() => {}); // observed below when used; a replay or refusal ignores it
        if (idempotency) {
          // A transaction-level lock on (caller, key): a concurrent request with the same key
          // does not wait for us, it learns the key is in flight.
          const [lock] = (await tx.execute(sql`
            select pg_try_advisory_xact_lock(hashtextextended(${principal.sub + '\n' + idempotency.key}, 7)) as locked,
                   k.request_hash, k.response_status, k.response_body, k.expires_at > now() as live
            from (select 1) as one
            left join idempotency_keys k on k.principal_sub = ${principal.sub} and k.key = ${idempotency.key}
          `)) as unknown as Array<{ locked: boolean; request_hash: string | null; response_status: number | null; response_body: unknown; live: boolean | null }>;
          if (!lock!.locked) {
            throw new ConflictError('A request with this Idempotency-Key is still being processed; retry shortly', 'IDEMPOTENCY_IN_FLIGHT');
          }
          if (lock!.request_hash && lock!.live) {
            if (lock!.request_hash !== requestHash) {
              throw new UnprocessableError('This Idempotency-Key was already used with a different request', 'IDEMPOTENCY_KEY_REUSED');
            }
            return { result: { status: lock!.response_status!, body: lock!.response_body, replayed: true } };
          }
          if (lock!.request_hash) {
            // Expired: the key may be used afresh.
            await tx.execute(sql`delete from idempotency_keys where principal_sub = ${principal.sub} and key = ${idempotency.key}`);
          }
        }
        const response = await work(tx, (await pending) as P);
        // The stored response goes out with COMMIT (pipelined-transaction.ts): one round trip.
        const withCommit = idempotency
          ? [sql`
            insert into idempotency_keys (principal_sub, key, request_hash, response_status, response_body, expires_at)
            values (${principal.sub}, ${idempotency.key}, ${requestHash}, ${response.status}, ${JSON.stringify(response.body)}::jsonb,
                    now() + make_interval(hours => ${IDEMPOTENCY_TTL_HOURS}))
          `]
          : [];
        return { result: { ...response, replayed: false }, withCommit };
      }),
    ));
  }

  /** Remove expired idempotency keys (run periodically; safe on several instances). */
  async function sweepExpiredKeys(): Promise<number> {
    const rows = await deps.db.execute(sql`delete from idempotency_keys where expires_at <= now() returning 1`);
    return (rows as unknown as unknown[]).length;
  }

  return { run, withRetries, sweepExpiredKeys };
}

export type CommandRunner = ReturnType<typeof createCommandRunner>;
