/**
 * Races, replays and conflicts of interest over a listening server with concurrent real clients
 * (fetch): fifty decisions at once, two opinions of one appraiser at once, Idempotency-Key
 * replays; a person who declared a conflict of interest can act on the project no more under any
 * role, refused by the machine (API) and by the database (raw SQL).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { createTestEnv, type TestEnv } from '../helpers/test-env';
import { client, completeDossier, sampleDeclaration, sampleProject } from '../helpers/api';
import type { Role } from '../../src/auth/roles';

let env: TestEnv;
let app: FastifyInstance;
let base: string;
const tokens: Record<string, string> = {};
let criteria: string[];

const PEOPLE: Record<string, [Role[], string]> = {
  alice: [['investor'], 'acme'],
  carol: [['clerk'], 'one-stop-desk'],
  ann: [['appraiser'], 'dost'],
  ben: [['appraiser'], 'doc'],
  // Hold two roles each: the conflict they declare as appraisers must bar their other role too.
  ivy: [['appraiser', 'approver'], 'dost'],
  cleo: [['appraiser', 'clerk'], 'one-stop-desk'],
  ...Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`approver${i}`, [['approver'], 'ppc'] as [Role[], string]])),
};

interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

/** A real HTTP request over the socket. */
async function call(who: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${tokens[who]}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

function expectEnvelope(a: Answer) {
  expect(a.body).toMatchObject({ statusCode: a.status, code: expect.any(String), message: expect.any(String), requestId: expect.any(String) });
}

async function underAppraisal(appraisers: string[]): Promise<string> {
  const api = client(app, tokens.alice);
  const id = (await api.post('/v1/projects', sampleProject())).body.id as string;
  expect((await api.put(`/v1/projects/${id}/technology`, sampleDeclaration())).status).toBe(200);
  await completeDossier(app, tokens.alice!, id);
  expect((await api.post(`/v1/projects/${id}/submit`)).body.state).toBe('completeness_review');
  expect((await call('carol', 'POST', `/v1/projects/${id}/completeness`, { result: 'complete' })).body.state).toBe('under_appraisal');
  expect((await call('carol', 'POST', `/v1/projects/${id}/assignments`, { appraisers })).status).toBe(200);
  return id;
}

async function opinionBody(id: string) {
  const docs = (await call('carol', 'GET', `/v1/projects/${id}/documents`)).body.current as Array<{ id: string; sha256: string }>;
  return {
    criteria: criteria.map((c) => ({ criterion: c, verdict: 'meets', comment: 'checked' })),
    recommendation: 'approve',
    conditions: [],
    documentsReviewed: docs.map((d) => ({ documentId: d.id, sha256: d.sha256 })),
    conflictOfInterest: { declared: false },
  };
}

const db = () => env.database.db;
async function count(query: ReturnType<typeof sql>): Promise<number> {
  const [row] = (await db().execute(query)) as unknown as Array<{ n: number }>;
  return Number(row!.n);
}

beforeAll(async () => {
  env = await createTestEnv({ RATE_LIMIT_PER_MINUTE: '100000', RATE_LIMIT_UPLOADS_PER_MINUTE: '100000' });
  app = await env.buildApp();
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  for (const [name, [roles, org]] of Object.entries(PEOPLE)) {
    tokens[name] = await env.token(name, roles, org);
    await call(name, 'GET', '/v1/projects'); // known to the directory
  }
  criteria = (await call('carol', 'GET', '/v1/rulebooks/current')).body.content.criteria.investment_policy.map((c: { id: string }) => c.id);
});
afterAll(async () => env?.close());

describe('races', () => {
  it('fifty concurrent approve-or-reject decisions: exactly one wins, every other gets 409 in the envelope', { timeout: 60_000 }, async () => {
    const id = await underAppraisal(['ann']);
    expect((await call('ann', 'POST', `/v1/projects/${id}/opinions`, await opinionBody(id))).body.state).toBe('appraised');
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        call(
          `approver${i % 5}`,
          'POST',
          `/v1/projects/${id}/decision`,
          i % 2 === 0 ? { outcome: 'approved', reasons: [{ text: 'meets every criterion' }] } : { outcome: 'rejected', reasons: [{ text: 'not convinced', criterion: criteria[0] }] },
        ),
      ),
    );
    const won = answers.filter((a) => a.status === 200);
    const lost = answers.filter((a) => a.status !== 200);
    expect(won).toHaveLength(1);
    expect(lost.map((a) => a.status)).toEqual(Array(49).fill(409));
    for (const a of lost) {
      expectEnvelope(a);
      expect(['ALREADY_DECIDED', 'REVISION_CONFLICT', 'INVALID_TRANSITION']).toContain(a.body.code);
    }
    expect(await count(sql`select count(*)::int as n from decisions where project_id = ${id}`)).toBe(1);
    expect(await count(sql`select count(*)::int as n from audit_events where project_id = ${id} and action = 'decision.recorded'`)).toBe(1);
    const view = (await call('carol', 'GET', `/v1/projects/${id}`)).body;
    expect(view.state).toBe(won[0]!.body.state);
  });

  it("an appraiser's two opinions at once: one is recorded, the other gets 409 OPINION_ALREADY_RECORDED or REVISION_CONFLICT", async () => {
    const id = await underAppraisal(['ann', 'ben']);
    const body = await opinionBody(id);
    const answers = await Promise.all([call('ann', 'POST', `/v1/projects/${id}/opinions`, body), call('ann', 'POST', `/v1/projects/${id}/opinions`, body)]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    const loser = answers.find((a) => a.status === 409)!;
    expectEnvelope(loser);
    expect(['OPINION_ALREADY_RECORDED', 'REVISION_CONFLICT']).toContain(loser.body.code);
    expect(await count(sql`select count(*)::int as n from opinions where project_id = ${id} and appraiser_sub = 'ann'`)).toBe(1);
    // A later, sequential second opinion is refused the same way (never a 500).
    const again = await call('ann', 'POST', `/v1/projects/${id}/opinions`, body);
    expect(again.status).toBe(409);
    expectEnvelope(again);
  });

  it('a replay with the same Idempotency-Key returns the first response, concurrently and afterwards', async () => {
    const id = await underAppraisal(['ann']);
    expect((await call('ann', 'POST', `/v1/projects/${id}/opinions`, await opinionBody(id))).body.state).toBe('appraised');
    const decision = { outcome: 'approved', reasons: [{ text: 'meets every criterion' }] };
    const key = { 'idempotency-key': `decide-${id}` };
    const answers = await Promise.all(Array.from({ length: 10 }, () => call('approver0', 'POST', `/v1/projects/${id}/decision`, decision, key)));
    const firsts = answers.filter((a) => a.status === 200 && a.headers.get('idempotent-replayed') !== 'true');
    expect(firsts).toHaveLength(1);
    for (const a of answers) {
      if (a.status === 200) expect(a.body).toEqual(firsts[0]!.body);
      else {
        expect(a.status).toBe(409);
        expectEnvelope(a);
        expect(a.body.code).toBe('IDEMPOTENCY_IN_FLIGHT');
      }
    }
    for (let i = 0; i < 3; i++) {
      const replay = await call('approver0', 'POST', `/v1/projects/${id}/decision`, decision, key);
      expect(replay.status).toBe(200);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(replay.body).toEqual(firsts[0]!.body);
    }
    // The same key with another body is refused, not replayed.
    const other = await call('approver0', 'POST', `/v1/projects/${id}/decision`, { ...decision, reasons: [{ text: 'another reason' }] }, key);
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await count(sql`select count(*)::int as n from decisions where project_id = ${id}`)).toBe(1);
  });
});

