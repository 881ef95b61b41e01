/**
 * The law in force, through the API (issue #10): routes for each deciding level, capital source
 * and stage; HS-keyed machine ages, standards, banned used goods and numeric list conditions in
 * the findings; the rulebook version pinned at acceptance surviving a newer (back-dated) version;
 * the procedure-consistency refusals; existing projects pinned explicitly by the seed step.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { sql } from 'drizzle-orm';
import { createTestEnv, type TestEnv } from '../helpers/test-env';
import { client, completeDossier, sampleDeclaration, samplePdf, sampleProject, upload } from '../helpers/api';
import { seedRulebooks } from '../../src/modules/rulebook/rulebook-service';
import type { Role } from '../../src/auth/roles';

let env: TestEnv;
let app: FastifyInstance;
const tokens: Record<string, string> = {};
const as = (name: string) => client(app, tokens[name]);

const PEOPLE: Record<string, [Role[], string]> = {
  alice: [['investor'], 'acme'],
  carol: [['clerk'], 'one-stop-desk'],
  ann: [['appraiser'], 'dost'],
  ben: [['appraiser'], 'doc'],
  ivy: [['appraiser', 'approver'], 'dost-2'],
  root: [['admin'], 'ops'],
  audrey: [['auditor'], 'inspectorate'],
};

const project = (over: Record<string, unknown> = {}) => {
  const { environmentalRisk: _legacy, ...base } = sampleProject();
  return { ...base, environmentalGroup: 'III', ...over };
};

/** Create, declare, complete the dossier and submit: the project is screened and in completeness_review. */
async function submitted(over: Record<string, unknown> = {}, declaration: Record<string, unknown> = sampleDeclaration()): Promise<string> {
  const created = await as('alice').post('/v1/projects', project(over));
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const id = created.body.id as string;
  expect((await as('alice').put(`/v1/projects/${id}/technology`, declaration)).status).toBe(200);
  await completeDossier(app, tokens.alice!, id);
  const s = await as('alice').post(`/v1/projects/${id}/submit`);
  expect(s.body.state, JSON.stringify(s.body)).toBe('completeness_review');
  return id;
}
const findingsOf = async (id: string) => (await as('alice').get(`/v1/projects/${id}/findings`)).body;

const restrictedTech = { technologies: [{ name: 'Nhà máy sản xuất thuốc nổ công nghiệp', origin: 'Việt Nam' }], machinery: [] };

beforeAll(async () => {
  env = await createTestEnv({ RATE_LIMIT_PER_MINUTE: '100000', RATE_LIMIT_UPLOADS_PER_MINUTE: '100000' });
  app = await env.buildApp();
  for (const [name, [roles, org]] of Object.entries(PEOPLE)) {
    tokens[name] = await env.token(name, roles, org);
    await client(app, tokens[name]).get('/v1/projects');
  }
});
afterAll(async () => env.close());

