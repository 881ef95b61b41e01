/**
 * The command write path against real Postgres: conditional updates under concurrency,
 * idempotent replay under concurrency, If-Match, retries, and the audit chain afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { sql } from 'drizzle-orm';
import { createTestEnv, type TestEnv } from '../helpers/test-env';
import { client, completeDossier, sampleDeclaration, sampleProject } from '../helpers/api';
import { verifyEventsSync } from '../../src/modules/audit/chain-verifier';
import { selectAuditEvents } from '../../src/modules/audit/audit-reader';
import { createCommandRunner } from '../../src/modules/commands/command-runner';

let env: TestEnv;
let app: FastifyInstance;
let investor: ReturnType<typeof client>;
let clerk: ReturnType<typeof client>;

async function projectInReview(): Promise<string> {
  const { body } = await investor.post('/v1/projects', sampleProject());
  await investor.put(`/v1/projects/${body.id}/technology`, sampleDeclaration());
  await completeDossier(app, await env.token('alice', ['investor'], 'acme'), body.id);
  const submitted = await investor.post(`/v1/projects/${body.id}/submit`);
  expect(submitted.body.state).toBe('completeness_review');
  return body.id;
}

async function countEvents(projectId: string, action: string): Promise<number> {
  const [row] = (await env.database.db.execute(sql`select count(*)::int as n from audit_events where project_id = ${projectId} and action = ${action}`)) as unknown as Array<{ n: number }>;
  return row!.n;
}

beforeAll(async () => {
  env = await createTestEnv();
  app = await env.buildApp();
  investor = client(app, await env.token('alice', ['investor'], 'acme'));
  clerk = client(app, await env.token('carol', ['clerk'], 'desk'));
});
afterAll(async () => env.close());

describe('the write path under concurrency', () => {
  it('of 20 concurrent conflicting commands exactly one succeeds, the rest get 409, and one audit event is written', async () => {
    const id = await projectInReview();
    const results = await Promise.all(
      Array.from({ length: 20 }, () => clerk.post(`/v1/projects/${id}/completeness`, { result: 'complete' })),
    );
    const ok = results.filter((r) => r.status === 200);
    const conflicts = results.filter((r) => r.status === 409);
    expect(ok).toHaveLength(1);
    expect(conflicts).toHaveLength(19);
    for (const c of conflicts) expect(['REVISION_CONFLICT', 'INVALID_TRANSITION']).toContain(c.body.code);
    expect(await countEvents(id, 'completeness.confirmed')).toBe(1);
    const project = await clerk.get(`/v1/projects/${id}`);
    expect(project.body.revision).toBe(11);
  });

  it('runs a command sent 10 times at once with the same Idempotency-Key exactly once', async () => {
    const { body } = await investor.post('/v1/projects', sampleProject());
    const key = 'declare-tech-0001';
    const results = await Promise.all(
      Array.from({ length: 10 }, () => investor.put(`/v1/projects/${body.id}/technology`, sampleDeclaration(), { 'idempotency-key': key })),
    );
    const executed = results.filter((r) => r.status === 200 && r.headers['idempotent-replayed'] === undefined);
    const replayed = results.filter((r) => r.status === 200 && r.headers['idempotent-replayed'] === 'true');
    const inFlight = results.filter((r) => r.status === 409);
    expect(executed).toHaveLength(1);
    expect(replayed.length + inFlight.length).toBe(9);
    for (const r of inFlight) expect(r.body.code).toBe('IDEMPOTENCY_IN_FLIGHT');
    for (const r of replayed) expect(r.body).toEqual(executed[0]!.body);
    expect(await countEvents(body.id, 'technology.declared')).toBe(1);

    // Later replays return the first response; the same key with another body is refused.
    const again = await investor.put(`/v1/projects/${body.id}/technology`, sampleDeclaration(), { 'idempotency-key': key });
    expect(again.status).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(executed[0]!.body);
    const other = await investor.put(`/v1/projects/${body.id}/technology`, sampleDeclaration({ technologies: [{ name: 'Other', origin: 'Japan' }] }), { 'idempotency-key': key });
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    // Keys are per caller: another investor's identical key is independent.
    expect(await countEvents(body.id, 'technology.declared')).toBe(1);
  });

  it('refuses a stale If-Match with 412 and accepts the current revision', async () => {
    const { body } = await investor.post('/v1/projects', sampleProject());
    const stale = await investor.put(`/v1/projects/${body.id}/technology`, sampleDeclaration(), { 'if-match': '"7"' });
    expect(stale.status).toBe(412);
    expect(stale.body).toMatchObject({ code: 'PRECONDITION_FAILED', revision: 1 });
    expect(await countEvents(body.id, 'technology.declared')).toBe(0);
    const fresh = await investor.put(`/v1/projects/${body.id}/technology`, sampleDeclaration(), { 'if-match': '"1"' });
    expect(fresh.status).toBe(200);
    expect(fresh.headers.etag).toBe('"2"');
    const bad = await investor.put(`/v1/projects/${body.id}/technology`, sampleDeclaration(), { 'if-match': 'yesterday' });
    expect(bad.body.code).toBe('INVALID_IF_MATCH');
    const badKey = await investor.put(`/v1/projects/${body.id}/technology`, sampleDeclaration(), { 'idempotency-key': 'short' });
    expect(badKey.body.code).toBe('INVALID_IDEMPOTENCY_KEY');
  });

  it('retries the whole transaction on serialization failures and deadlocks, with bounded backoff', async () => {
    const waits: number[] = [];
    const runner = createCommandRunner({ db: env.database.db, random: () => 0.5, sleep: async (ms) => void waits.push(ms) });
    let attempts = 0;
    const result = await runner.withRetries(async () => {
      attempts++;
      if (attempts < 3) throw Object.assign(new Error('could not serialize access'), { code: attempts === 1 ? '40001' : '40P01' });
      return 'done';
    });
    expect(result).toBe('done');
    expect(waits).toEqual([5, 10]);
    attempts = 0;
    await expect(runner.withRetries(async () => {
      attempts++;
      throw Object.assign(new Error('always'), { code: '40001' });
    })).rejects.toThrow('always');
    expect(attempts).toBe(6);
    attempts = 0;
    await expect(runner.withRetries(async () => {
      attempts++;
      throw Object.assign(new Error('unique'), { code: '23505' });
    })).rejects.toThrow('unique');
    expect(attempts).toBe(1);
  });

  it('leaves a hash chain that verifies end to end after all of that', async () => {
    const events = await selectAuditEvents(env.database.db, sql`true`);
    expect(events.length).toBeGreaterThan(5);
    const verdict = verifyEventsSync(events);
    expect(verdict.ok).toBe(true);
    expect(verdict.firstBadSeq).toBeNull();
    expect(verdict.checked).toBe(events.length);
  });

  it('refuses UPDATE, DELETE and TRUNCATE on the audit log, in the database', async () => {
    for (const statement of [sql`update audit_events set action = 'x'`, sql`delete from audit_events`, sql`truncate audit_events`]) {
      await expect(env.database.db.execute(statement)).rejects.toThrow();
    }
  });
});
