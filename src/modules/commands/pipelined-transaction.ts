/**
 * A transaction whose COMMIT travels with the last writes, so a command costs the round trips its
 * logic needs (issue #14).
 *
 * `db.transaction()` waits for the callback, whose last statement is awaited, before sending
 * COMMIT: a round trip of its own. Here the last writes (the stored idempotency response, queued
 * outbox rows) are queued and COMMIT goes right behind them in the same packet. postgres.js
 * pipelines the statements issued on one connection in the same tick and Postgres runs them in
 * order; when one of them fails, the transaction is aborted and Postgres answers the COMMIT
 * behind it with ROLLBACK; the statement's own error is what the caller gets.
 *
 * (BEGIN still waits for its answer: postgres.js begin() does. Running the transaction on a
 * reserved connection with BEGIN queued would save that round trip too, but a reserve() during a
 * database restart hung requests past their deadline in dependency-outage.test.ts.)
 *
 * The callback receives an ordinary drizzle transaction (the classes `db.transaction` builds),
 * so repositories and handlers need no change.
 */
import type postgres from 'postgres';
import { PostgresJsSession, PostgresJsTransaction } from 'drizzle-orm/postgres-js';
import type { SQL } from 'drizzle-orm';
import type { Db, Tx } from '../../infra/database';

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
  const base = internals.session;
  let last: Array<Promise<unknown>> = [];
  // postgres.js begin(): BEGIN, the callback, then COMMIT as soon as the callback resolves. The
  // callback resolves right after queueing the last statements, without waiting for their
  // answers, so COMMIT follows them in the same packet (statements on one connection run in the
  // order sent). The client is the pool's (infra/database.ts: statements prepared once per
  // connection), so outages and closed connections behave as on every other path.
  const result = await internals.$client.begin(async (client) => {
    const session = new Session(client, base.dialect, base.schema, base.options);
    const tx = new Transaction(base.dialect, session, base.schema);
    const queued: SQL[] = [];
    batches.set(tx, queued);
    try {
      const { result, withCommit = [] } = await work(tx);
      // Sent straight to the connection, in order: drizzle's execute() reaches the driver only
      // after a few microtasks, which could let COMMIT overtake them.
      last = [...queued, ...withCommit].map((q) => {
        const { sql: text, params } = base.dialect.sqlToQuery(q);
        const sent = client.unsafe(text, params as postgres.ParameterOrJSON<never>[]).execute();
        sent.catch(() => {}); // observed below, after COMMIT's answer
        return sent;
      });
      return result;
    } finally {
      batches.delete(tx);
    }
  });
  // A failed last statement aborted the transaction: Postgres answered COMMIT with ROLLBACK, so
  // nothing was written; the statement's error is the outcome (a refusal, a retryable conflict).
  const settled = await Promise.allSettled(last);
  const failed = settled.find((x): x is PromiseRejectedResult => x.status === 'rejected');
  if (failed) throw failed.reason;
  return result as T;
}

// drizzle's classes, typed loosely: they are generic over the client kind; ours is postgres.js's
// transaction client, as drizzle's own transaction() gives them.
const Session = PostgresJsSession as unknown as new (...args: unknown[]) => object;
const Transaction = PostgresJsTransaction as unknown as new (...args: unknown[]) => Tx;