describe('a declared conflict of interest', () => {
  it('bars an appraiser who is also an approver from deciding the project (machine: 403, not in allowedActions)', async () => {
    const id = await underAppraisal(['ann', 'ivy']);
    expect((await call('ivy', 'POST', `/v1/projects/${id}/conflict-of-interest`, { statement: 'My sister works for the investor' })).status).toBe(200);
    expect((await call('ann', 'POST', `/v1/projects/${id}/opinions`, await opinionBody(id))).body.state).toBe('appraised');
    const seen = await call('ivy', 'GET', `/v1/projects/${id}`);
    expect(seen.body.allowedActions).toEqual([]);
    const decided = await call('ivy', 'POST', `/v1/projects/${id}/decision`, { outcome: 'approved', reasons: [{ text: 'fine' }] });
    expect(decided.status).toBe(403);
    expectEnvelope(decided);
    expect(decided.body.code).toBe('NOT_PERMITTED');
    expect(await count(sql`select count(*)::int as n from decisions where project_id = ${id}`)).toBe(0);
    // Someone else still can.
    expect((await call('approver1', 'POST', `/v1/projects/${id}/decision`, { outcome: 'approved', reasons: [{ text: 'fine' }] })).status).toBe(200);
  });

  it('bars an appraiser who is also a clerk from assigning or checking completeness', async () => {
    const id = await underAppraisal(['cleo']);
    expect((await call('cleo', 'POST', `/v1/projects/${id}/conflict-of-interest`, { statement: 'I advised the investor' })).status).toBe(200);
    const assign = await call('cleo', 'POST', `/v1/projects/${id}/assignments`, { appraisers: ['ben'] });
    expect(assign.status).toBe(403);
    expect(assign.body.code).toBe('NOT_PERMITTED');
    const completeness = await call('cleo', 'POST', `/v1/projects/${id}/completeness`, { result: 'incomplete', note: 'more please' });
    expect(completeness.status).toBe(403);
    expect((await call('cleo', 'GET', `/v1/projects/${id}`)).body.allowedActions).toEqual([]);
    // The other clerk is not affected.
    expect((await call('carol', 'POST', `/v1/projects/${id}/assignments`, { appraisers: ['ben'] })).status).toBe(200);
  });

  it('is enforced by the database too: a decision, an assignment or any audited act by the conflicted person is refused, and so is an appraiser who acted in another role', async () => {
    const id = await underAppraisal(['ann', 'ivy']);
    expect((await call('ivy', 'POST', `/v1/projects/${id}/conflict-of-interest`, { statement: 'conflicted' })).status).toBe(200);
    expect((await call('ann', 'POST', `/v1/projects/${id}/opinions`, await opinionBody(id))).body.state).toBe('appraised');
    const [appraisal] = (await db().execute(sql`select id from appraisals where project_id = ${id}`)) as unknown as Array<{ id: string }>;
    const refused = async (q: ReturnType<typeof sql>, constraint: string) => {
      const err = await db()
        .execute(q)
        .then(() => undefined, (e: unknown) => e as { cause?: { constraint_name?: string } });
      expect(err?.cause?.constraint_name ?? (err as { constraint_name?: string })?.constraint_name).toBe(constraint);
    };
    await refused(
      sql`insert into decisions (project_id, appraisal_id, outcome, reasons, conditions, decided_by, decided_by_org) values (${id}, ${appraisal!.id}, 'approved', '[]', '[]', 'ivy', 'dost')`,
      'coi_decision_by_conflicted',
    );
    await refused(sql`insert into assignments (project_id, round, appraiser_sub, assigned_by) values (${id}, 1, 'ivy', 'carol')`, 'coi_assignment_of_conflicted');
    await refused(sql`insert into assignments (project_id, round, appraiser_sub, assigned_by) values (${id}, 1, 'ben', 'ivy')`, 'coi_assignment_by_conflicted');
    // Separation of duties: carol checked completeness and assigned, so she may not appraise it.
    await refused(sql`insert into assignments (project_id, round, appraiser_sub, assigned_by) values (${id}, 1, 'carol', 'cleo')`, 'sod_appraiser_acted_in_other_role');
    await refused(
      sql`insert into audit_events (chain_id, chain_seq, occurred_at, actor_sub, actor_roles, action, project_id, payload, prev_hash, row_hash)
          values (${id}, 999, now(), 'ivy', '{approver}', 'completeness.confirmed', ${id}, '{}', ${'a'.repeat(64)}, ${'b'.repeat(64)})`,
      'coi_actor_conflicted',
    );
    expect(await count(sql`select count(*)::int as n from decisions where project_id = ${id}`)).toBe(0);
  });
});