describe('routing through the API (rulebook 2026.1 in force)', () => {
  it.each([
    ['national_assembly', true, 'policy.national_assembly', 'State Appraisal Council', 'appraisal'],
    ['prime_minister', true, 'policy.restricted.decentralised', "provincial Department of Science and Technology (review decentralised to the provincial People's Committee)", 'opinion'],
    ['provincial_peoples_committee', true, 'policy.restricted.decentralised', "provincial Department of Science and Technology (review decentralised to the provincial People's Committee)", 'opinion'],
    ['investor', false, 'policy.no_policy_decision', 'none (no investment-policy decision)', 'none'],
  ])('policy stage, restricted technology, decided by %s', async (decidingLevel, required, ruleId, body, form) => {
    const f = await findingsOf(await submitted({ decidingLevel }, restrictedTech));
    expect(f.route).toMatchObject({ required, ruleId, body, form, verified: false, rulebookVersion: '2026.1', effectiveFrom: '2026-04-01' });
    expect(f.route.note).toContain('Law 115/2025');
    expect(f).toMatchObject({ rulebookVersion: '2026.1', rulebookEffectiveFrom: '2026-04-01' });
  });

  it.each([
    ['state_budget', false, 'policy.public_investment'],
    ['state_non_budget', true, 'policy.restricted.decentralised'],
    ['private', true, 'policy.restricted.decentralised'],
    ['foreign', true, 'policy.restricted.decentralised'],
    ['mixed', true, 'policy.restricted.decentralised'],
  ])('policy stage, capital source %s', async (capitalSource, required, ruleId) => {
    const f = await findingsOf(await submitted({ capitalSource }, restrictedTech));
    expect(f.route).toMatchObject({ required, ruleId });
    if (!required) expect(f.route.procedure).toBe('Public Investment Law');
  });

  it('policy stage without grounds: not required by law; the provincial practice is labelled, not the route', async () => {
    const f = await findingsOf(await submitted({ environmentalGroup: 'IV' }));
    expect(f.route).toMatchObject({ required: false, ruleId: 'policy.not_required', form: 'none', practice: { label: 'provincial_practice', ruleId: 'practice.province_opinion_on_every_project' } });
  });

  it('environmental group II is a ground for review; the route comes from the group, not a bare flag', async () => {
    const id = await submitted({ environmentalGroup: 'II' });
    expect((await as('alice').get(`/v1/projects/${id}`)).body).toMatchObject({ environmentalGroup: 'II', environmentalRisk: true, environmentalRiskBasis: 'environmental_group' });
    expect((await findingsOf(id)).route).toMatchObject({ required: true, ruleId: 'policy.environment.decentralised' });
  });

  it.each([
    [{ construction: false, capitalSource: 'private' }, false, 'decision.not_construction'],
    [{ construction: false, capitalSource: 'state_budget' }, false, 'decision.public_investment_no_construction'],
    [{ construction: true, capitalSource: 'state_budget' }, true, 'decision.state_budget'],
    [{ construction: true, capitalSource: 'foreign' }, true, 'decision.other_capital'],
    [{ construction: true, capitalSource: 'private', group: 'national_key' }, true, 'decision.national_key'],
  ])('decision stage %o', async (over, required, ruleId) => {
    const f = await findingsOf(await submitted({ stage: 'investment_decision', ...over }, restrictedTech));
    expect(f.route).toMatchObject({ required, ruleId });
  });

  it('decision stage, construction project without restricted technology or risk: the Construction Law', async () => {
    const f = await findingsOf(await submitted({ stage: 'investment_decision', construction: true, environmentalGroup: 'IV' }));
    expect(f.route).toMatchObject({ required: false, ruleId: 'decision.construction_no_trigger', procedure: 'Construction Law' });
  });

  it('under the 2017 text (rulebook in force at a 2025 instant), the deciding level picks the reviewer', async () => {
    const rb = (await as('audrey').get('/v1/rulebooks/current?at=2025-06-01T00:00:00Z')).body;
    expect(rb).toMatchObject({ version: '2017.2', effectiveFrom: '2018-07-01' });
    const rules = rb.content.routing.rules as Array<{ id: string; then: { body: string } }>;
    expect(rules.find((r) => r.id === 'policy.restricted.prime_minister')?.then.body).toBe('Ministry of Science and Technology');
  });
});

