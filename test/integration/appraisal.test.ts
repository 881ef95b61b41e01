/**
 * The legal substance over HTTP: screening findings, opinions bound to document versions,
 * council tally, decisions (blocked by prohibited/outdated findings, separation of duties), the
 * database refusing every shortcut to approved/rejected, and re-appraisal after a change.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { sql } from 'drizzle-orm';
import { createTestEnv, type TestEnv } from '../helpers/test-env';
import { client, completeDossier, sampleDeclaration, samplePdf, sampleProject, upload } from '../helpers/api';
import type { Role } from '../../src/auth/roles';

let env: TestEnv;
let app: FastifyInstance;
const tokens: Record<string, string> = {};
const as = (name: string) => client(app, tokens[name]);
let criteria: string[];

const PEOPLE: Record<string, [Role[], string]> = {
  alice: [['investor'], 'acme'],
  carol: [['clerk'], 'one-stop-desk'],
  ann: [['appraiser'], 'dost'],
  ben: [['appraiser'], 'doc'],
  cat: [['appraiser'], 'university'],
  dan: [['appraiser'], 'vinacement-institute'],
  eve: [['appraiser'], 'independent'],
  paul: [['approver'], 'ppc'],
  ivy: [['appraiser', 'approver'], 'dost'],
  mole: [['approver'], 'acme'],
  audrey: [['auditor'], 'inspectorate'],
};

/** A project of acme in under_appraisal, with the given declaration and appraisers assigned. */
async function projectUnderAppraisal(declaration = sampleDeclaration(), appraisers = ['ann'], project = sampleProject()): Promise<string> {
  const id = (await as('alice').post('/v1/projects', project)).body.id;
  expect((await as('alice').put(`/v1/projects/${id}/technology`, declaration)).status).toBe(200);
  await completeDossier(app, tokens.alice!, id);
  expect((await as('alice').post(`/v1/projects/${id}/submit`)).body.state).toBe('completeness_review');
  expect((await as('carol').post(`/v1/projects/${id}/completeness`, { result: 'complete' })).body.state).toBe('under_appraisal');
  if (appraisers.length > 0) expect((await as('carol').post(`/v1/projects/${id}/assignments`, { appraisers })).status).toBe(200);
  return id;
}

async function opinionBody(id: string, recommendation: 'approve' | 'approve_with_conditions' | 'reject' = 'approve', conditions: string[] = []) {
  const docs = (await as('carol').get(`/v1/projects/${id}/documents`)).body.current as Array<{ id: string; sha256: string }>;
  return {
    criteria: criteria.map((c) => ({ criterion: c, verdict: recommendation === 'reject' ? 'does_not_meet' : 'meets', comment: 'checked against the dossier' })),
    recommendation,
    conditions,
    documentsReviewed: docs.map((d) => ({ documentId: d.id, sha256: d.sha256 })),
    conflictOfInterest: { declared: false },
  };
}

beforeAll(async () => {
  env = await createTestEnv({ RATE_LIMIT_PER_MINUTE: '100000', RATE_LIMIT_UPLOADS_PER_MINUTE: '100000' });
  app = await env.buildApp();
  for (const [name, [roles, org]] of Object.entries(PEOPLE)) {
    tokens[name] = await env.token(name, roles, org);
    await client(app, tokens[name]).get('/v1/projects'); // sign in once: known to the directory
  }
  const rb = (await as('carol').get('/v1/rulebooks/current')).body;
  criteria = rb.content.criteria.investment_policy.map((c: { id: string }) => c.id);
});
afterAll(async () => env.close());

