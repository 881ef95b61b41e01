/**
 * A project that awaits a decision, set up through the HTTP API the way the other roles' screens
 * would: the investor registers, declares and uploads, submits; the clerk accepts and assigns;
 * the appraiser records an opinion on the exact document versions. For the approver and auditor
 * tests, which drive only their own screens.
 */
import { expect } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { client, completeDossier, sampleDeclaration, sampleProject } from './api';
import type { TestEnv } from './test-env';

export interface DecisionPeople {
  investor: string;
  clerk: string;
  appraiser: string;
}

/** Bearer tokens for the three roles that come before the approver (each used once, so the directory knows them). */
export async function decisionPeople(env: TestEnv, app: FastifyInstance, appraiserSub = 'ann.appraiser'): Promise<DecisionPeople> {
  const people = {
    investor: await env.token('acme.owner', ['investor'], 'acme'),
    clerk: await env.token('carol.clerk', ['clerk'], 'so-khcn'),
    appraiser: await env.token(appraiserSub, ['appraiser'], 'dost'),
  };
  for (const token of Object.values(people)) await client(app, token).get('/v1/projects');
  return people;
}

export async function projectAwaitingDecision(
  app: FastifyInstance,
  people: DecisionPeople,
  opts: { name?: string; declaration?: Record<string, unknown>; recommendation?: 'approve' | 'approve_with_conditions' | 'reject'; conditions?: string[]; appraiserSub?: string } = {},
): Promise<{ id: string; code: string }> {
  const investor = client(app, people.investor);
  const clerk = client(app, people.clerk);
  const appraiser = client(app, people.appraiser);
  const created = await investor.post('/v1/projects', sampleProject(opts.name ? { name: opts.name } : {}));
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  expect((await investor.put(`/v1/projects/${id}/technology`, opts.declaration ?? sampleDeclaration())).status).toBe(200);
  await completeDossier(app, people.investor, id);
  expect((await investor.post(`/v1/projects/${id}/submit`)).body.state).toBe('completeness_review');
  expect((await clerk.post(`/v1/projects/${id}/completeness`, { result: 'complete' })).body.state).toBe('under_appraisal');
  expect((await clerk.post(`/v1/projects/${id}/assignments`, { appraisers: [opts.appraiserSub ?? 'ann.appraiser'], mode: 'opinion' })).status).toBe(200);
  const view = (await appraiser.get(`/v1/projects/${id}`)).body;
  const rulebook = (await appraiser.get(`/v1/rulebooks/${view.rulebookVersion.version}`)).body;
  const docs = (await appraiser.get(`/v1/projects/${id}/documents`)).body.current as Array<{ id: string; sha256: string }>;
  const recommendation = opts.recommendation ?? 'approve';
  const opinion = await appraiser.post(`/v1/projects/${id}/opinions`, {
    criteria: (rulebook.content.criteria[view.stage] as Array<{ id: string }>).map((c) => ({ criterion: c.id, verdict: recommendation === 'reject' ? 'does_not_meet' : 'meets', comment: 'Đã đối chiếu hồ sơ' })),
    recommendation,
    conditions: opts.conditions ?? [],
    documentsReviewed: docs.map((d) => ({ documentId: d.id, sha256: d.sha256 })),
    conflictOfInterest: { declared: false },
  });
  expect(opinion.status, JSON.stringify(opinion.body)).toBe(200);
  expect(opinion.body.state).toBe('appraised');
  return { id, code: created.body.code as string };
}
