/**
 * The authorization matrix: every route the app registers × every kind of caller, against the
 * real app. A route added without a row here fails the first test.
 *
 * Commands are sent with a valid body and a stale `If-Match`, so a caller who passes every
 * access check gets 412 and nothing changes; a caller stopped earlier gets 401, 403 or 404.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createTestEnv, type TestEnv } from '../helpers/test-env';
import { client, completeDossier, multipart, sampleDeclaration, samplePdf, sampleProject } from '../helpers/api';
import { routeCatalogue } from '../../src/http/access-control';
import type { Role } from '../../src/auth/roles';
import { AUDIT_ROWS } from './access-matrix.audit-rows';
import { createSlipService } from '../../src/modules/slips/slip-service';

const PERSONAS = {
  none: null,
  investorOwn: { sub: 'alice', roles: ['investor'], org: 'acme' },
  investorOther: { sub: 'oscar', roles: ['investor'], org: 'globex' },
  clerk: { sub: 'carol', roles: ['clerk'], org: 'desk' },
  appraiserAssigned: { sub: 'ann', roles: ['appraiser'], org: 'dost' },
  appraiserOther: { sub: 'andy', roles: ['appraiser'], org: 'dost' },
  approver: { sub: 'paul', roles: ['approver'], org: 'ppc' },
  auditor: { sub: 'audrey', roles: ['auditor'], org: 'inspectorate' },
  admin: { sub: 'root', roles: ['admin'], org: 'ops' },
} as const satisfies Record<string, { sub: string; roles: Role[]; org: string } | null>;
type Persona = keyof typeof PERSONAS;
type Row = Record<Persona, number>;

const row = (base: number, overrides: Partial<Row> = {}): Row => ({
  none: 401,
  investorOwn: base,
  investorOther: base,
  clerk: base,
  appraiserAssigned: base,
  appraiserOther: base,
  approver: base,
  auditor: base,
  admin: base,
  ...overrides,
});
const everyone = (status: number): Row => ({ ...row(status), none: status });
/** Read a project: staff, its investor, its assigned appraiser. */
const projectRead = row(200, { investorOther: 404, appraiserOther: 404 });
/** A command for `role` only: others are refused by role; invisible projects answer 404. */
const commandFor = (persona: 'investorOwn' | 'clerk' | 'appraiserAssigned' | 'approver'): Row => {
  const r = row(403);
  r[persona] = 412;
  if (persona === 'investorOwn') r.investorOther = 404;
  if (persona === 'appraiserAssigned') r.appraiserOther = 404;
  return r;
};

export interface MatrixSpec {
  expect: Row;
  body?: () => unknown;
  /** A query string to append. */
  query?: () => string;
  /** A multipart upload of a small PDF instead of a JSON body. */
  file?: boolean;
  stale?: boolean;
}

type Spec = MatrixSpec;
export type MatrixRow = Row;
export { row, everyone, projectRead };