describe('a clean project', () => {
  it('is approved after the opinion, with history showing screening, opinion and decision and what they rest on', async () => {
    const id = await projectUnderAppraisal();
    const findings = (await as('alice').get(`/v1/projects/${id}/findings`)).body;
    expect(findings).toMatchObject({ screened: true, rulebookVersion: '2026.1', rulebookEffectiveFrom: '2026-04-01' });
    expect(findings.findings.filter((f: { severity: string }) => f.severity !== 'info')).toEqual([]);
    expect(findings.route).toMatchObject({ mode: 'opinion' });

    const opinion = await as('ann').post(`/v1/projects/${id}/opinions`, await opinionBody(id));
    expect(opinion.status).toBe(200);
    expect(opinion.body.state).toBe('appraised');

    // Opinions are immutable: the same appraiser cannot add a second current one.
    expect((await as('ann').post(`/v1/projects/${id}/opinions`, await opinionBody(id))).status).toBe(409);

    const decision = await as('paul').post(`/v1/projects/${id}/decision`, { outcome: 'approved', reasons: [{ text: 'Technology meets every criterion', criterion: criteria[0] }] });
    expect(decision.status).toBe(200);
    expect(decision.body.state).toBe('approved');

    const history = (await as('audrey').get(`/v1/projects/${id}/history`)).body.events as Array<{ action: string; payload: Record<string, any> }>;
    const actions = history.map((e) => e.action);
    expect(actions.slice(-12)).toEqual([
      'screening.completed',
      'completeness.confirmed',
      'deadlines.started',
      'slip.issued', // receipt (Mẫu 01)
      'appraisers.assigned',
      'deadlines.closed', // forwarding
      'opinion.recorded',
      'appraisal.concluded',
      'decision.recorded',
      'deadlines.closed', // the opinion step
      'slip.issued', // process control (Mẫu 05)
      'slip.issued', // the result document
    ]);
    const screening = history.find((e) => e.action === 'screening.completed')!;
    expect(screening.payload).toMatchObject({ rulebookVersion: '2026.1', declarationVersion: 1 });
    const op = history.find((e) => e.action === 'opinion.recorded')!;
    expect(op.payload.documentsReviewed).toHaveLength(6);
    const dec = history.find((e) => e.action === 'decision.recorded')!;
    expect(dec.payload).toMatchObject({ outcome: 'approved', opinions: [op.payload.opinionId], appraisalId: op.payload.appraisalId, screeningId: screening.payload.screeningId });

    const appraisal = (await as('alice').get(`/v1/projects/${id}/appraisal`)).body.appraisals[0];
    expect(appraisal).toMatchObject({ round: 1, mode: 'opinion', status: 'concluded', conclusion: 'approve', requiredOpinions: 1, decision: { outcome: 'approved', decidedBy: 'paul' } });
  });
});

describe('outdated machinery', () => {
  it('gets an outdated finding stating the age and the limit, blocks approval until the declaration changes', async () => {
    const old = sampleDeclaration({
      machinery: [{ name: 'Used ball mill', hsCode: '8474.20', manufactureYear: 2009, condition: 'used', remainingCapacityPct: 90, consumptionVsDesignPct: 105, standards: ['QCVN 05:2023/BTNMT'] }],
    });
    const id = await projectUnderAppraisal(old);
    const findings = (await as('alice').get(`/v1/projects/${id}/findings`)).body.findings as Array<{ id: string; severity: string; evidence: string; ruleId: string }>;
    const outdated = findings.filter((f) => f.severity === 'outdated');
    expect(outdated).toHaveLength(1);
    expect(outdated[0]!.ruleId).toBe('machinery.used_age');
    const year = Number(new Intl.DateTimeFormat('en', { timeZone: 'Asia/Ho_Chi_Minh', year: 'numeric' }).format(new Date()));
    expect(outdated[0]!.evidence).toContain(`${year - 2009} years old`);
    expect(outdated[0]!.evidence).toMatch(/limit .*10 years/);

    await as('ann').post(`/v1/projects/${id}/opinions`, await opinionBody(id, 'approve_with_conditions', ['Replace the mill within 2 years']));
    const blocked = await as('paul').post(`/v1/projects/${id}/decision`, { outcome: 'approved_with_conditions', reasons: [{ text: 'ok' }] });
    expect(blocked.status).toBe(409);
    expect(blocked.body.code).toBe('APPROVAL_BLOCKED');
    expect(blocked.body.findings.map((f: { id: string }) => f.id)).toEqual([outdated[0]!.id]);

    // The investor resolves it during supplementation: a new declaration, re-screened on resubmission.
    await as('carol').post(`/v1/projects/${id}/completeness`, { result: 'incomplete', note: 'Replace the used mill (outdated)' });
    await as('alice').put(`/v1/projects/${id}/technology`, sampleDeclaration());
    expect((await as('alice').post(`/v1/projects/${id}/resubmit`)).body.state).toBe('completeness_review');
    expect((await as('alice').get(`/v1/projects/${id}/findings`)).body.findings.filter((f: { severity: string }) => f.severity === 'outdated')).toEqual([]);
    await as('carol').post(`/v1/projects/${id}/completeness`, { result: 'complete' });
    // The earlier opinion is stale now (it assessed the old declaration): it must be renewed.
    const before = (await as('alice').get(`/v1/projects/${id}/appraisal`)).body.appraisals[0];
    expect(before.status).toBe('open');
    expect(before.opinions.map((o: { stale: boolean }) => o.stale)).toEqual([true]);
    expect((await as('ann').post(`/v1/projects/${id}/opinions`, await opinionBody(id, 'approve_with_conditions', ['Train operators']))).body.state).toBe('appraised');
    const approved = await as('paul').post(`/v1/projects/${id}/decision`, { outcome: 'approved_with_conditions', reasons: [{ text: 'resolved' }], conditions: ['Report commissioning'] });
    expect(approved.status).toBe(200);
    expect(approved.body.state).toBe('approved');
    const decision = (await as('alice').get(`/v1/projects/${id}/appraisal`)).body.appraisals[0].decision;
    // Conditions from the (current) opinion carry into the decision.
    expect(decision.conditions).toEqual(['Train operators', 'Report commissioning']);
  });
});