describe('used machinery and lists in the findings', () => {
  it('HS-keyed ages (listed heading in an unlisted sector, unlisted machine in a listed sector, exactly at the limit), standards, banned goods', async () => {
    const used = { condition: 'used', evidenceDocument: 'inspection_certificate', standards: ['QCVN 01:2008/BLĐTBXH'], plannedImportYear: 2026 };
    const id = await submitted({ sector: 'food_processing' }, {
      technologies: [{ name: 'Dây chuyền gạch ốp lát', origin: 'Italy', figures: { annual_capacity_m2: 1_200_000 } }],
      machinery: [
        { name: 'CNC lathe', hsCode: '8458.11', manufactureYear: 2008, ...used }, // 18 ≤ 20 (heading 8458)
        { name: 'Bending press', hsCode: '8462.21.10', manufactureYear: 2006, ...used }, // exactly 20 (heading 846221)
        { name: 'Conveyor', hsCode: '8428.33', manufactureYear: 2015, ...used }, // 11 > 10
        { name: 'Packing machine', hsCode: '8422.30', manufactureYear: 2018, ...used, standards: ['ISO 12100'] }, // bare ISO
        { name: 'Office computers', hsCode: '8471.30', manufactureYear: 2024, ...used }, // banned used goods
      ],
    });
    const f = (await findingsOf(id)).findings as Array<{ ruleId: string; severity: string; evidence: string; verified: boolean; note?: string; ref: { index?: number; kind: string } }>;
    const at = (index: number, ruleId: string) => f.filter((x) => x.ref.kind === 'machinery' && x.ref.index === index && x.ruleId === ruleId);
    expect(at(0, 'machinery.used_age')).toEqual([]);
    expect(at(1, 'machinery.used_age')).toEqual([]);
    expect(at(2, 'machinery.used_age')[0]).toMatchObject({ severity: 'outdated' });
    expect(at(2, 'machinery.used_age')[0]!.evidence).toContain('"Conveyor" (HS 8428.33) built in 2015 is 11 years old in its planned import year 2026; the general limit is 10 years');
    expect(at(3, 'machinery.standards')[0]).toMatchObject({ severity: 'outdated' });
    expect(at(4, 'machinery.banned_used_goods')[0]).toMatchObject({ severity: 'prohibited', verified: false });
    const tiles = f.find((x) => x.ruleId === 'tech.restricted_list')!;
    expect(tiles.evidence).toContain('declared annual_capacity_m2 = 1200000 m²/year meets the condition');
    expect(tiles).toMatchObject({ verified: false, note: expect.stringContaining('confirm') });
  });

  it('a tile plant above the threshold is not restricted; a project removing asbestos roofing is not flagged', async () => {
    const id = await submitted({ environmentalGroup: 'IV' }, {
      technologies: [
        { name: 'Dây chuyền gạch ốp lát', origin: 'Italy', figures: { annual_capacity_m2: 6_000_000 } },
        { name: 'Tháo dỡ và xử lý tấm lợp amiăng', origin: 'Việt Nam' },
      ],
      machinery: [],
    });
    const f = await findingsOf(id);
    expect(f.findings.filter((x: { severity: string }) => x.severity === 'restricted' || x.severity === 'prohibited')).toEqual([]);
    expect(f.findings.map((x: { ruleId: string }) => x.ruleId)).toContain('tech.list_condition_not_met');
    expect(f.route).toMatchObject({ required: false });
  });
});

