/**
 * A flood of refused commands over a listening server: refusals count against the caller's rate
 * limit (429 in the envelope once it is spent) and the audit log grows by a bounded amount (one
 * event per caller, project and window; the counts are kept in access_denial_windows). A refusal
 * addressed with an upper-case project id is recorded like any other.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { createTestEnv, type TestEnv } from '../helpers/test-env';
import { client, sampleProject } from '../helpers/api';

const LIMIT = 40;
let env: TestEnv;
let app: FastifyInstance;
let base: string;
let projectId: string;
const tokens: Record<string, string> = {};

async function post(token: string, path: string, body: unknown = {}) {
  const res = await fetch(base + path, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as any, headers: res.headers };
}
async function auditCount(): Promise<number> {
  const [row] = (await env.database.db.execute(sql`select count(*)::int as n from audit_events`)) as unknown as Array<{ n: number }>;
  return row!.n;
}

beforeAll(async () => {
  env = await createTestEnv({ RATE_LIMIT_PER_MINUTE: String(LIMIT), RATE_LIMIT_UPLOADS_PER_MINUTE: String(LIMIT) });
  app = await env.buildApp();
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  tokens.alice = await env.token('alice', ['investor'], 'acme');
  tokens.reader = await env.token('reader', ['auditor'], 'inspectorate');
  tokens.mallory = await env.token('mallory', ['investor'], 'globex');
  tokens.upper = await env.token('upper', ['clerk'], 'desk');
  projectId = (await client(app, tokens.alice).post('/v1/projects', sampleProject())).body.id;
});
afterAll(async () => env?.close());

describe('a flood of refused commands', () => {
  it('is rate limited like any request, and grows the audit log by one event per caller and window', { timeout: 60_000 }, async () => {
    const before = await auditCount();
    const answers: Array<{ status: number; body: any }> = [];
    // 300 refused commands from a read-only token, in waves of 30 concurrent requests.
    for (let wave = 0; wave < 10; wave++) {
      answers.push(...(await Promise.all(Array.from({ length: 30 }, () => post(tokens.reader!, `/v1/projects/${projectId}/submit`)))));
    }
    const refused = answers.filter((a) => a.status === 403);
    const limited = answers.filter((a) => a.status === 429);
    expect(refused.length + limited.length).toBe(300);
    expect(refused.length).toBeLessThanOrEqual(LIMIT);
    expect(limited.length).toBeGreaterThanOrEqual(300 - LIMIT);
    for (const a of [...refused, ...limited]) expect(a.body).toMatchObject({ statusCode: a.status, code: expect.any(String), message: expect.any(String), requestId: expect.any(String) });
    expect(refused[0]!.body.code).toBe('ROLE_NOT_ALLOWED');
    expect(limited[0]!.body.code).toBe('RATE_LIMITED');

    // Bounded: at most one event per window (two if the flood straddled a window boundary).
    const grown = (await auditCount()) - before;
    expect(grown).toBeGreaterThanOrEqual(1);
    expect(grown).toBeLessThanOrEqual(2);
    // …and the trail keeps who, what, when and how many.
    const windows = (await env.database.db.execute(
      sql`select count, actions, codes, audit_seq from access_denial_windows where principal_sub = 'reader' and project_id = ${projectId}`,
    )) as unknown as Array<{ count: number; actions: Record<string, number>; codes: Record<string, number>; audit_seq: string | null }>;
    expect(windows.reduce((n, w) => n + w.count, 0)).toBe(refused.length);
    expect(windows[0]!.actions).toEqual({ submit: windows[0]!.count });
    expect(windows[0]!.codes).toEqual({ ROLE_NOT_ALLOWED: windows[0]!.count });
    expect(windows.every((w) => w.audit_seq !== null)).toBe(true);
    const events = (await env.database.db.execute(
      sql`select action, actor_sub, payload from audit_events where project_id = ${projectId} and action = 'access.denied'`,
    )) as unknown as Array<{ actor_sub: string; payload: any }>;
    expect(events.length).toBe(windows.length);
    expect(events[0]).toMatchObject({ actor_sub: 'reader', payload: { attempted: 'submit', status: 403, code: 'ROLE_NOT_ALLOWED', window: { start: expect.any(String) } } });

    // An auditor reads the counts over the API (the reader token is spent: use another auditor).
    const auditor = await env.token('audrey', ['auditor'], 'inspectorate');
    const listed = await fetch(`${base}/v1/audit/denials?projectId=${projectId}`, { headers: { authorization: `Bearer ${auditor}` } });
    expect(listed.status).toBe(200);
    const items = ((await listed.json()) as any).items;
    expect(items.find((i: any) => i.actor === 'reader')).toMatchObject({ actions: { submit: expect.any(Number) }, auditSeq: expect.any(Number) });
  });

  it('refusals by the services (a project the caller cannot see) count too', async () => {
    const answers = await Promise.all(Array.from({ length: LIMIT + 20 }, () => post(tokens.mallory!, `/v1/projects/${projectId}/submit`)));
    expect(answers.filter((a) => a.status === 404).length).toBeLessThanOrEqual(LIMIT);
    expect(answers.filter((a) => a.status === 429).length).toBeGreaterThanOrEqual(20);
  });

  it("a new window's event carries the previous window's totals into the hash chain", async () => {
    let now = new Date('2031-03-01T08:00:30Z');
    const clocked = await env.buildApp({ clock: () => now });
    const token = await env.token('vera', ['auditor'], 'inspectorate');
    const refuse = async () => (await clocked.inject({ method: 'POST', url: `/v1/projects/${projectId}/withdraw`, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, payload: '{}' })).statusCode;
    expect(await refuse()).toBe(403);
    now = new Date('2031-03-01T08:04:00Z');
    expect(await refuse()).toBe(403);
    expect(await refuse()).toBe(403);
    now = new Date('2031-03-01T08:12:00Z'); // the next 10-minute window
    expect(await refuse()).toBe(403);
    const events = (await env.database.db.execute(
      sql`select payload from audit_events where project_id = ${projectId} and action = 'access.denied' and actor_sub = 'vera' order by seq`,
    )) as unknown as Array<{ payload: any }>;
    expect(events).toHaveLength(2);
    expect(events[0]!.payload).not.toHaveProperty('previousWindow');
    expect(events[1]!.payload.previousWindow).toEqual({
      start: '2031-03-01T08:00:00.000Z',
      count: 3,
      actions: { withdraw: 3 },
      codes: { ROLE_NOT_ALLOWED: 3 },
      firstAt: '2031-03-01T08:00:30.000Z',
      lastAt: '2031-03-01T08:04:00.000Z',
    });
  });

  it('records a refusal addressed with an upper-case project id, on the project', async () => {
    const answer = await post(tokens.upper!, `/v1/projects/${projectId.toUpperCase()}/submit`);
    expect(answer.status).toBe(403);
    const [row] = (await env.database.db.execute(
      sql`select count(*)::int as n from audit_events where project_id = ${projectId} and action = 'access.denied' and actor_sub = 'upper'`,
    )) as unknown as Array<{ n: number }>;
    expect(row!.n).toBe(1);
  });
});