describe('prohibited technology', () => {
  it('can only be rejected, citing the finding', async () => {
    const id = await projectUnderAppraisal(
      sampleDeclaration({ technologies: [{ name: 'Xi mang lo dung', origin: 'Domestic', description: 'Công nghệ sản xuất xi măng lò đứng công suất nhỏ' }] }),
    );
    const prohibited = (await as('alice').get(`/v1/projects/${id}/findings`)).body.findings.filter((f: { severity: string }) => f.severity === 'prohibited');
    expect(prohibited).toHaveLength(1);
    expect(prohibited[0].evidence).toMatch(/prohibited/i);
    await as('ann').post(`/v1/projects/${id}/opinions`, await opinionBody(id, 'reject'));
    const approve = await as('paul').post(`/v1/projects/${id}/decision`, { outcome: 'approved', reasons: [{ text: 'fine' }] });
    expect(approve.body).toMatchObject({ statusCode: 409, code: 'APPROVAL_BLOCKED' });
    const uncited = await as('paul').post(`/v1/projects/${id}/decision`, { outcome: 'rejected', reasons: [{ text: 'no' }] });
    expect(uncited.body).toMatchObject({ statusCode: 422, code: 'REASONS_MUST_CITE' });
    const rejected = await as('paul').post(`/v1/projects/${id}/decision`, { outcome: 'rejected', reasons: [{ text: 'Prohibited technology', findingId: prohibited[0].id }] });
    expect(rejected.status).toBe(200);
    expect(rejected.body.state).toBe('rejected');
    expect(rejected.body.allowedActions).toEqual([]);
  });
});

