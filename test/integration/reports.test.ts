/**
 * Point-in-time reconstruction and the coverage report, including what they show when someone
 * went around the service with the database's triggers switched off.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { sql } from 'drizzle-orm';
import { createTestEnv, type TestEnv } from '../helpers/test-env';
import { client, completeDossier, sampleDeclaration, sampleProject } from '../helpers/api';
import type { Role } from '../../src/auth/roles';

let env: TestEnv;
let app: FastifyInstance;
const tokens: Record<string, string> = {};
const as = (name: string) => client(app, tokens[name]);
let criteria: string[];
const start = new Date(Date.now() - 60_000);

async function decided(outcome: 'approved' | 'rejected'): Promise<{ id: string; marks: Record<string, string> }> {
  const marks: Record<string, string> = {};
  const id = (await as('alice').post('/v1/projects', sampleProject())).body.id;
  marks.created = new Date().toISOString();
  await as('alice').put(`/v1/projects/${id}/technology`, sampleDeclaration());
  await completeDossier(app, tokens.alice!, id);
  await as('alice').post(`/v1/projects/${id}/submit`);
  await new Promise((r) => setTimeout(r, 5));
  marks.submitted = new Date().toISOString();
  await new Promise((r) => setTimeout(r, 5));
  await as('carol').post(`/v1/projects/${id}/completeness`, { result: 'complete' });
  await as('carol').post(`/v1/projects/${id}/assignments`, { appraisers: ['ann'] });
  const docs = (await as('carol').get(`/v1/projects/${id}/documents`)).body.current as Array<{ id: string; sha256: string }>;
  await as('ann').post(`/v1/projects/${id}/opinions`, {
    criteria: criteria.map((c) => ({ criterion: c, verdict: outcome === 'approved' ? 'meets' : 'does_not_meet' })),
    recommendation: outcome === 'approved' ? 'approve' : 'reject',
    documentsReviewed: docs.map((d) => ({ documentId: d.id, sha256: d.sha256 })),
    conflictOfInterest: { declared: false },
  });
  const res = await as('paul').post(`/v1/projects/${id}/decision`, { outcome, reasons: [{ text: 'as appraised', criterion: criteria[0] }] });
  expect(res.body.state).toBe(outcome);
  return { id, marks };
}

beforeAll(async () => {
  env = await createTestEnv({ RATE_LIMIT_PER_MINUTE: '100000', RATE_LIMIT_UPLOADS_PER_MINUTE: '100000' });
  app = await env.buildApp();
  const people: Record<string, [Role[], string]> = { alice: [['investor'], 'acme'], carol: [['clerk'], 'desk'], ann: [['appraiser'], 'dost'], paul: [['approver'], 'ppc'], audrey: [['auditor'], 'insp'] };
  for (const [name, [roles, org]] of Object.entries(people)) {
    tokens[name] = await env.token(name, roles, org);
    await client(app, tokens[name]).get('/v1/projects');
  }
  criteria = (await as('carol').get('/v1/rulebooks/current')).body.content.criteria.investment_policy.map((c: { id: string }) => c.id);
});
afterAll(async () => env.close());

describe('as-of', () => {
  it('rebuilds the project at any instant by replay, consistent with the log and the database', async () => {
    const { id, marks } = await decided('approved');
    const before = await as('audrey').get(`/v1/projects/${id}/as-of?at=${encodeURIComponent(start.toISOString())}`);
    expect(before.body).toMatchObject({ existed: false, state: null });
    const afterCreate = await as('audrey').get(`/v1/projects/${id}/as-of?at=${encodeURIComponent(marks.created!)}`);
    expect(afterCreate.body).toMatchObject({ existed: true, state: 'draft', consistent: true, documents: [] });
    const afterSubmit = await as('audrey').get(`/v1/projects/${id}/as-of?at=${encodeURIComponent(marks.submitted!)}`);
    expect(afterSubmit.body).toMatchObject({ state: 'completeness_review', consistent: true, declarationVersion: 1, screening: { rulebookVersion: '2026.1', prohibited: 0 } });
    expect(afterSubmit.body.documents).toHaveLength(6);
    const now = await as('audrey').get(`/v1/projects/${id}/as-of?at=${encodeURIComponent(new Date(Date.now() + 1000).toISOString())}`);
    expect(now.body).toMatchObject({ state: 'approved', consistent: true, problems: [] });
    expect(now.body.revision).toBe((await as('audrey').get(`/v1/projects/${id}`)).body.revision);
    expect((await as('alice').get(`/v1/projects/${id}/as-of?at=${encodeURIComponent(marks.created!)}`)).status).toBe(403);
  });
});

describe('coverage report', () => {
  it('counts the period and finds no violation when everything went through the service', async () => {
    await decided('rejected');
    const res = await as('paul').get(`/v1/reports/coverage?from=${encodeURIComponent(start.toISOString())}&to=${encodeURIComponent(new Date(Date.now() + 1000).toISOString())}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ submitted: 2, decided: 2, approved: 1, rejected: 1, appraised: 2, coveragePercent: 100, violations: [] });
  });

  it('shows a project pushed to approved around the service (triggers off) as a violation and an inconsistent replay', async () => {
    const id = (await as('alice').post('/v1/projects', sampleProject())).body.id;
    await as('alice').put(`/v1/projects/${id}/technology`, sampleDeclaration());
    await completeDossier(app, tokens.alice!, id);
    await as('alice').post(`/v1/projects/${id}/submit`);
    // A superuser bypasses every trigger.
    await env.database.db.transaction(async (tx) => {
      await tx.execute(sql`set local session_replication_role = replica`);
      await tx.execute(sql`update projects set state = 'approved', snapshot = jsonb_set(snapshot, '{state}', '"approved"') where id = ${id}`);
    });
    const report = await as('audrey').get(`/v1/reports/coverage?from=${encodeURIComponent(start.toISOString())}`);
    expect(report.body.violations).toEqual([
      expect.objectContaining({ kind: 'replay_disagrees', project_id: id, stored_state: 'approved', problem: 'the last event does not end in the stored state' }),
    ]);
    const asOf = await as('audrey').get(`/v1/projects/${id}/as-of?at=${encodeURIComponent(new Date(Date.now() + 1000).toISOString())}`);
    expect(asOf.body.consistent).toBe(false);
    expect(asOf.body.problems[0].detail).toContain('the database holds "approved"');
  });

  it('refuses a bad period', async () => {
    const res = await as('audrey').get('/v1/reports/coverage?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z');
    expect(res.body).toMatchObject({ statusCode: 400, code: 'INVALID_PERIOD' });
  });
});
