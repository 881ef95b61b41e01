import postgres from 'postgres';
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import * as schema from '../../db/schema';

export type Db = PostgresJsDatabase<typeof schema>;
export type Sql = postgres.Sql;

export interface Database {
  sql: Sql;
  db: Db;
  close(): Promise<void>;
}

export function createDatabase(url: string, opts: { max?: number; prepare?: boolean } = {}): Database {
  // prepare: false (DATABASE_PREPARE=false) for a transaction-pooling PgBouncer that does not
  // track prepared statements (before 1.21, or max_prepared_statements = 0): a statement
  // prepared on one server connection is not there on the next transaction's.
  const prepare = opts.prepare ?? true;
  const sql = postgres(url, {
    max: opts.max ?? 20,
    prepare,
    onnotice: () => {},
    // While the database is unreachable a request must fail fast (503 DATABASE_UNAVAILABLE), not
    // wait out the driver's 30 s default for each connection attempt.
    connect_timeout: 5,
    // The driver waits before each reconnect, exponentially up to 20 s by default (3^n/100 s,
    // shared by the pool), and queued queries wait with it: during an outage requests hung for
    // 10-25 s instead of failing. A refused connect is cheap; retry within at most a second.
    backoff: (retries: number) => Math.min(0.05 * 2 ** retries, 1) * (0.5 + Math.random() / 2),
    // timestamptz comes back as Date; bigint (int8) as string unless we say otherwise in queries.
    connection: { application_name: 'tech-appraisal', TimeZone: 'UTC' },
  });
  const db = drizzle(prepare ? preparedByDefault(sql) : sql, { schema });
  return {
    sql,
    db,
    close: () => sql.end({ timeout: 5 }),
  };
}

/**
 * drizzle runs every query through postgres.js `unsafe()` with `prepare: false`, so Postgres
 * parses and plans each statement on every call. Our statements are a fixed set, so we let
 * postgres.js prepare them once per connection (its own cache, keyed by the query text): on this
 * service's command path that removes most of the database's per-statement CPU.
 */
function preparedByDefault<T extends postgres.Sql | postgres.TransactionSql>(client: T): T {
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop === 'unsafe') {
        return (query: string, args?: unknown[], options?: Record<string, unknown>) =>
          (target as postgres.Sql).unsafe(query, args as postgres.ParameterOrJSON<never>[], { ...options, prepare: true });
      }
      if (prop === 'begin' || prop === 'savepoint') {
        const original = Reflect.get(target, prop, receiver) as (...a: unknown[]) => unknown;
        return (...a: unknown[]) => {
          const cb = a.at(-1) as (tx: postgres.TransactionSql) => unknown;
          return original.apply(target, [...a.slice(0, -1), (tx: postgres.TransactionSql) => cb(preparedByDefault(tx))]);
        };
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** A drizzle transaction; repositories take `Db | Tx` so they work inside or outside one. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
export type Executor = Db | Tx;

/** The SQLSTATE of a database error, through drizzle's wrapping. */
export function sqlState(err: unknown): string | undefined {
  let e = err as { code?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; e && depth < 4; depth++) {
    if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) return e.code;
    e = e.cause as typeof e;
  }
  return undefined;
}

/** The constraint name of a database error (check, unique, foreign key, or raised by a trigger). */
export function sqlConstraint(err: unknown): string | undefined {
  let e = err as { constraint_name?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; e && depth < 4; depth++) {
    if (typeof e.constraint_name === 'string') return e.constraint_name;
    e = e.cause as typeof e;
  }
  return undefined;
}