const MATRIX: Record<string, Spec> = {
  ...AUDIT_ROWS,
  'GET /healthz': { expect: everyone(200) },
  'GET /readyz': { expect: everyone(200) },
  'GET /openapi.json': { expect: everyone(200) },
  'POST /v1/projects': { expect: row(403, { investorOwn: 201, investorOther: 201 }), body: () => sampleProject() },
  'GET /v1/projects': { expect: row(200) },
  'GET /v1/projects/:id': { expect: projectRead },
  'PUT /v1/projects/:id/technology': { expect: commandFor('investorOwn'), body: () => sampleDeclaration(), stale: true },
  'GET /v1/projects/:id/technology': { expect: projectRead },
  'POST /v1/projects/:id/submit': { expect: commandFor('investorOwn'), body: () => ({}), stale: true },
  'POST /v1/projects/:id/resubmit': { expect: commandFor('investorOwn'), body: () => ({}), stale: true },
  'POST /v1/projects/:id/withdraw': { expect: commandFor('investorOwn'), body: () => ({}), stale: true },
  'POST /v1/projects/:id/completeness': { expect: commandFor('clerk'), body: () => ({ result: 'complete' }), stale: true },
  'POST /v1/projects/:id/assignments': { expect: commandFor('clerk'), body: () => ({ appraisers: ['ann'] }), stale: true },
  'POST /v1/projects/:id/conflict-of-interest': { expect: commandFor('appraiserAssigned'), body: () => ({ statement: 'My brother works for the investor' }), stale: true },
  'GET /v1/projects/:id/history': { expect: projectRead },
  'GET /v1/notifications': { expect: row(200) },
  // Uploads are refused before a byte is stored: this project is under appraisal (409) for its investor.
  'POST /v1/projects/:id/documents': { expect: row(403, { investorOwn: 409, investorOther: 404 }), file: true, stale: true },
  'GET /v1/projects/:id/documents': { expect: projectRead },
  'GET /v1/documents/:id/content': { expect: projectRead },
  'GET /v1/documents/:id/download-url': { expect: projectRead },
  'GET /v1/rulebooks': { expect: row(200) },
  'GET /v1/rulebooks/current': { expect: row(200) },
  'GET /v1/rulebooks/:version': { expect: row(200) },
  // An admin passes access control and meets validation (422 for an empty rulebook).
  'POST /v1/rulebooks': { expect: row(403, { admin: 422 }), body: () => ({}) },
  'GET /v1/projects/:id/findings': { expect: projectRead },
  'GET /v1/projects/:id/as-of': { expect: row(403, { auditor: 200 }), query: () => `at=${new Date().toISOString()}` },
  'GET /v1/reports/coverage': { expect: row(403, { auditor: 200, approver: 200 }) },
  'GET /v1/projects/:id/appraisal': { expect: projectRead },
  'POST /v1/projects/:id/opinions': {
    expect: commandFor('appraiserAssigned'),
    body: () => ({
      criteria: [{ criterion: 'technology_suitability', verdict: 'meets' }],
      recommendation: 'approve',
      documentsReviewed: [{ documentId: '00000000-0000-4000-8000-000000000000', sha256: 'a'.repeat(64) }],
      conflictOfInterest: { declared: false },
    }),
    stale: true,
  },
  'POST /v1/projects/:id/decision': { expect: commandFor('approver'), body: () => ({ outcome: 'rejected', reasons: [{ text: 'no' }] }), stale: true },
  'POST /v1/projects/:id/escalate': { expect: commandFor('clerk'), body: () => ({ reason: 'restricted technology' }), stale: true },
  'POST /v1/projects/:id/technology-change': { expect: commandFor('investorOwn'), body: () => ({ description: 'new kiln burner' }), stale: true },
  'GET /v1/calendar/due-date': { expect: row(200), query: () => 'from=2026-02-12&limit=5&unit=working_days' },
  'GET /v1/calendars': { expect: row(200) },
  'GET /v1/calendars/:year': { expect: row(200) },
  'GET /v1/calendars/:year/proposal': { expect: row(200) },
  // An admin passes access control and meets validation (422: a swapped working day on a Monday).
  'POST /v1/calendars': {
    expect: row(403, { admin: 422 }),
    body: () => ({ year: 2029, notice: 'x', entries: [{ date: '2029-03-05', kind: 'swapped_working_day', name: 'x', source: 'x', verified: true }] }),
  },
  'GET /v1/projects/:id/slips': { expect: projectRead },
  'GET /v1/slips/:id/content': { expect: projectRead },
  // Public checks: anyone may ask; a JSON body instead of the PDF is a 400 for everyone.
  'GET /v1/slips/verify': { expect: everyone(200), query: () => 'code=AAAAA-BBBBB-CCCCC-DDDDD' },
  'POST /v1/slips/verify': { expect: everyone(400), body: () => ({}) },
  // The statutory clock: extension by the clerk or the (assigned) reviewer, the apology by the clerk.
  'POST /v1/projects/:id/deadline-extension': { expect: row(403, { clerk: 412, appraiserAssigned: 412, appraiserOther: 404 }), body: () => ({ step: 'opinion', days: 1, notice: 'Cần thêm thời gian thẩm định' }), stale: true },
  'POST /v1/projects/:id/apology': { expect: commandFor('clerk'), body: () => ({ reason: 'Cần thêm ý kiến' }), stale: true },
  'GET /v1/reports/on-time': { expect: row(403, { auditor: 200, approver: 200, clerk: 200 }) },
  'GET /v1/deadlines/:id/as-of': { expect: row(403, { auditor: 200 }), query: () => `at=${new Date().toISOString()}` },
};

let env: TestEnv;
let app: FastifyInstance;
let projectId: string;
let documentId: string;
let slipId: string;
let deadlineId: string;
const tokens = {} as Record<Persona, string | undefined>;