describe('pinning the rulebook version at acceptance', () => {
  it('before acceptance the project follows the version in force; from acceptance it keeps it, even after a back-dated newer version', async () => {
    const pinned = await submitted();
    const waiting = await submitted();
    const before = (await as('alice').get(`/v1/projects/${pinned}`)).body;
    expect(before.rulebookVersion).toEqual({ version: '2026.1', effectiveFrom: '2026-04-01', pinned: false, pinnedAt: null });
    const accepted = await as('carol').post(`/v1/projects/${pinned}/completeness`, { result: 'complete' });
    expect(accepted.body.rulebookVersion).toMatchObject({ version: '2026.1', pinned: true });

    // A back-dated version (effective yesterday) that adds a required component.
    const current = (await as('root').get('/v1/rulebooks/current')).body.content;
    const yesterday = new Date(Date.now() - 86400_000).toISOString().slice(0, 10);
    const extra = { id: 'used_machinery_evidence', title: 'Evidence for used machinery', required: true, citation: 'Decision 18/2019/QĐ-TTg, Art. 8', verified: false, note: 'test amendment' };
    const next = { ...current, version: '2026.2', title: 'Back-dated amendment', effectiveFrom: yesterday, dossierComponents: { ...current.dossierComponents, investment_policy: [...current.dossierComponents.investment_policy, extra] } };
    const published = await as('root').post('/v1/rulebooks', next);
    expect(published.status, JSON.stringify(published.body)).toBe(201);
    const events = (await as('audrey').get('/v1/audit/events?action=rulebook.published')).body;
    const ev = (events.items ?? events.events ?? []).find((e: { payload: { version: string } }) => e.payload.version === '2026.2');
    expect(ev?.payload).toMatchObject({ backdated: true, effectiveFrom: yesterday });

    // The pinned project keeps 2026.1 and its checklist; the waiting one follows 2026.2 now.
    expect((await as('alice').get(`/v1/projects/${pinned}`)).body.rulebookVersion).toMatchObject({ version: '2026.1', pinned: true });
    const pinnedDocs = (await as('alice').get(`/v1/projects/${pinned}/documents`)).body.checklist;
    expect(pinnedDocs).toMatchObject({ rulebookVersion: '2026.1', rulebookPinned: true, missing: [] });
    expect((await as('alice').get(`/v1/projects/${waiting}`)).body.rulebookVersion).toMatchObject({ version: '2026.2', pinned: false });
    const waitingDocs = (await as('alice').get(`/v1/projects/${waiting}/documents`)).body.checklist;
    expect(waitingDocs).toMatchObject({ rulebookVersion: '2026.2', rulebookPinned: false, missing: ['used_machinery_evidence'] });
    expect(waitingDocs.required.find((c: { component: string }) => c.component === 'investment_registration_application')).toMatchObject({ verified: false, note: expect.any(String) });

    // A supplementation after acceptance, then a resubmission: screened again under the pinned version.
    expect((await as('carol').post(`/v1/projects/${pinned}/completeness`, { result: 'incomplete', missing: ['machinery_list'] })).body.state).toBe('awaiting_supplement');
    expect((await upload(app, tokens.alice!, pinned, 'machinery_list', { name: 'm2.pdf', content: samplePdf('machinery v2') })).status).toBe(201);
    expect((await as('alice').post(`/v1/projects/${pinned}/resubmit`)).body.state).toBe('completeness_review');
    expect((await findingsOf(pinned)).rulebookVersion).toBe('2026.1');
    const refused = (await env.database.db.execute(sql`update projects set rulebook_version = '2026.2' where id = ${pinned}`).catch((e: Error & { cause?: Error }) => e)) as Error & { cause?: Error };
    expect(String(refused.cause?.message ?? refused.message)).toMatch(/keeps rulebook version 2026\.1/);
  });

  it('the seed step pins projects accepted before pinning existed, to the version in force on their acceptance date, and says so', async () => {
    const id = await submitted();
    await as('carol').post(`/v1/projects/${id}/completeness`, { result: 'complete' });
    // Simulate a project accepted before this release: no pin.
    await env.database.db.execute(sql`alter table projects disable trigger projects_rulebook_pin_fixed`);
    await env.database.db.execute(sql`update projects set rulebook_version = null, rulebook_pinned_at = null where id = ${id}`);
    await env.database.db.execute(sql`alter table projects enable trigger projects_rulebook_pin_fixed`);
    const report = await seedRulebooks(env.database.db);
    expect(report.inserted).toEqual([]);
    expect(report.pinned.reduce((n, p) => n + p.projects, 0)).toBeGreaterThanOrEqual(1);
    const view = (await as('alice').get(`/v1/projects/${id}`)).body;
    expect(view.rulebookVersion).toMatchObject({ pinned: true });
    expect(['2026.1', '2026.2']).toContain(view.rulebookVersion.version);
    const [ev] = (await env.database.db.execute(sql`select payload from audit_events where action = 'rulebook.existing_projects_pinned' order by seq desc limit 1`)) as unknown as Array<{ payload: { projectIds: string[] } }>;
    expect(ev!.payload.projectIds).toContain(id);
  });
});