describe('separation of duties and opinion rules', () => {
  it('whoever gave an opinion cannot decide; a member of the investor cannot decide; stale documents are refused', async () => {
    const id = await projectUnderAppraisal(sampleDeclaration(), ['ivy']);
    const body = await opinionBody(id);
    const staleDoc = await as('ivy').post(`/v1/projects/${id}/opinions`, { ...body, documentsReviewed: [{ documentId: body.documentsReviewed[0]!.documentId, sha256: 'b'.repeat(64) }] });
    expect(staleDoc.body.code).toBe('DOCUMENT_NOT_CURRENT');
    const missing = await as('ivy').post(`/v1/projects/${id}/opinions`, { ...body, criteria: body.criteria.slice(1) });
    expect(missing.body).toMatchObject({ code: 'CRITERIA_MISMATCH', missing: [criteria[0]] });
    const conflicted = await as('ivy').post(`/v1/projects/${id}/opinions`, { ...body, conflictOfInterest: { declared: true } });
    expect(conflicted.body.code).toBe('CONFLICT_OF_INTEREST_DECLARED');
    expect((await as('ivy').post(`/v1/projects/${id}/opinions`, body)).body.state).toBe('appraised');

    const self = await as('ivy').post(`/v1/projects/${id}/decision`, { outcome: 'approved', reasons: [{ text: 'mine' }] });
    expect(self.status).toBe(403);
    expect(self.body.code).toBe('NOT_PERMITTED');
    const mole = await as('mole').post(`/v1/projects/${id}/decision`, { outcome: 'approved', reasons: [{ text: 'ours' }] });
    expect([403, 404]).toContain(mole.status);
    expect((await as('paul').post(`/v1/projects/${id}/decision`, { outcome: 'approved', reasons: [{ text: 'independent' }] })).body.state).toBe('approved');
  });

  it('an appraiser who declares a conflict is recused and cannot be assigned again', async () => {
    const id = await projectUnderAppraisal(sampleDeclaration(), ['ben']);
    expect((await as('ben').post(`/v1/projects/${id}/conflict-of-interest`, { statement: 'I advised the investor in 2024' })).status).toBe(200);
    expect((await as('ben').post(`/v1/projects/${id}/opinions`, await opinionBody(id))).status).toBe(403);
    const again = await as('carol').post(`/v1/projects/${id}/assignments`, { appraisers: ['ben'] });
    expect(again.body.code).toBe('APPRAISER_CONFLICTED');
  });

  it('a newer upload of a document an opinion relied on marks the opinion stale', async () => {
    const id = await projectUnderAppraisal(sampleDeclaration(), ['ann', 'cat']);
    expect((await as('ann').post(`/v1/projects/${id}/opinions`, await opinionBody(id))).body.state).toBe('under_appraisal');
    await as('carol').post(`/v1/projects/${id}/completeness`, { result: 'incomplete', missing: ['machinery_list'] });
    const res = await upload(app, tokens.alice!, id, 'machinery_list', { name: 'machinery-v2.pdf', content: samplePdf('corrected list') });
    expect(res.status).toBe(201);
    const op = (await as('carol').get(`/v1/projects/${id}/appraisal`)).body.appraisals[0].opinions[0];
    expect(op).toMatchObject({ appraiser: 'ann', stale: true });
  });
});

describe('council mode', () => {
  it('needs its quorum; the conclusion is the majority, each member opinion kept', async () => {
    const members = ['ann', 'ben', 'cat', 'dan', 'eve'];
    const id = await projectUnderAppraisal(sampleDeclaration(), []);
    expect((await as('carol').post(`/v1/projects/${id}/escalate`, { reason: 'Large cement line, restricted components' })).body.appraisalMode).toBe('council');
    expect((await as('carol').post(`/v1/projects/${id}/assignments`, { appraisers: members })).status).toBe(200);
    const votes: Array<'approve' | 'reject' | 'approve_with_conditions'> = ['approve', 'reject', 'approve_with_conditions'];
    for (const [i, m] of members.slice(0, 3).entries()) {
      const r = await as(m).post(`/v1/projects/${id}/opinions`, await opinionBody(id, votes[i], votes[i] === 'approve_with_conditions' ? ['Monitor dust'] : []));
      expect(r.body.state).toBe('under_appraisal'); // quorum is 4 of 5
    }
    const fourth = await as('dan').post(`/v1/projects/${id}/opinions`, await opinionBody(id, 'approve'));
    expect(fourth.body.state).toBe('appraised');
    const appraisal = (await as('audrey').get(`/v1/projects/${id}/appraisal`)).body.appraisals[0];
    expect(appraisal).toMatchObject({ mode: 'council', requiredOpinions: 4, conclusion: 'approve_with_conditions', tally: { votes: { approve: 2, approve_with_conditions: 1, reject: 1 }, submitted: 4 } });
    expect(appraisal.opinions.map((o: { appraiser: string }) => o.appraiser)).toEqual(['ann', 'ben', 'cat', 'dan']);
  });
});