beforeAll(async () => {
  env = await createTestEnv({ RATE_LIMIT_PER_MINUTE: '100000' });
  app = await env.buildApp();
  for (const [name, p] of Object.entries(PERSONAS) as Array<[Persona, (typeof PERSONAS)[Persona]]>) {
    tokens[name] = p ? await env.token(p.sub, [...p.roles], p.org) : undefined;
  }
  // A project of acme, under appraisal, with ann assigned.
  const investor = client(app, tokens.investorOwn);
  const clerk = client(app, tokens.clerk);
  projectId = (await investor.post('/v1/projects', sampleProject())).body.id;
  await investor.put(`/v1/projects/${projectId}/technology`, sampleDeclaration());
  await completeDossier(app, tokens.investorOwn!, projectId);
  documentId = (await investor.get(`/v1/projects/${projectId}/documents`)).body.current[0].id;
  await investor.post(`/v1/projects/${projectId}/submit`);
  await clerk.post(`/v1/projects/${projectId}/completeness`, { result: 'complete' });
  for (const p of ['appraiserAssigned', 'appraiserOther'] as const) await client(app, tokens[p]).get('/v1/projects');
  expect((await clerk.post(`/v1/projects/${projectId}/assignments`, { appraisers: ['ann'] })).status).toBe(200);
  const code = (await clerk.get(`/v1/projects/${projectId}`)).body.code;
  const slips = createSlipService({ db: env.database.db, storage: env.storage, clock: () => new Date() });
  const common = { agency: { parent: 'UBND tỉnh', name: 'Sở KH&CN' }, place: 'Quảng Ninh', projectCode: code, projectName: 'x', investor: 'acme', procedure: 'x', signer: { title: 'x', name: 'x' } };
  const view = { ...common, form: 'receipt' as const, receivedAt: new Date().toISOString(), documents: [], appointmentDate: '2026-03-09', receivedBy: 'carol' };
  slipId = (await env.database.db.transaction((tx) => slips.issueSlip(tx, { projectId, form: 'receipt', view, actor: PERSONAS.clerk }))).id;
  deadlineId = (await clerk.get(`/v1/projects/${projectId}`)).body.deadlines[0].id;
});
afterAll(async () => env.close());

describe('authorization matrix', () => {
  it('has a row for every route the app registers, and no row for a route that does not exist', () => {
    // Web pages (session rules) and the web's public routes have their own tests (web-access.test.ts).
    const registered = routeCatalogue(app)
      .filter((r) => !('session' in r.access) && !('page' in r.access && r.access.page))
      .map((r) => `${r.method} ${r.url}`)
      .sort();
    expect(registered).toEqual(Object.keys(MATRIX).sort());
  });

  for (const [route, spec] of Object.entries(MATRIX)) {
    for (const persona of Object.keys(PERSONAS) as Persona[]) {
      it(`${route} as ${persona} → ${spec.expect[persona]}`, async () => {
        const [method, path] = route.split(' ') as [string, string];
        const upload = spec.file ? multipart({ component: 'machinery_list' }, { name: 'machinery.pdf', content: samplePdf() }) : undefined;
        const res = await app.inject({
          method: method as 'GET',
          url: path.replace(':id', path.startsWith('/v1/documents/') ? documentId : path.startsWith('/v1/slips/') ? slipId : path.startsWith('/v1/deadlines/') ? deadlineId : projectId).replace(':year', '2026').replace(':version', '2026.1') + (spec.query ? `?${spec.query()}` : ''),
          headers: {
            ...(tokens[persona] ? { authorization: `Bearer ${tokens[persona]}` } : {}),
            ...(spec.body ? { 'content-type': 'application/json' } : {}),
            ...(upload ? { 'content-type': upload.contentType } : {}),
            ...(spec.stale ? { 'if-match': '"999999"' } : {}),
          },
          ...(spec.body ? { payload: JSON.stringify(spec.body()) } : {}),
          ...(upload ? { payload: upload.payload } : {}),
        });
        expect(res.statusCode, res.body.slice(0, 300)).toBe(spec.expect[persona]);
      });
    }
  }

  it('left the project untouched', async () => {
    const res = await client(app, tokens.clerk).get(`/v1/projects/${projectId}`);
    expect(res.body).toMatchObject({ state: 'under_appraisal', revision: 12 });
  });
});
