/**
 * The investor's journey through the pages, over a listening socket without JavaScript:
 * forms post, links navigate, "add another row" posts back, uploads are plain multipart forms.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createTestEnv, type TestEnv } from '../helpers/test-env';
import { freePort } from '../helpers/ports';
import { samplePdf } from '../helpers/api';
import { createAccountStore } from '../../src/auth/oidc-account-store';
import { WebClient, decode, signIn, type WebResponse } from './web-session-client';

let env: TestEnv;
let app: FastifyInstance;
let base: string;
const PASSWORD = 'investor passphrase 2026';

async function account(sub: string, roles: Array<'investor' | 'clerk' | 'auditor'>, org: string) {
  const store = createAccountStore(env.database.db);
  const { password } = await store.add({ sub, roles, organisation: org, displayName: sub });
  const client = new WebClient(base);
  await signIn(client, sub, password, PASSWORD);
  return client;
}

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  env = await createTestEnv({ PORT: String(port), PUBLIC_URL: base });
  app = await env.buildApp();
  await app.listen({ host: '127.0.0.1', port });
});
afterAll(async () => env?.close());

function upload(page: WebResponse, component: string, name: string, content: Buffer): { action: string; form: FormData } {
  const m = new RegExp(`<form method="post" action="([^"]+)" enctype="multipart/form-data"[^>]*>\\s*<input type="hidden" name="component" value="${component}">`).exec(page.body);
  if (!m) throw new Error(`no upload form for ${component}`);
  const form = new FormData();
  form.append('component', component);
  form.append('file', new Blob([content], { type: 'application/pdf' }), name);
  return { action: decode(m[1]!), form };
}

describe('investor pages', () => {
  let projectUrl = '';

  it('registers a project, refusing bad input with an error summary', async () => {
    const client = await account('web-inv', ['investor'], 'acme');
    const form = await client.get('/projects/new');
    expect(form.status).toBe(200);
    const bad = await client.submit(form, { name: '', location: 'Hạ Long', capitalVnd: 'lots' });
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('class="error-summary"');
    expect(bad.body).toContain('href="#name"');
    expect(bad.body).toContain('href="#capitalVnd"');
    expect(bad.body).toContain('<title>Lỗi:');
    const created = await client.submit(bad, {
      name: 'Nhà máy xi măng Hạ Long',
      sector: 'cement',
      location: 'Hạ Long, Quảng Ninh',
      capitalVnd: '120.000.000.000',
      stage: 'investment_decision',
      group: 'B',
      capitalSource: 'private',
      decidingLevel: 'provincial_peoples_committee',
      environmentalGroup: 'II',
      construction: 'yes',
    });
    expect(created.status).toBe(200);
    expect(created.url).toMatch(/\/projects\/[0-9a-f-]{36}\/technology\?created=1$/);
    expect(created.body).toMatch(/Đã tạo dự án QN-\d{4}-\d+/);
    projectUrl = created.url.replace(/\/technology.*$/, '');

    // Declaration: add a machine row by posting back, then save.
    const withRow = await client.submit(created, { op: 'add-machine', 't0-name': 'Lò quay khô', 't0-origin': 'Đức' });
    expect(withRow.body).toContain('id="m0-name"');
    expect(withRow.body).toContain('value="Lò quay khô"');
    const badRow = await client.submit(withRow, { op: 'save', 't0-name': 'Lò quay khô', 't0-origin': 'Đức', 'm0-name': 'Máy nghiền', 'm0-hsCode': 'abc', 'm0-manufactureYear': '2024', 'm0-condition': 'new' });
    expect(badRow.status).toBe(400);
    expect(badRow.body).toContain('href="#m0-hsCode"');
    const dossier = await client.submit(badRow, {
      op: 'save',
      't0-name': 'Lò quay khô',
      't0-origin': 'Đức',
      'm0-name': 'Máy nghiền',
      'm0-hsCode': '8474.20',
      'm0-manufactureYear': '2024',
      'm0-condition': 'new',
      'm0-standards': 'QCVN 16:2023/BXD',
    });
    expect(dossier.url).toBe(`${projectUrl}/dossier`);

    // The pre-submit check lists what is missing, with the same checklist as the API.
    const check = await client.get(`${projectUrl}/check`);
    expect(check.body).toContain('class="error-summary"');
    expect(check.body).not.toContain('Nộp hồ sơ</button>');
    const api = await (await fetch(`${base}/v1/projects/${projectUrl.split('/').pop()}/documents`, { headers: { authorization: `Bearer ${await env.token('web-inv', ['investor'], 'acme')}` } })).json();
    const missing = (api as { checklist: { missing: string[] } }).checklist.missing;
    expect(missing.length).toBeGreaterThan(0);
    for (const c of missing) expect(check.body).toContain(`#item-${c}`);

    // Upload every required item; each answers with a receipt (name, size, sha256).
    let page = dossier;
    for (const component of missing) {
      const content = samplePdf(component);
      const { action, form: body } = upload(page, component, `${component}.pdf`, content);
      page = await client.follow('POST', action, body);
      expect(page.status, page.body.slice(0, 400)).toBe(200);
      expect(page.body).toContain('id="receipt"');
      expect(page.body).toContain(`${component}.pdf`);
      const { createHash } = await import('node:crypto');
      expect(page.body).toContain(createHash('sha256').update(content).digest('hex'));
    }

    const ready = await client.get(`${projectUrl}/check`);
    expect(ready.body).not.toContain('class="error-summary"');
    const submitted = await client.submit(ready, {});
    expect(submitted.url).toBe(`${projectUrl}?submitted=1`);
    expect(submitted.body).toContain('Đã nộp hồ sơ');

    const history = await client.get(`${projectUrl}/history`);
    expect(history.body).toContain('project.created');
    expect(history.body).toContain('project.submitted');
  });

  it('finds the project by its tracking code', async () => {
    const client = await account('web-clerk', ['clerk'], 'desk');
    const all = await client.get('/projects');
    const code = /(QN-\d{4}-\d+)/.exec(all.body)![1]!;
    const found = await client.get(`/projects?q=${encodeURIComponent(code)}`);
    expect(found.body).toContain(code);
    const none = await client.get('/projects?q=ZZ-0000');
    expect(none.body).toContain('Không có dự án nào');
  });

  it('refuses pages to roles that may not use them, and writes to auditors', async () => {
    const clerk = await account('web-clerk2', ['clerk'], 'desk');
    expect((await clerk.get('/projects/new')).status).toBe(403);
    const auditor = await account('web-aud', ['auditor', 'investor'], 'acme');
    const page = await auditor.get('/projects/new');
    expect(page.status).toBe(403);
    expect(page.body).toContain('READ_ONLY_ROLE');
    // Another organisation's investor does not see the project.
    const other = await account('web-other', ['investor'], 'globex');
    expect((await other.get(projectUrl)).status).toBe(404);
  });
});

describe('clerk intake and supplementation through the pages', () => {
  it('the clerk requests supplementation item by item, the investor answers, the clerk accepts', async () => {
    const clerk = await account('web-desk', ['clerk'], 'desk');
    const queue = await clerk.get('/');
    expect(queue.url).toBe(`${base}/intake`);
    const link = /href="(\/projects\/[0-9a-f-]{36})\/completeness"/.exec(queue.body)![1]!;
    const form = await clerk.get(`${link}/completeness`);
    expect(form.body).toContain('href="/documents/');
    // A document opens from the check page.
    const docHref = /href="(\/documents\/[0-9a-f-]{36})"/.exec(form.body)![1]!;
    const doc = await clerk.request('GET', docHref);
    expect(doc.status).toBe(200);
    expect(doc.body.startsWith('%PDF')).toBe(true);
    expect(doc.headers.get('content-disposition')).toContain('attachment');

    const empty = await clerk.submit(form, { result: 'incomplete' });
    expect(empty.status).toBe(400);
    expect(empty.body).toContain('href="#missing"');
    const requested = await clerk.submit(empty, { result: 'incomplete', missing: 'machinery_list', note: 'Thiếu năm sản xuất của máy nghiền' });
    expect(requested.url).toBe(`${base}${link}?recorded=incomplete`);

    const investor = new WebClient(base);
    await signIn(investor, 'web-inv', PASSWORD);
    const overview = await investor.get(link);
    expect(overview.body).toContain('Yêu cầu bổ sung hồ sơ');
    expect(overview.body).toContain('Thiếu năm sản xuất của máy nghiền');
    expect(overview.body).toContain('Chưa bổ sung');
    const dossier = await investor.get(`${link}/dossier`);
    const { action, form: body } = upload(dossier, 'machinery_list', 'machinery-v2.pdf', samplePdf('v2'));
    const after = await investor.follow('POST', action, body);
    expect(after.body).toContain('machinery-v2.pdf');
    expect(after.body).toContain('Đã nộp tệp mới');
    const check = await investor.get(`${link}/check`);
    expect(check.body).toContain(`action="${link}/resubmit"`);
    const resubmitted = await investor.submit(check, {});
    expect(resubmitted.url).toBe(`${base}${link}?submitted=1`);

    // While the dossier awaits the check, the clerk's overview links to it (a registered page).
    const waiting = await clerk.get(link);
    expect(waiting.body).toContain(`href="${link}/completeness"`);
    expect(waiting.body).toContain('Chưa tính thời hạn');

    const again = await clerk.get(`${link}/completeness`);
    const accepted = await clerk.submit(again, { result: 'complete' });
    expect(accepted.url).toBe(`${base}${link}?recorded=complete`);
    expect(accepted.body).toContain('Đang thẩm định');
    acceptedLink = link;
  });
});

let acceptedLink = '';

describe('project overview: due dates, next steps, slips and the legal basis', () => {
  it('shows the statutory steps with their due dates and the slips with their verification codes', async () => {
    const investor = new WebClient(base);
    await signIn(investor, 'web-inv', PASSWORD);
    const id = acceptedLink.split('/').pop()!;
    const api = (await (await fetch(`${base}/v1/projects/${id}`, { headers: { authorization: `Bearer ${await env.token('web-inv', ['investor'], 'acme')}` } })).json()) as {
      deadlines: Array<{ step: string; dueAt: string; limit: number; timeLimit: { citation: string } }>;
      appointmentDate: string;
    };
    expect(api.deadlines.length).toBeGreaterThan(0);
    const overview = await investor.get(acceptedLink);
    expect(overview.status).toBe(200);
    expect(overview.body).toContain('Thời hạn giải quyết theo quy định');
    // Decision stage, group B, private capital: the appraisal step, 15 days (Art. 18.1(d)), running.
    expect(overview.body).toContain('Thẩm định công nghệ của dự án');
    for (const d of api.deadlines) {
      expect(overview.body).toContain(`datetime="${d.dueAt}"`);
      expect(overview.body).toContain(escaped(d.timeLimit.citation));
    }
    expect(overview.body).toMatch(/Đang tính, còn \d+ ngày/);
    expect(overview.body).toContain('Ngày hẹn trả kết quả');
    // The investor may take no step now: no link to another role's page.
    expect(overview.body).toContain('Hiện bạn không có việc nào với hồ sơ này.');

    // The slips: the supplementation request (Mẫu 02) and the receipt (Mẫu 01), with their codes.
    const { items: slips } = (await (await fetch(`${base}/v1/projects/${id}/slips`, { headers: { authorization: `Bearer ${await env.token('web-inv', ['investor'], 'acme')}` } })).json()) as {
      items: Array<{ id: string; form: string; verificationCode: string; sha256: string; numberLabel: string }>;
    };
    expect(slips.map((x) => x.form).sort()).toEqual(['receipt', 'supplementation_request']);
    expect(overview.body).toContain('Giấy tiếp nhận hồ sơ và hẹn trả kết quả');
    expect(overview.body).toContain('Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ');
    for (const slip of slips) {
      expect(overview.body).toContain(slip.verificationCode);
      expect(overview.body).toContain(`href="/slips/${slip.id}"`);
      const pdf = await investor.request('GET', `/slips/${slip.id}`);
      expect(pdf.status).toBe(200);
      expect(pdf.headers.get('content-type')).toBe('application/pdf');
      expect(pdf.headers.get('x-content-sha256')).toBe(slip.sha256);
      expect(pdf.headers.get('content-disposition')).toContain('attachment');
      expect(pdf.body.startsWith('%PDF')).toBe(true);
    }
    // The same access rule as the API: another organisation's investor gets 404, a clerk the file.
    const other = new WebClient(base);
    await signIn(other, 'web-other', PASSWORD);
    expect((await other.request('GET', `/slips/${slips[0]!.id}`)).status).toBe(404);
    const clerk = new WebClient(base);
    await signIn(clerk, 'web-desk', PASSWORD);
    expect((await clerk.request('GET', `/slips/${slips[0]!.id}`)).status).toBe(200);
    // Not signed in: no file.
    expect((await new WebClient(base).request('GET', `/slips/${slips[0]!.id}`)).status).not.toBe(200);

    // The clerk's next step is the assignment, linked only once that page is registered.
    const clerkView = await clerk.get(acceptedLink);
    expect(clerkView.body.includes(`href="${acceptedLink}/assignment"`)).toBe(app.hasRoute({ method: 'GET', url: '/projects/:id/assignment' }));

    // An auditor's next step is the audit timeline, again only once that page is registered.
    const auditor = await account('web-aud2', ['auditor'], 'audit-office');
    const auditorView = await auditor.get(acceptedLink);
    expect(auditorView.status).toBe(200);
    expect(auditorView.body.includes(`href="/audit/projects/${id}"`)).toBe(app.hasRoute({ method: 'GET', url: '/audit/projects/:id' }));
    expect(auditorView.body).toContain(slips[0]!.verificationCode);

    // The history page carries the same due dates above the events.
    const history = await investor.get(`${acceptedLink}/history`);
    expect(history.body).toContain('Thời hạn giải quyết theo quy định');
    expect(history.body).toContain('completeness.confirmed');
  });

  it('the footer cites the instruments of the rulebook in force, in Vietnamese and in English', async () => {
    const investor = new WebClient(base);
    await signIn(investor, 'web-inv', PASSWORD);
    const rb = (await (await fetch(`${base}/v1/rulebooks`, { headers: { authorization: `Bearer ${await env.token('web-inv', ['investor'], 'acme')}` } })).json()) as unknown;
    const list = (Array.isArray(rb) ? rb : (rb as { items: unknown[] }).items) as Array<{ version: string; effectiveFrom: string; content: { sources: Array<{ citation: string; title: string; verified: boolean }> } }>;
    const today = new Date().toISOString().slice(0, 10);
    const inForce = list.filter((r) => r.effectiveFrom <= today).sort((a, b) => b.effectiveFrom.localeCompare(a.effectiveFrom))[0]!;
    expect(inForce.version).toBe('2026.1');
    const vi = await investor.get('/projects');
    const footer = (page: string) => /<footer[\s\S]*<\/footer>/.exec(page)![0];
    expect(footer(vi.body)).toContain('bộ quy tắc 2026.1');
    expect(footer(vi.body)).toContain('Luật 115/2025/QH15');
    expect(footer(vi.body)).toContain('Nghị định 118/2025/NĐ-CP');
    expect(footer(vi.body)).toContain('chưa đối chiếu công báo');
    expect(footer(vi.body)).not.toContain('Law 61/2020/QH14'); // replaced: not named by 2026.1
    for (const s of inForce.content.sources) expect(footer(vi.body)).toContain(escaped(s.citation.replace(/^Law\b/, 'Luật').replace(/^Decree\b/, 'Nghị định').replace(/^Decision\b/, 'Quyết định')));
    const en = await investor.submit(vi, {}, { action: '/language' });
    for (const s of inForce.content.sources) expect(footer(en.body)).toContain(escaped(s.title));
    expect(footer(en.body)).toContain('Legal basis (rulebook 2026.1, in force from 2026-04-01)');
    // The sign-in page, before anyone signs in, cites the same law.
    const signin = await new WebClient(base).get('/');
    expect(footer(signin.body)).toContain('2026.1');
  });
});

/** How the html tag escapes text (the page holds the escaped form). */
function escaped(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

describe('the projects list costs a constant number of queries per page', () => {
  it('counts the same queries for a page of 5 and of 25 rows, and the rows equal the single-project view', async () => {
    const postgres = (await import('postgres')).default;
    const { drizzle } = await import('drizzle-orm/postgres-js');
    const schema = await import('../../db/schema');
    // A second app on the same database, through a driver that counts every statement it sends.
    let queries: string[] = [];
    const sql = postgres(env.databaseUrl, { max: 4, onnotice: () => {}, connection: { TimeZone: 'UTC' }, debug: (_conn, query) => queries.push(query) });
    const counted = await env.buildApp({ database: { sql, db: drizzle(sql, { schema }), close: () => sql.end({ timeout: 5 }) } });
    try {
      const investor = await env.token('list-count', ['investor'], 'count-org');
      for (let i = 0; i < 26; i++) {
        const res = await counted.inject({ method: 'POST', url: '/v1/projects', headers: { authorization: `Bearer ${investor}` }, payload: { name: `Dự án đếm ${i}`, sector: 'cement', location: 'Quảng Ninh', capitalVnd: 1_000_000_000, stage: 'investment_policy', group: 'C', capitalSource: 'private', decidingLevel: 'provincial_peoples_committee', environmentalGroup: 'III' } });
        expect(res.statusCode).toBe(201);
      }
      const clerk = await env.token('list-count-clerk', ['clerk']);
      const get = (url: string) => counted.inject({ method: 'GET', url, headers: { authorization: `Bearer ${clerk}` } });
      await get('/v1/projects?limit=25'); // warm: the caller's directory entry, the rulebook cache
      const countFor = async (limit: number) => {
        queries = [];
        const res = await get(`/v1/projects?limit=${limit}`);
        expect(res.statusCode).toBe(200);
        expect(res.json().items).toHaveLength(limit);
        return queries.length;
      };
      const five = await countFor(5);
      const twentyFive = await countFor(25);
      expect(five).toBe(twentyFive);
      expect(twentyFive).toBeLessThanOrEqual(3);
      // The same with a name search (every word a condition of the page query).
      queries = [];
      expect((await get('/v1/projects?limit=25&q=du%20an%20dem')).json().items).toHaveLength(25);
      expect(queries.length).toBe(twentyFive);

      // Every row of the list is exactly the project's own view (facts, allowed actions, deadlines),
      // including the project accepted complete above, which has running deadlines.
      const list = (await get('/v1/projects?limit=100')).json().items as Array<{ id: string; deadlines: unknown[] }>;
      expect(list.some((p) => p.deadlines.length > 0)).toBe(true);
      for (const row of list) expect(row).toEqual((await get(`/v1/projects/${row.id}`)).json());
    } finally {
      await counted.close();
    }
  });
});