/** The database's own message (drizzle wraps it as "Failed query: …"). */
async function dbRefuses(work: Promise<unknown>, message: RegExp) {
  const err = await work.then(() => undefined, (e: Error & { cause?: Error }) => e);
  expect(err, 'the statement should have been refused').toBeDefined();
  expect(String(err!.cause?.message ?? err!.message)).toMatch(message);
}

describe('coverage is enforced by the database, even against hand-written SQL', () => {
  const db = () => env.database.db;
  const setState = (id: string, state: string) =>
    db().execute(sql`update projects set state = ${state}, snapshot = jsonb_set(snapshot, '{state}', to_jsonb(${state}::text)) where id = ${id}`);

  it('refuses approved/rejected/appraised without a concluded appraisal and a matching decision', async () => {
    const id = await projectUnderAppraisal();
    await dbRefuses(setState(id, 'approved'), /coverage|concluded appraisal/);
    await dbRefuses(setState(id, 'rejected'), /concluded appraisal/);
    await dbRefuses(setState(id, 'appraised'), /concluded appraisal/);
    await as('ann').post(`/v1/projects/${id}/opinions`, await opinionBody(id));
    // Appraised now, but no decision yet.
    await dbRefuses(setState(id, 'approved'), /matching decision/);
    await dbRefuses(setState(id, 'rejected'), /matching decision/);
    const [{ state }] = (await db().execute(sql`select state from projects where id = ${id}`)) as unknown as [{ state: string }];
    expect(state).toBe('appraised');
  });

  it('refuses decisions, opinions and conclusions that do not rest on the required appraisal', async () => {
    const id = await projectUnderAppraisal(sampleDeclaration(), ['cat']);
    const [appraisal] = (await db().execute(sql`select id from appraisals where project_id = ${id}`)) as unknown as [{ id: string }];
    // A decision on an open appraisal.
    await dbRefuses(db().execute(sql`insert into decisions (project_id, appraisal_id, outcome, reasons, conditions, decided_by) values (${id}, ${appraisal.id}, 'approved', '[]', '[]', 'paul')`), /concluded appraisal/);
    // Concluding without the opinions.
    await dbRefuses(db().execute(sql`update appraisals set status = 'concluded', required_opinions = 1, conclusion = 'approve', concluded_at = now() where id = ${appraisal.id}`), /needs 1 current opinions/);
    await dbRefuses(db().execute(sql`update appraisals set status = 'concluded', required_opinions = 0, conclusion = 'approve', concluded_at = now() where id = ${appraisal.id}`), /appraisals_concluded_complete|lacks the opinion/);
    // An opinion from someone not assigned.
    await dbRefuses(db().execute(sql`insert into opinions (appraisal_id, project_id, appraiser_sub, criteria, recommendation, conditions, conflict_declared) values (${appraisal.id}, ${id}, 'paul', '[]', 'approve', '[]', false)`), /not assigned/);
    // A project born approved.
    await dbRefuses(
      db().execute(sql`insert into projects (code, organisation, name, sector, location, capital_vnd, stage, project_group, capital_source, deciding_level, environmental_risk, state, snapshot, machine_id, machine_version, created_by)
      values ('QN-2099-000001', 'acme', 'x', 'cement', 'x', 1, 'investment_policy', 'C', 'private', 'investor', false, 'approved', '{"state":"approved"}', 'appraisal', 1, 'x')`),
      /created in draft/,
    );

    // With the opinion in, a decision by its appraiser is refused; decisions and opinions are final.
    await as('cat').post(`/v1/projects/${id}/opinions`, await opinionBody(id));
    await dbRefuses(db().execute(sql`insert into decisions (project_id, appraisal_id, outcome, reasons, conditions, decided_by) values (${id}, ${appraisal.id}, 'approved', '[]', '[]', 'cat')`), /gave an opinion/);
    await dbRefuses(db().execute(sql`update opinions set recommendation = 'reject' where project_id = ${id}`), /immutable/);
    await dbRefuses(db().execute(sql`delete from opinions where project_id = ${id}`), /never deleted/);
    // Making the opinion stale by hand leaves the appraisal short: no decision can rest on it.
    await db().execute(sql`update opinions set stale = true where project_id = ${id}`);
    await dbRefuses(db().execute(sql`insert into decisions (project_id, appraisal_id, outcome, reasons, conditions, decided_by) values (${id}, ${appraisal.id}, 'approved', '[]', '[]', 'paul')`), /lacks current opinions/);
  });
});

