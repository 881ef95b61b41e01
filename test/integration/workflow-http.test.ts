import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createTestEnv, type TestEnv } from '../helpers/test-env';
import { client, completeDossier, sampleDeclaration, samplePdf, sampleProject, upload } from '../helpers/api';
import { verifyEventsSync } from '../../src/modules/audit/chain-verifier';
import { createOutboxDispatcher } from '../../src/modules/outbox/outbox-dispatcher';

let env: TestEnv;
let app: FastifyInstance;
let investor: ReturnType<typeof client>;
let otherInvestor: ReturnType<typeof client>;
let clerk: ReturnType<typeof client>;
let appraiser: ReturnType<typeof client>;
let uploads = 0;

beforeAll(async () => {
  env = await createTestEnv();
  app = await env.buildApp();
  investor = client(app, await env.token('alice', ['investor'], 'acme'));
  otherInvestor = client(app, await env.token('oscar', ['investor'], 'globex'));
  clerk = client(app, await env.token('carol', ['clerk'], 'one-stop-desk'));
  appraiser = client(app, await env.token('ann', ['appraiser'], 'dost'));
});
afterAll(async () => env.close());

describe('a project walked over HTTP from draft to under_appraisal', () => {
  let id: string;

  it('is created in draft with a sequential tracking code for the year (Vietnam time)', async () => {
    const res = await investor.post('/v1/projects', sampleProject());
    expect(res.status).toBe(201);
    expect(res.body.code).toMatch(/^QN-\d{4}-000001$/);
    expect(res.body).toMatchObject({ state: 'draft', revision: 1, organisation: 'acme', round: 1, capitalVnd: 2_500_000_000_000 });
    expect(res.headers.etag).toBe('"1"');
    expect(res.body.allowedActions).toEqual(['declare_technology', 'upload_document', 'withdraw']);
    id = res.body.id;
    const second = await investor.post('/v1/projects', sampleProject({ name: 'Second' }));
    expect(second.body.code).toBe(res.body.code.replace(/1$/, '2'));
  });

  it('refuses to submit before the technology is declared', async () => {
    const res = await investor.post(`/v1/projects/${id}/submit`);
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('DECLARATION_MISSING');
  });

  it('rejects a declaration with a machine built in the future or a malformed HS code', async () => {
    const future = await investor.put(`/v1/projects/${id}/technology`, sampleDeclaration({ machinery: [{ ...sampleDeclaration().machinery[0], manufactureYear: 2999 }] }));
    expect(future.status).toBe(400);
    expect(future.body.code).toBe('VALIDATION_FAILED');
    const hs = await investor.put(`/v1/projects/${id}/technology`, sampleDeclaration({ machinery: [{ ...sampleDeclaration().machinery[0], hsCode: '84A' }] }));
    expect(hs.status).toBe(400);
  });

  it('refuses to submit an incomplete dossier, listing what is missing', async () => {
    expect((await investor.put(`/v1/projects/${id}/technology`, sampleDeclaration())).body.revision).toBe(2);
    const res = await investor.post(`/v1/projects/${id}/submit`);
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('DOSSIER_INCOMPLETE');
    expect(res.body.missing).toEqual([
      'investment_registration_application',
      'technology_option_analysis',
      'technology_name_origin_process',
      'machinery_list',
      'technology_use_conditions',
      'environmental_impact_preliminary',
    ]);
  });

  it('walks submit → supplementation → resubmit → complete → assignment', async () => {
    uploads = (await completeDossier(app, await env.token('alice', ['investor'], 'acme'), id)).length;
    expect(uploads).toBe(6);
    const submitted = await investor.post(`/v1/projects/${id}/submit`, { note: 'first filing' });
    expect(submitted.status).toBe(200);
    expect(submitted.body).toMatchObject({ state: 'completeness_review', revision: 10 });
    expect(submitted.body.allowedActions).toEqual(['withdraw']);

    const incomplete = await clerk.post(`/v1/projects/${id}/completeness`, { result: 'incomplete', missing: ['training_support_plan'], note: 'Add the training plan' });
    expect(incomplete.body).toMatchObject({ state: 'awaiting_supplement', revision: 11 });

    // A resubmission must answer the request: here with the requested component.
    expect((await investor.post(`/v1/projects/${id}/resubmit`, { note: 'nothing changed' })).body.code).toBe('NOTHING_CHANGED_SINCE_SUPPLEMENT_REQUEST');
    expect((await upload(app, await env.token('alice', ['investor'], 'acme'), id, 'training_support_plan', { name: 'training.pdf', content: samplePdf('training plan') })).status).toBe(201);
    const resubmitted = await investor.post(`/v1/projects/${id}/resubmit`, { note: 'training plan added' });
    expect(resubmitted.body).toMatchObject({ state: 'completeness_review', revision: 14 });

    const complete = await clerk.post(`/v1/projects/${id}/completeness`, { result: 'complete' });
    expect(complete.body).toMatchObject({ state: 'under_appraisal', revision: 15 });
    expect(complete.body.allowedActions).toEqual(['completeness', 'assign', 'escalate_to_council']);

    // An appraiser must have signed in once to be assignable; before assignment they cannot see the project.
    expect((await appraiser.get(`/v1/projects/${id}`)).status).toBe(404);
    const assigned = await clerk.post(`/v1/projects/${id}/assignments`, { appraisers: ['ann'], mode: 'opinion' });
    expect(assigned.status).toBe(200);
    expect(assigned.body).toMatchObject({ state: 'under_appraisal', appraisalMode: 'opinion', revision: 16 });
    const seen = await appraiser.get(`/v1/projects/${id}`);
    expect(seen.status).toBe(200);
    expect(seen.body.allowedActions).toEqual(['declare_conflict', 'record_opinion']);
  });

  it('records every step in the project history, in order, on a chain that verifies', async () => {
    const res = await investor.get(`/v1/projects/${id}/history`);
    expect(res.status).toBe(200);
    const events = res.body.events as Array<{ action: string; fromState: string; toState: string; revision: number; actor: { sub: string }; chainSeq: number }>;
    expect(events.map((e) => [e.action, e.fromState, e.toState, e.revision, e.actor.sub])).toEqual([
      ['project.created', null, 'draft', 1, 'alice'],
      ['technology.declared', 'draft', 'draft', 2, 'alice'],
      ...Array.from({ length: 6 }, (_, i) => ['document.uploaded', 'draft', 'draft', 3 + i, 'alice']),
      ['project.submitted', 'draft', 'screening', 9, 'alice'],
      ['screening.completed', 'screening', 'completeness_review', 10, 'alice'],
      ['supplement.requested', 'completeness_review', 'awaiting_supplement', 11, 'carol'],
      // The supplementation request slip (Mẫu 02), in the same transaction.
      ['slip.issued', 'awaiting_supplement', 'awaiting_supplement', null, 'carol'],
      ['document.uploaded', 'awaiting_supplement', 'awaiting_supplement', 12, 'alice'],
      ['project.resubmitted', 'awaiting_supplement', 'screening', 13, 'alice'],
      ['screening.completed', 'screening', 'completeness_review', 14, 'alice'],
      ['completeness.confirmed', 'completeness_review', 'under_appraisal', 15, 'carol'],
      // The clock starts (deadline rows) and the receipt (Mẫu 01) is issued.
      ['deadlines.started', 'under_appraisal', 'under_appraisal', 15, 'carol'],
      ['slip.issued', 'under_appraisal', 'under_appraisal', null, 'carol'],
      ['appraisers.assigned', 'under_appraisal', 'under_appraisal', 16, 'carol'],
      ['deadlines.closed', 'under_appraisal', 'under_appraisal', 16, 'carol'],
    ]);
    expect(events.map((e) => e.chainSeq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const verdict = verifyEventsSync(res.body.events);
    expect(verdict).toMatchObject({ ok: true, checked: 20, firstBadSeq: null });
  });

  it('answers an action the state does not allow with 409 INVALID_TRANSITION and changes nothing', async () => {
    const before = await investor.get(`/v1/projects/${id}`);
    const res = await investor.post(`/v1/projects/${id}/submit`);
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'INVALID_TRANSITION', state: 'under_appraisal', allowedActions: ['withdraw'] });
    expect(res.body.requestId).toBeTruthy();
    const after = await investor.get(`/v1/projects/${id}`);
    expect(after.body.revision).toBe(before.body.revision);
    expect((await investor.get(`/v1/projects/${id}/history`)).body.events).toHaveLength(20);
  });

  it('hides the project from another organisation and records its attempt', async () => {
    expect((await otherInvestor.get(`/v1/projects/${id}`)).status).toBe(404);
    expect((await otherInvestor.get(`/v1/projects/${id}/history`)).status).toBe(404);
    const list = await otherInvestor.get('/v1/projects');
    expect(list.body.items).toEqual([]);
    const attempt = await otherInvestor.post(`/v1/projects/${id}/withdraw`, { reason: 'mischief' });
    expect(attempt.status).toBe(404);
    const history = (await clerk.get(`/v1/projects/${id}/history`)).body.events;
    expect(history.at(-1)).toMatchObject({ action: 'access.denied', actor: { sub: 'oscar' }, payload: { attempted: 'withdraw', status: 404 } });
  });

  it('lists with filters and cursor paging', async () => {
    const page1 = await clerk.get('/v1/projects?limit=1');
    expect(page1.body.items).toHaveLength(1);
    expect(page1.body.nextCursor).toBeTruthy();
    const page2 = await clerk.get(`/v1/projects?limit=1&cursor=${page1.body.nextCursor}`);
    expect(page2.body.items).toHaveLength(1);
    expect(page2.body.items[0].id).not.toBe(page1.body.items[0].id);
    expect(page2.body.nextCursor).toBeNull();
    const filtered = await clerk.get('/v1/projects?state=under_appraisal');
    expect(filtered.body.items.map((p: { id: string }) => p.id)).toEqual([id]);
    expect((await clerk.get('/v1/projects?cursor=garbage')).body.code).toBe('INVALID_CURSOR');
  });

  it('delivers notifications through the outbox after commit', async () => {
    const dispatcher = createOutboxDispatcher(env.database.db);
    expect(await dispatcher.dispatchOnce()).toBeGreaterThan(0);
    const forClerk = (await clerk.get('/v1/notifications')).body.items.map((n: { kind: string }) => n.kind);
    expect(forClerk).toContain('project.submitted');
    const forInvestor = (await investor.get('/v1/notifications')).body.items.map((n: { kind: string }) => n.kind);
    expect(forInvestor).toEqual(['supplement.requested']);
    expect((await otherInvestor.get('/v1/notifications')).body.items).toEqual([]);
    const forAppraiser = (await appraiser.get('/v1/notifications')).body.items;
    expect(forAppraiser).toMatchObject([{ kind: 'appraisal.assigned', projectId: id }]);
    expect(await dispatcher.dispatchOnce()).toBe(0);
  });
});
