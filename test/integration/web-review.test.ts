/**
 * The clerk's assignment and SLA board, the appraiser's inbox and review workspace, through the
 * pages over a listening socket without JavaScript: barred appraisers shown with the rule's
 * reason before posting, the service's refusals after posting shown with reason and code, stale
 * revisions (412), bad input (400 with the error summary), pages refused to other roles, and an
 * opinion bound to the exact document versions shown, confirmed after Post/Redirect/Get.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createTestEnv, type TestEnv } from '../helpers/test-env';
import { freePort } from '../helpers/ports';
import { client, completeDossier, sampleDeclaration, sampleProject } from '../helpers/api';
import { createAccountStore } from '../../src/auth/oidc-account-store';
import type { Role } from '../../src/auth/roles';
import { WebClient, decode, signIn, type WebResponse } from './web-session-client';

let env: TestEnv;
let app: FastifyInstance;
let base: string;
let projectId = '';
let code = '';
let ann: WebClient;
// The app's clock: the board's last test moves it forward to make a deadline overdue.
let clockOffsetMs = 0;

async function account(sub: string, roles: Role[], org: string | null, name = sub) {
  const { password } = await createAccountStore(env.database.db).add({ sub, roles, organisation: org ?? undefined, displayName: name } as Parameters<ReturnType<typeof createAccountStore>['add']>[0]);
  const web = new WebClient(base);
  await signIn(web, sub, password, "mật khẩu thẩm định 2026");
  return web;
}

/** A form post with repeated fields (several appraisers, several documents read), hidden fields taken from the page. */
async function post(web: WebClient, page: WebResponse, action: string, fields: Array<[string, string]>): Promise<WebResponse> {
  const form = [...page.body.matchAll(/<form[^>]*?action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/g)].find((f) => decode(f[1]!) === action);
  if (!form) throw new Error(`no form ${action} on ${page.url}`);
  const body = new URLSearchParams();
  for (const m of form[2]!.matchAll(/<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)) body.append(m[1]!, decode(m[2]!));
  for (const [k, v] of fields) {
    if (body.has(k) && ['revision', '_idem'].includes(k)) body.set(k, v);
    else body.append(k, v);
  }
  // URLSearchParams keeps repeated keys; the client posts it urlencoded as it is.
  return web.follow('POST', new URL(action, page.url).href, body as unknown as Record<string, string>);
}

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  env = await createTestEnv({ PORT: String(port), PUBLIC_URL: base });
  app = await env.buildApp({ clock: () => new Date(Date.now() + clockOffsetMs) });
  await app.listen({ host: '127.0.0.1', port });
  ({ id: projectId, code } = await submittedProject('Nhà máy gạch Tuynel Đông Triều'));
}, 120_000);

/** The investor's part, through the API: register, declare, upload every required file, submit. */
async function submittedProject(name: string): Promise<{ id: string; code: string }> {
  const token = await env.token('rv-investor', ['investor'], 'acme');
  const investor = client(app, token);
  const created = await investor.post('/v1/projects', sampleProject({ name }));
  expect(created.status).toBe(201);
  expect((await investor.put(`/v1/projects/${created.body.id}/technology`, sampleDeclaration())).status).toBe(200);
  await completeDossier(app, token, created.body.id);
  expect((await investor.post(`/v1/projects/${created.body.id}/submit`, {})).status).toBe(200);
  return { id: created.body.id, code: created.body.code };
}
afterAll(async () => env?.close());