describe('after approval (Art. 13.4)', () => {
  it('a reported technology change reopens appraisal in a new round', async () => {
    const id = await projectUnderAppraisal();
    await as('ann').post(`/v1/projects/${id}/opinions`, await opinionBody(id));
    await as('paul').post(`/v1/projects/${id}/decision`, { outcome: 'approved', reasons: [{ text: 'ok' }] });
    const changed = await as('alice').post(`/v1/projects/${id}/technology-change`, { description: 'Switching the kiln burner to a multi-fuel model' });
    expect(changed.body).toMatchObject({ state: 'awaiting_supplement', round: 2 });
    await as('alice').put(`/v1/projects/${id}/technology`, sampleDeclaration({ technologies: [{ name: 'Multi-fuel kiln burner', origin: 'Denmark' }] }));
    await as('alice').post(`/v1/projects/${id}/resubmit`);
    await as('carol').post(`/v1/projects/${id}/completeness`, { result: 'complete' });
    // Round 2 needs its own appraisal: the round-1 approval does not carry over.
    await dbRefuses(env.database.db.execute(sql`update projects set state = 'approved', snapshot = jsonb_set(snapshot, '{state}', '"approved"') where id = ${id}`), /round 2/);
    await as('carol').post(`/v1/projects/${id}/assignments`, { appraisers: ['eve'] });
    expect((await as('eve').post(`/v1/projects/${id}/opinions`, await opinionBody(id))).body.state).toBe('appraised');
    expect((await as('paul').post(`/v1/projects/${id}/decision`, { outcome: 'approved', reasons: [{ text: 'change is fine' }] })).body).toMatchObject({ state: 'approved', round: 2 });
  });
});

describe('rulebooks', () => {
  it('are versioned, validated, effective from a legal date (back-dating audited), never edited', async () => {
    const current = (await as('audrey').get('/v1/rulebooks/current')).body;
    expect(current).toMatchObject({ version: '2026.1', effectiveFrom: '2026-04-01' });
    expect((await as('audrey').get('/v1/rulebooks/current?at=2026-03-31T12:00:00Z')).body.version).toBe('2017.2');
    const admin = client(app, await env.token('root', ['admin'], 'ops'));
    const future = '2999-01-01';
    const next = { ...current.content, version: '2999.1', title: 'A future amendment', effectiveFrom: future };
    const published = await admin.post('/v1/rulebooks', next);
    expect(published.status).toBe(201);
    expect(published.body).toMatchObject({ version: '2999.1', effectiveFrom: future, publishedBy: 'root' });
    expect((await admin.post('/v1/rulebooks', next)).body.code).toBe('RULEBOOK_VERSION_EXISTS');
    const invalid = await admin.post('/v1/rulebooks', { ...next, version: '2999.3', usedMachinery: { ...next.usedMachinery, age: { ...next.usedMachinery.age, maxAgeYears: -1 } } });
    expect(invalid.body.code).toBe('RULEBOOK_INVALID');
    expect(invalid.body.errors.length).toBeGreaterThan(0);
    // Still 2026.1 today; the new one from its date.
    expect((await as('audrey').get('/v1/rulebooks/current')).body.version).toBe('2026.1');
    expect((await as('audrey').get(`/v1/rulebooks/current?at=${future}T12:00:00Z`)).body.version).toBe('2999.1');
    expect((await as('audrey').get('/v1/rulebooks')).body.items.map((r: { version: string }) => r.version)).toEqual(['2999.1', '2026.1', '2017.2']);
    await dbRefuses(env.database.db.execute(sql`update rulebooks set title = 'edited'`), /immutable/);
  });
});
