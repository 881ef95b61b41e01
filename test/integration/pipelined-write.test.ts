/**
 * The command write half of issue #14 against real Postgres: statements queued with COMMIT, and
 * the one-statement write (conditional on the revision and on the chain head read first) with its
 * fallback when only the head moved in between.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { sql } from 'drizzle-orm';
import { createTestEnv, type TestEnv } from '../helpers/test-env';
import { client, sampleProject } from '../helpers/api';
import { pipelinedTransaction } from '../../src/modules/commands/pipelined-transaction';
import { openProjectCommand, prefetchProject } from '../../src/modules/projects/project-command';
import { appendAuditEvent } from '../../src/modules/audit/audit-writer';
import { selectAuditEvents } from '../../src/modules/audit/audit-reader';
import { verifyEventsSync } from '../../src/modules/audit/chain-verifier';
import type { Principal } from '../../src/auth/token-verifier';

let env: TestEnv;
let app: FastifyInstance;
const alice: Principal = { sub: 'alice', roles: ['investor'], org: 'acme', name: null };

beforeAll(async () => {
  env = await createTestEnv();
  app = await env.buildApp();
});
afterAll(async () => env.close());

async function outboxRows(marker: string): Promise<number> {
  const [row] = (await env.database.db.execute(sql`select count(*)::int as n from outbox where payload->>'marker' = ${marker}`)) as unknown as Array<{ n: number }>;
  return row!.n;
}

describe('the pipelined transaction', () => {
  it('commits what ran before and the statements queued with COMMIT', async () => {
    const result = await pipelinedTransaction(env.database.db, async (tx) => {
      await tx.execute(sql`insert into outbox (topic, payload) values ('test', ${JSON.stringify({ marker: 'ok-before' })}::jsonb)`);
      return { result: 'done', withCommit: [sql`insert into outbox (topic, payload) values ('test', ${JSON.stringify({ marker: 'ok-with-commit' })}::jsonb)`] };
    });
    expect(result).toBe('done');
    expect(await outboxRows('ok-before')).toBe(1);
    expect(await outboxRows('ok-with-commit')).toBe(1);
  });

  it('rolls everything back when a statement sent with COMMIT fails, and throws that statement\'s error', async () => {
    const attempt = pipelinedTransaction(env.database.db, async (tx) => {
      await tx.execute(sql`insert into outbox (topic, payload) values ('test', ${JSON.stringify({ marker: 'rolled-back' })}::jsonb)`);
      return { result: 'never', withCommit: [sql`select 1 / ${0}::int`] };
    });
    await expect(attempt).rejects.toMatchObject({ code: '22012' }); // division_by_zero
    expect(await outboxRows('rolled-back')).toBe(0);
  });
});

describe('the one-statement write half', () => {
  it('falls back to the locking path when the chain head moved without a revision change, and the chain still verifies', async () => {
    const created = await client(app, await env.token('alice', ['investor'], 'acme')).post('/v1/projects', sampleProject());
    expect(created.status).toBe(201);
    const id = created.body.id as string;

    const revision = await pipelinedTransaction(env.database.db, async (tx) => {
      const loaded = await prefetchProject(tx, alice, id);
      // Meanwhile, another transaction appends an informational event to the same chain.
      await env.database.db.transaction(async (other) => {
        await appendAuditEvent(other, { actor: alice, action: 'test.meanwhile', projectId: id, at: new Date(), payload: {} });
      });
      const ctx = await openProjectCommand(tx, alice, id, { requestId: 'test' }, new Date(), loaded);
      const event = { type: 'DECLARE_TECHNOLOGY', facts: { actor: ctx.actor } } as const;
      await ctx.apply('declare_technology', event, { name: 'technology.declared', payload: { test: true } });
      return { result: ctx.project.revision };
    });
    expect(revision).toBe(created.body.revision + 1);

    const events = await selectAuditEvents(env.database.db, sql`chain_id = ${id}`);
    expect(events.map((e) => e.action)).toEqual(['project.created', 'test.meanwhile', 'technology.declared']);
    const verdict = verifyEventsSync(events);
    expect(verdict.ok).toBe(true);
    const [row] = (await env.database.db.execute(sql`select chain_seq, chain_head, revision from projects where id = ${id}`)) as unknown as Array<{ chain_seq: number; chain_head: string; revision: number }>;
    expect(row).toEqual({ chain_seq: 3, chain_head: events[2]!.rowHash, revision });
  });

  it('answers 409 REVISION_CONFLICT when the revision moved in between, writing nothing', async () => {
    const created = await client(app, await env.token('alice', ['investor'], 'acme')).post('/v1/projects', sampleProject());
    const id = created.body.id as string;
    const attempt = pipelinedTransaction(env.database.db, async (tx) => {
      const loaded = await prefetchProject(tx, alice, id);
      await env.database.db.execute(sql`update projects set revision = revision + 1 where id = ${id}`);
      const ctx = await openProjectCommand(tx, alice, id, { requestId: 'test' }, new Date(), loaded);
      await ctx.apply('declare_technology', { type: 'DECLARE_TECHNOLOGY', facts: { actor: ctx.actor } }, { name: 'technology.declared' });
      return { result: null };
    });
    await expect(attempt).rejects.toMatchObject({ code: 'REVISION_CONFLICT' });
    const events = await selectAuditEvents(env.database.db, sql`chain_id = ${id}`);
    expect(events.map((e) => e.action)).toEqual(['project.created']);
  });
});
