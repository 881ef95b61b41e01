/**
 * A transaction whose BEGIN and COMMIT travel with the statements next to them, so a command
 * costs the round trips its logic needs and no more (issue #14).
 *
 * `db.transaction()` (postgres.js `sql.begin`) waits for BEGIN before running the callback and
 * for the callback before sending COMMIT: two round trips of their own. Here the transaction
 * runs on a reserved connection of the same pool: BEGIN is queued, not awaited, so it leaves in
 * the same packet as the first reads; the last writes (the stored idempotency response, queued
 * outbox rows) are queued with COMMIT and sent together. postgres.js pipelines the statements
 * issued on one connection in the same tick and Postgres runs them in order; when one of them
 * fails, the transaction is aborted and Postgres answers the COMMIT behind it with ROLLBACK,
 * which is checked here (the statement's own error is what the caller gets).
 *
 * The callback receives an ordinary drizzle transaction (the same classes `db.transaction`
 * builds), so repositories and handlers need no change; nested `tx.transaction()` is a savepoint.
 */
import type postgres from 'postgres';
import { PostgresJsSession, PostgresJsTransaction } from 'drizzle-orm/postgres-js';
import type { SQL } from 'drizzle-orm';
import type { Db, Tx } from '../../infra/database';

type Client = postgres.Sql | postgres.ReservedSql;

/** Statements to send with COMMIT (their results are not needed before it). */
export interface CommitBatch {
  /** Queue a statement to go out with COMMIT; its failure rolls the transaction back. */
  add(query: SQL): void;
}

const batches = new WeakMap<object, SQL[]>();

/**
 * Queue a write to be sent with the COMMIT of the transaction `tx` runs in (when it is a
 * pipelined transaction); otherwise run it now. For writes nothing later in the transaction
 * reads, e.g. an outbox row.
 */
export async function atCommit(tx: Tx, query: SQL): Promise<void> {
  const queued = batches.get(tx);
  if (queued) queued.push(query);
  else await tx.execute(query);
}

/** Prepare every statement once per connection (as infra/database.ts does for the pool). */
function prepared(client: postgres.ReservedSql): Client {
  let savepoints = 0;
  const proxy: Client = new Proxy(client, {
    get(target, prop, receiver) {
      if (prop === 'unsafe') {
        return (query: string, args?: unknown[], options?: Record<string, unknown>) =>
          target.unsafe(query, args as postgres.ParameterOrJSON<never>[], { ...options, prepare: true });
      }
      if (prop === 'savepoint') {
        // drizzle's nested transaction: a savepoint on this connection.
        return async (cb: (sp: Client) => Promise<unknown>) => {
          const name = `s${++savepoints}`;
          await target.unsafe(`savepoint ${name}`);
          try {
            const result = await cb(proxy);
            await target.unsafe(`release savepoint ${name}`);
            return result;
          } catch (err) {
            await target.unsafe(`rollback to savepoint ${name}`);
            throw err;
          }
        };
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as Client;
  return proxy;
}

interface DrizzleInternals {
  $client: postgres.Sql;
  session: { dialect: ConstructorParameters<typeof PostgresJsSession>[1] & { sqlToQuery(q: SQL): { sql: string; params: unknown[] } }; schema: ConstructorParameters<typeof PostgresJsSession>[2]; options: ConstructorParameters<typeof PostgresJsSession>[3] };
}

/**
 * Run `work` in a transaction on a reserved connection. `work` returns its result and the
 * statements to send with COMMIT (e.g. the stored idempotency response, which needs the result).
 */
export async function pipelinedTransaction<T>(
  db: Db,
  work: (tx: Tx) => Promise<{ result: T; withCommit?: SQL[] }>,
): Promise<T> {
  const internals = db as unknown as DrizzleInternals;
  const reserved = await internals.$client.reserve();
  const client = prepared(reserved);
  const base = internals.session;
  // Typed loosely: drizzle's classes are generic over the client kind (TransactionSql for a
  // transaction); the reserved client has the same query surface plus savepoint (above).
  const Session = PostgresJsSession as unknown as new (...args: unknown[]) => object;
  const Transaction = PostgresJsTransaction as unknown as new (...args: unknown[]) => Tx;
  const session = new Session(client, base.dialect, base.schema, base.options);
  const tx = new Transaction(base.dialect, session, base.schema);
  const queued: SQL[] = [];
  batches.set(tx, queued);
  let open = false;
  try {
    // Not awaited: BEGIN leaves with the first statements of `work` (awaited below).
    const begun = reserved.unsafe('begin').execute();
    open = true;
    begun.catch(() => {});
    const { result, withCommit = [] } = await work(tx);
    await begun;
    // Sent straight to the connection, in order, then COMMIT: drizzle's execute() reaches the
    // driver only after a few microtasks, which could let COMMIT overtake them.
    const last = [...queued, ...withCommit].map((q) => {
      const { sql: text, params } = base.dialect.sqlToQuery(q);
      return client.unsafe(text, params as postgres.ParameterOrJSON<never>[]).execute();
    });
    for (const p of last) p.catch(() => {}); // observed below, after COMMIT's answer
    const committed = reserved.unsafe('commit').execute();
    committed.catch(() => {});
    const settled = await Promise.allSettled(last);
    const commit = await committed; // a failure at COMMIT (deferred check, serialization) throws here
    open = false;
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    if ((commit as unknown as { command?: string }).command !== 'COMMIT') {
      throw new Error(`the transaction did not commit (the server answered ${(commit as unknown as { command?: string }).command})`);
    }
    return result;
  } catch (err) {
    if (open) await reserved.unsafe('rollback').catch(() => {});
    throw err;
  } finally {
    batches.delete(tx);
    reserved.release();
  }
}