describe('procedure consistency', () => {
  it('an unknown sector is refused with the list of codes', async () => {
    const r = await as('alice').post('/v1/projects', project({ sector: 'space_mining' }));
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 'UNKNOWN_SECTOR', statusCode: 400, requestId: expect.any(String) });
    expect(r.body.sectors).toEqual(expect.arrayContaining(['cement', 'wood_processing']));
  });

  it('the environmental group is asked for; a contradicting flag is refused; the legacy flag alone still works', async () => {
    const { environmentalGroup: _g, ...noGroup } = project();
    expect((await as('alice').post('/v1/projects', noGroup)).body.code).toBe('ENVIRONMENTAL_GROUP_REQUIRED');
    expect((await as('alice').post('/v1/projects', project({ environmentalGroup: 'IV', environmentalRisk: true }))).body.code).toBe('ENVIRONMENTAL_RISK_CONTRADICTS_GROUP');
    const legacy = await as('alice').post('/v1/projects', { ...noGroup, environmentalRisk: true });
    expect(legacy.body).toMatchObject({ environmentalGroup: null, environmentalRisk: true, environmentalRiskBasis: 'declared' });
    expect((await as('alice').post('/v1/projects', project({ stage: 'investment_decision' }))).body.code).toBe('CONSTRUCTION_REQUIRED');
  });

  it("the clerk's missing items are checklist codes; resubmit needs a new version of one or a changed declaration", async () => {
    const id = await submitted();
    const bad = await as('carol').post(`/v1/projects/${id}/completeness`, { result: 'incomplete', missing: ['the machinery thing'] });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'UNKNOWN_COMPONENT', unknown: ['the machinery thing'] });
    expect(bad.body.components).toContain('machinery_list');
    expect((await as('carol').post(`/v1/projects/${id}/completeness`, { result: 'incomplete', missing: ['machinery_list'], note: 'specifications missing' })).status).toBe(200);
    const early = await as('alice').post(`/v1/projects/${id}/resubmit`);
    expect(early.status).toBe(422);
    expect(early.body).toMatchObject({ code: 'NOTHING_CHANGED_SINCE_SUPPLEMENT_REQUEST', requested: ['machinery_list'] });
    expect((await upload(app, tokens.alice!, id, 'technology_option_analysis', { name: 'o2.pdf', content: samplePdf('other v2') })).status).toBe(201);
    expect((await as('alice').post(`/v1/projects/${id}/resubmit`)).body.code).toBe('NOTHING_CHANGED_SINCE_SUPPLEMENT_REQUEST');
    expect((await upload(app, tokens.alice!, id, 'machinery_list', { name: 'm2.pdf', content: samplePdf('machinery v2') })).status).toBe(201);
    expect((await as('alice').post(`/v1/projects/${id}/resubmit`)).body.state).toBe('completeness_review');
  });

  it('an opinion covers every current required document or says why not; reject needs does_not_meet or a reason', async () => {
    const id = await submitted({ environmentalGroup: 'II' });
    await as('carol').post(`/v1/projects/${id}/completeness`, { result: 'complete' });
    expect((await as('carol').post(`/v1/projects/${id}/assignments`, { appraisers: ['ann'] })).status).toBe(200);
    const docs = (await as('ann').get(`/v1/projects/${id}/documents`)).body.current as Array<{ id: string; sha256: string; component: string }>;
    const criteria = ((await as('ann').get('/v1/rulebooks/current')).body.content.criteria.investment_policy as Array<{ id: string; appliesWhen?: string }>).filter((c) => !c.appliesWhen);
    const body = (over: Record<string, unknown>) => ({
      criteria: criteria.map((c) => ({ criterion: c.id, verdict: 'meets' })),
      recommendation: 'approve',
      documentsReviewed: docs.map((d) => ({ documentId: d.id, sha256: d.sha256 })),
      conflictOfInterest: { declared: false },
      ...over,
    });
    const skipped = docs.find((d) => d.component === 'machinery_list')!;
    const partial = await as('ann').post(`/v1/projects/${id}/opinions`, body({ documentsReviewed: docs.filter((d) => d !== skipped).map((d) => ({ documentId: d.id, sha256: d.sha256 })) }));
    expect(partial.status).toBe(422);
    expect(partial.body).toMatchObject({ code: 'DOCUMENTS_NOT_REVIEWED', components: ['machinery_list'] });
    const rejectBare = await as('ann').post(`/v1/projects/${id}/opinions`, body({ recommendation: 'reject' }));
    expect(rejectBare.status).toBe(400);
    expect(rejectBare.body.code).toBe('REJECT_REASON_REQUIRED');
    const ok = await as('ann').post(
      `/v1/projects/${id}/opinions`,
      body({
        recommendation: 'reject',
        reason: 'The technology option analysis does not show the emission controls the province requires',
        documentsReviewed: docs.filter((d) => d !== skipped).map((d) => ({ documentId: d.id, sha256: d.sha256 })),
        documentsNotReviewed: [{ component: 'machinery_list', reason: 'Superseded by the declaration; reviewed there' }],
      }),
    );
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    const view = (await as('ann').get(`/v1/projects/${id}/appraisal`)).body.appraisals[0].opinions[0];
    expect(view).toMatchObject({ reason: expect.stringContaining('emission'), documentsNotReviewed: [{ component: 'machinery_list' }] });
  });

  it('a refusal (403) names the rule that refused it: role, conflict of interest, separation of duties', async () => {
    const id = await submitted();
    const byRole = await as('carol').post(`/v1/projects/${id}/submit`);
    expect(byRole.status).toBe(403);
    expect(byRole.body).toMatchObject({ code: 'ROLE_NOT_ALLOWED', rule: 'role' });
    await as('carol').post(`/v1/projects/${id}/completeness`, { result: 'complete' });
    expect((await as('carol').post(`/v1/projects/${id}/assignments`, { appraisers: ['ben', 'ivy'] })).status).toBe(200);
    expect((await as('ben').post(`/v1/projects/${id}/conflict-of-interest`, { statement: 'I advised the investor in 2025' })).status).toBe(200);
    const docs = (await as('ivy').get(`/v1/projects/${id}/documents`)).body.current as Array<{ id: string; sha256: string }>;
    const criteria = ((await as('ivy').get('/v1/rulebooks/current')).body.content.criteria.investment_policy as Array<{ id: string }>).map((c) => ({ criterion: c.id, verdict: 'meets' }));
    const opinion = { criteria, recommendation: 'approve', documentsReviewed: docs.map((d) => ({ documentId: d.id, sha256: d.sha256 })), conflictOfInterest: { declared: false } };
    const conflicted = await as('ben').post(`/v1/projects/${id}/opinions`, opinion);
    expect(conflicted.status).toBe(403);
    expect(conflicted.body).toMatchObject({ code: 'NOT_PERMITTED', rule: 'conflict_of_interest' });
    expect((await as('ivy').post(`/v1/projects/${id}/opinions`, opinion)).body.state).toBe('appraised');
    const sod = await as('ivy').post(`/v1/projects/${id}/decision`, { outcome: 'approved', reasons: [{ text: 'fine', criterion: criteria[0]!.criterion }] });
    expect(sod.status).toBe(403);
    expect(sod.body).toMatchObject({ code: 'NOT_PERMITTED', rule: 'separation_of_duties' });
  });
});