describe('clerk assignment and SLA board', () => {
  let clerk: WebClient;

  it('lists every appraiser, the barred ones with the reason the rules give, before posting', async () => {
    // The desk clerk also holds the appraiser role: having accepted the dossier, the rules bar them from appraising it.
    clerk = await account('rv-clerk', ['clerk', 'appraiser'], 'so-khcn', 'Trần Thị Bình');
    ann = await account('rv-ann', ['appraiser'], 'dost', 'Lê Thị Ann');
    await account('rv-acme-expert', ['appraiser'], 'acme', 'Chuyên gia ACME');
    const check = await clerk.get(`/projects/${projectId}/completeness`);
    const accepted = await clerk.submit(check, { result: 'complete' });
    expect(accepted.url).toBe(`${base}/projects/${projectId}?recorded=complete`);

    const page = await clerk.get(`/projects/${projectId}/assignment`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<caption>Chuyên gia thẩm định</caption>');
    // Ann can be assigned: a checkbox with its label.
    expect(page.body).toMatch(/<input type="checkbox" id="appraiser-rv-ann" name="appraisers" value="rv-ann">/);
    const row = (sub: string) => new RegExp(`<tr id="candidate-${sub}"[\\s\\S]*?</tr>`).exec(page.body)?.[0] ?? '';
    expect(row('rv-acme-expert')).toContain('Cùng tổ chức với nhà đầu tư');
    expect(row('rv-acme-expert')).toContain('APPRAISER_NOT_INDEPENDENT');
    expect(row('rv-acme-expert')).not.toContain('type="checkbox"');
    expect(row('rv-clerk')).toContain('APPRAISER_ACTED_IN_OTHER_ROLE');
    expect(row('rv-clerk')).toContain('xác nhận hồ sơ đầy đủ');
  });

  it('refuses bad input with the error summary (400) and a stale page (412)', async () => {
    const page = await clerk.get(`/projects/${projectId}/assignment`);
    const empty = await post(clerk, page, `/projects/${projectId}/assignment`, []);
    expect(empty.status).toBe(400);
    expect(empty.body).toContain('class="error-summary"');
    expect(empty.body).toContain('href="#appraisers"');
    expect(empty.body).toContain('href="#mode"');
    expect(empty.body).toContain('<title>Lỗi:');

    // Another clerk assigns Bob through the API meanwhile: the page's revision is stale.
    await env.token('rv-bob', ['appraiser'], 'dost').then((t) => client(app, t).get('/v1/projects?limit=1')); // Bob is seen once (principal directory)
    const desk = client(app, await env.token('rv-desk2', ['clerk'], undefined));
    const viaApi = await desk.post(`/v1/projects/${projectId}/assignments`, { appraisers: ['rv-bob'] });
    expect(viaApi.status).toBe(200);
    const stale = await post(clerk, page, `/projects/${projectId}/assignment`, [['appraisers', 'rv-ann'], ['mode', 'opinion']]);
    expect(stale.status).toBe(412);
    expect(stale.body).toContain('class="error-summary"');
    expect(stale.body).toContain('PRECONDITION_FAILED');
    // The re-rendered page keeps the choice and shows Bob assigned.
    expect(stale.body).toMatch(/value="rv-ann" checked/);
    expect(/<tr id="candidate-rv-bob"[\s\S]*?<\/tr>/.exec(stale.body)![0]).toContain('Đã được phân công');
  });

  it("shows the service's refusal of a barred appraiser with its reason and code", async () => {
    // Bob recuses himself: a declared conflict of interest.
    const bob = client(app, await env.token('rv-bob', ['appraiser'], 'dost'));
    expect((await bob.post(`/v1/projects/${projectId}/conflict-of-interest`, { statement: 'Tôi từng làm tư vấn cho nhà đầu tư' })).status).toBe(200);
    const page = await clerk.get(`/projects/${projectId}/assignment`);
    const bobRow = /<tr id="candidate-rv-bob"[\s\S]*?<\/tr>/.exec(page.body)![0];
    expect(bobRow).toContain('Đã khai báo xung đột lợi ích');
    expect(bobRow).toContain('Tôi từng làm tư vấn cho nhà đầu tư');
    expect(bobRow).toContain('APPRAISER_CONFLICTED');
    // A page opened before the declaration (or a hand-made post) still meets the rule in the service.
    const conflicted = await post(clerk, page, `/projects/${projectId}/assignment`, [['appraisers', 'rv-bob'], ['mode', 'opinion']]);
    expect(conflicted.status).toBe(422);
    expect(conflicted.body).toContain('class="error-summary"');
    expect(conflicted.body).toContain('rv-bob: Đã khai báo xung đột lợi ích với dự án này (mã APPRAISER_CONFLICTED)');
    // The new separation-of-duties rule holds in the command itself (the API answers the same).
    const viaApi = await client(app, await env.token('rv-desk2', ['clerk'])).post(`/v1/projects/${projectId}/assignments`, { appraisers: ['rv-clerk'] });
    expect(viaApi.status).toBe(422);
    expect(viaApi.body.code).toBe('APPRAISER_ACTED_IN_OTHER_ROLE');
    const sameOrg = await post(clerk, page, `/projects/${projectId}/assignment`, [['appraisers', 'rv-acme-expert'], ['mode', 'opinion']]);
    expect(sameOrg.status).toBe(422);
    expect(sameOrg.body).toContain('APPRAISER_NOT_INDEPENDENT');
    expect(sameOrg.body).toContain('Cùng tổ chức với nhà đầu tư');
  });

  it('assigns, then confirms after the redirect; the board shows the open step with its due date', async () => {
    const page = await clerk.get(`/projects/${projectId}/assignment`);
    const done = await post(clerk, page, `/projects/${projectId}/assignment`, [['appraisers', 'rv-ann'], ['mode', 'opinion']]);
    expect(done.status).toBe(200);
    expect(done.url).toBe(`${base}/projects/${projectId}/assignment?assigned=1`);
    expect(done.body).toContain('id="assignment-recorded"');
    expect(/<tr id="candidate-rv-ann"[\s\S]*?<\/tr>/.exec(done.body)![0]).toContain('Đã được phân công');

    const board = await clerk.get('/board');
    expect(board.status).toBe(200);
    const row = new RegExp(`<tr[^>]*><th scope="row"><a href="/projects/${projectId}">[\\s\\S]*?</tr>`).exec(board.body)![0];
    expect(row).toContain(code);
    expect(row).toContain('Có ý kiến về công nghệ');
    expect(row).toMatch(/còn \d+ ngày|hết hạn hôm nay/);
    expect(board.body).toContain('<caption class="visually-hidden">Bảng theo dõi thời hạn</caption>');
  });
});

describe('appraiser inbox and review workspace', () => {
  it('refuses the pages to roles that may not use them', async () => {
    expect((await ann.get('/board')).status).toBe(403);
    expect((await ann.get(`/projects/${projectId}/assignment`)).status).toBe(403);
    const desk = await account('rv-desk3', ['clerk'], 'so-khcn');
    expect((await desk.get('/inbox')).status).toBe(403);
    expect((await desk.get(`/projects/${projectId}/review`)).status).toBe(403);
    // An appraiser not assigned to the project does not see it.
    const other = await account('rv-carl', ['appraiser'], 'dost');
    expect((await other.get(`/projects/${projectId}/review`)).status).toBe(404);
    expect((await other.get('/inbox')).body).toContain('Không có hồ sơ nào chờ ý kiến của bạn.');
  });

  it('records an opinion bound to the versions shown: 400 on bad input, 412 on a stale page, then the confirmation', async () => {
    const inbox = await ann.get('/');
    expect(inbox.url).toBe(`${base}/inbox`);
    expect(inbox.body).toContain(code);
    expect(inbox.body).toContain(`href="/projects/${projectId}/review"`);

    const page = await ann.get(`/projects/${projectId}/review`);
    expect(page.status).toBe(200);
    const bindings = [...page.body.matchAll(/name="read" value="([0-9a-f-]{36}:[0-9a-f]{64})"/g)].map((m) => m[1]!);
    const docs = (await client(app, await env.token('rv-investor', ['investor'], 'acme')).get(`/v1/projects/${projectId}/documents`)).body.current as Array<{ id: string; sha256: string }>;
    expect(bindings.sort()).toEqual(docs.map((d) => `${d.id}:${d.sha256}`).sort());
    const criteria = [...new Set([...page.body.matchAll(/name="verdict-([a-z_]+)"/g)].map((m) => m[1]!))];
    expect(criteria.length).toBeGreaterThan(3);
    // A PDF opens inline in the browser's viewer.
    const view = await ann.request('GET', `/documents/${docs[0]!.id}/view`);
    expect(view.status).toBe(200);
    expect(view.headers.get('content-disposition')).toMatch(/^inline/);

    const bad = await post(ann, page, `/projects/${projectId}/review`, [['recommendation', 'approve_with_conditions']]);
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('class="error-summary"');
    for (const c of criteria) expect(bad.body).toContain(`href="#verdict-${c}"`);
    expect(bad.body).toContain('href="#read"');
    expect(bad.body).toContain('href="#conditions"');
    expect(bad.body).toMatch(/id="recommendation-approve_with_conditions" name="recommendation" value="approve_with_conditions" checked/);

    const fields: Array<[string, string]> = [...criteria.map((c) => [`verdict-${c}`, 'meets'] as [string, string]), ...bindings.map((b) => ['read', b] as [string, string]), ['recommendation', 'approve'], ['comment-technology_option_suitability', 'Lò nung tuynel phù hợp']];
    const stale = await post(ann, page, `/projects/${projectId}/review`, [...fields, ['revision', '1']]);
    expect(stale.status).toBe(412);
    expect(stale.body).toContain('PRECONDITION_FAILED');

    const recorded = await post(ann, page, `/projects/${projectId}/review`, fields);
    expect(recorded.status).toBe(200);
    expect(recorded.url).toBe(`${base}/projects/${projectId}/review/opinion?recorded=1`);
    expect(recorded.body).toContain('id="opinion-recorded"');
    expect(recorded.body).toContain('Lò nung tuynel phù hợp');
    for (const d of docs) expect(recorded.body).toContain(d.sha256);

    // The audit event carries the exact versions read; the inbox no longer lists the project.
    const history = await client(app, await env.token('rv-audrey', ['auditor'], undefined)).get(`/v1/projects/${projectId}/history`);
    const event = (history.body.events as Array<{ action: string; actorSub?: string; actor?: { sub: string }; payload: { documentsReviewed: Array<{ documentId: string; sha256: string }> } }>).find((e) => e.action === 'opinion.recorded')!;
    expect(event.payload.documentsReviewed.map((d) => `${d.documentId}:${d.sha256}`).sort()).toEqual(bindings.sort());
    expect((await ann.get('/inbox')).body).not.toContain(code);
  });
});

describe('SLA board order', () => {
  it('lists overdue steps first, marked in words, then the nearest due, paused clocks last', async () => {
    const desk = client(app, await env.token('rv-desk4', ['clerk']));
    // Accepted and assigned now: its opinion step runs.
    const late = await submittedProject('Dự án sẽ quá hạn');
    expect((await desk.post(`/v1/projects/${late.id}/completeness`, { result: 'complete' })).status).toBe(200);
    expect((await desk.post(`/v1/projects/${late.id}/assignments`, { appraisers: ['rv-ann'] })).status).toBe(200);
    // Accepted, then sent back for supplementation: its clocks stand still.
    const paused = await submittedProject('Dự án chờ bổ sung');
    expect((await desk.post(`/v1/projects/${paused.id}/completeness`, { result: 'complete' })).status).toBe(200);
    expect((await desk.post(`/v1/projects/${paused.id}/completeness`, { result: 'incomplete', missing: ['machinery_list'] })).status).toBe(200);
    // Forty days later, a dossier accepted then: running, due in the future.
    clockOffsetMs = 40 * 86_400_000;
    const fresh = await submittedProject('Dự án mới tiếp nhận');
    expect((await desk.post(`/v1/projects/${fresh.id}/completeness`, { result: 'complete' })).status).toBe(200);

    const clerk = await account('rv-board', ['clerk'], 'so-khcn');
    const board = await clerk.get('/board');
    expect(board.status).toBe(200);
    const rows = [...board.body.matchAll(/<tr( class="board__row--overdue")?><th scope="row"><a href="\/projects\/([0-9a-f-]{36})">[\s\S]*?<\/tr>/g)].map((m) => ({ overdue: Boolean(m[1]), id: m[2]!, html: m[0] }));
    const first = (id: string) => rows.findIndex((r) => r.id === id);
    const last = (id: string) => rows.map((r) => r.id).lastIndexOf(id);
    expect(first(late.id)).toBeGreaterThanOrEqual(0);
    expect(last(late.id)).toBeLessThan(first(fresh.id));
    expect(last(fresh.id)).toBeLessThan(first(paused.id));
    const lateRow = rows.find((r) => r.id === late.id)!;
    expect(lateRow.overdue).toBe(true);
    expect(lateRow.html).toMatch(/<strong>QUÁ HẠN \d+ ngày<\/strong>/);
    expect(lateRow.html).toContain('Quá hạn');
    expect(rows.find((r) => r.id === fresh.id)!.html).toMatch(/còn \d+ ngày/);
    expect(rows.find((r) => r.id === paused.id)!.html).toContain('Đồng hồ dừng, chưa có hạn');
    expect(board.body).toMatch(/\d+ bước đang mở; [1-9]\d* quá hạn; [1-9]\d* tạm dừng\./);
  });
});

describe('recusal from the review workspace', () => {
  it('an assigned appraiser declares a conflict of interest; the clerk then sees them barred with the statement', async () => {
    const desk = client(app, await env.token('rv-desk5', ['clerk']));
    const p = await submittedProject('Dự án có xung đột lợi ích');
    expect((await desk.post(`/v1/projects/${p.id}/completeness`, { result: 'complete' })).status).toBe(200);
    const dana = await account('rv-dana', ['appraiser'], 'dost', 'Phạm Thị Dana');
    expect((await desk.post(`/v1/projects/${p.id}/assignments`, { appraisers: ['rv-dana'] })).status).toBe(200);
    const page = await dana.get(`/projects/${p.id}/review`);
    expect(page.body).toContain(`action="/projects/${p.id}/review/conflict"`);
    const empty = await post(dana, page, `/projects/${p.id}/review/conflict`, [['statement', '  ']]);
    expect(empty.status).toBe(400);
    expect(empty.body).toContain('href="#statement"');
    const declared = await post(dana, page, `/projects/${p.id}/review/conflict`, [['statement', 'Chồng tôi là cổ đông của nhà đầu tư']]);
    expect(declared.url).toBe(`${base}/projects/${p.id}/review?recused=1`);
    expect(declared.body).toContain('id="conflict-declared"');
    expect(declared.body).not.toContain('id="record-opinion"');
    const clerk = await account('rv-desk6', ['clerk'], 'so-khcn');
    const assignment = await clerk.get(`/projects/${p.id}/assignment`);
    const row = /<tr id="candidate-rv-dana"[\s\S]*?<\/tr>/.exec(assignment.body)![0];
    expect(row).toContain('APPRAISER_CONFLICTED');
    expect(row).toContain('Chồng tôi là cổ đông của nhà đầu tư');
  });
});
