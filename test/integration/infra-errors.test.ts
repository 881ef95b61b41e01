/**
 * The outage classifier against real failures: the database driver and the storage client
 * pointed at a port nobody listens on, a real server-side SQL error, and a real S3 error answer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql as dsql } from 'drizzle-orm';
import { createTestEnv, type TestEnv } from '../helpers/test-env';
import { createDatabase } from '../../src/infra/database';
import { createObjectStorage } from '../../src/infra/object-storage';
import { isDatabaseUnavailable, isStorageUnavailable, unavailableErrorFor } from '../../src/infra/infra-errors';
import { freePort } from '../helpers/ports';

let env: TestEnv;
beforeAll(async () => {
  env = await createTestEnv();
});
afterAll(async () => env.close());

const failureOf = (p: Promise<unknown>) => p.then(() => expect.fail('expected a failure'), (e: unknown) => e);

describe('dependency outage classifier', () => {
  it('a refused database connection (raw driver and through drizzle) is DATABASE_UNAVAILABLE, not storage', async () => {
    const dead = createDatabase(`postgres://nobody:x@127.0.0.1:${await freePort()}/none`, { max: 1 });
    try {
      for (const err of [await failureOf(dead.sql`select 1`), await failureOf(dead.db.execute(dsql`select 1`))]) {
        expect(isDatabaseUnavailable(err)).toBe(true);
        expect(isStorageUnavailable(err)).toBe(false);
        expect(unavailableErrorFor(err)).toMatchObject({ statusCode: 503, code: 'DATABASE_UNAVAILABLE' });
      }
    } finally {
      await dead.close();
    }
  });

  it('a terminated backend (SQLSTATE 57P01) is DATABASE_UNAVAILABLE; a bad statement is neither', async () => {
    const db = createDatabase(env.databaseUrl, { max: 2 });
    try {
      const victim = await db.sql.reserve();
      const [row] = await victim<{ pid: number }[]>`select pg_backend_pid() as pid`;
      const pid = row!.pid;
      const running = failureOf(victim`select pg_sleep(30)`);
      await new Promise((r) => setTimeout(r, 200));
      await db.sql`select pg_terminate_backend(${pid})`;
      const terminated = await running;
      victim.release();
      expect(isDatabaseUnavailable(terminated)).toBe(true);

      const syntax = await failureOf(db.db.execute(dsql`select * from no_such_table`));
      expect(isDatabaseUnavailable(syntax)).toBe(false);
      expect(isStorageUnavailable(syntax)).toBe(false);
      expect(unavailableErrorFor(syntax)).toBeUndefined();
    } finally {
      await db.close();
    }
  });

  it('refused object storage is STORAGE_UNAVAILABLE; an S3 "no such key" answer is neither', async () => {
    const dead = createObjectStorage({ ...env.config.s3!, endpoint: `http://127.0.0.1:${await freePort()}` });
    const refused = await failureOf(dead.client.statObject(dead.bucket, 'any'));
    expect(isStorageUnavailable(refused)).toBe(true);
    expect(isDatabaseUnavailable(refused)).toBe(false);
    expect(unavailableErrorFor(refused)).toMatchObject({ statusCode: 503, code: 'STORAGE_UNAVAILABLE' });

    const live = createObjectStorage(env.config.s3!);
    const missing = await failureOf(live.client.statObject(live.bucket, 'no/such/key'));
    expect(unavailableErrorFor(missing)).toBeUndefined();
  });
});
