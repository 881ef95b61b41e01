/**
 * The approver's and the auditor's pages over a listening socket, without JavaScript: the
 * decision page shows each outcome the rules refuse with their reason, refusals and a stale
 * revision re-render with the input kept, and a decision ends with its slips; auditors are
 * read-only (no page of theirs takes a POST, and the approver's form refuses them), and their
 * search, timeline, as-of, verification and reports answer from the same modules as the API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { sql } from 'drizzle-orm';
import { createTestEnv, type TestEnv } from '../helpers/test-env';
import { freePort } from '../helpers/ports';
import { sampleDeclaration } from '../helpers/api';
import { decisionPeople, projectAwaitingDecision, type DecisionPeople } from '../helpers/awaiting-decision';
import { createAccountStore } from '../../src/auth/oidc-account-store';
import type { Role } from '../../src/auth/roles';
import { WebClient, decode, signIn } from './web-session-client';

let env: TestEnv;
let app: FastifyInstance;
let base: string;
let people: DecisionPeople;
const PASSWORD = 'decide and audit 2026';

async function account(sub: string, roles: Role[], org: string) {
  const { password } = await createAccountStore(env.database.db).add({ sub, roles, organisation: org, displayName: sub });
  const web = new WebClient(base);
  await signIn(web, sub, password, PASSWORD);
  return web;
}

const auditCount = async () => Number(((await env.database.db.execute(sql`select count(*)::int as n from audit_events`)) as unknown as [{ n: number }])[0].n);

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  env = await createTestEnv({ PORT: String(port), PUBLIC_URL: base, RATE_LIMIT_PER_MINUTE: '100000', RATE_LIMIT_UPLOADS_PER_MINUTE: '100000' });
  app = await env.buildApp();
  await app.listen({ host: '127.0.0.1', port });
  people = await decisionPeople(env, app);
}, 120_000);
afterAll(async () => env?.close());

describe('approver pages', () => {
  it('lists the project, shows the matrix and the refused outcome, keeps input on refusal and on a stale revision, then decides', { timeout: 120_000 }, async () => {
    const project = await projectAwaitingDecision(app, people, { name: 'Nhà máy kính nổi Quảng Ninh', recommendation: 'approve_with_conditions', conditions: ['Lắp hệ thống quan trắc khí thải tự động'] });
    const paul = await account('paul.approver', ['approver'], 'ubnd');

    const queue = await paul.get('/decisions');
    expect(queue.status).toBe(200);
    expect(queue.body).toContain(project.code);
    expect(queue.body).toContain(`href="/projects/${project.id}/decision"`);

    const pageUrl = `/projects/${project.id}/decision`;
    const page = await paul.get(pageUrl);
    expect(page.status).toBe(200);
    // The matrix: the appraiser's column, a verdict per criterion, and the document versions the opinion saw.
    expect(page.body).toContain('<caption id="matrix-caption">');
    expect(page.body).toContain('ann.appraiser');
    expect(page.body).toContain('Đạt');
    expect(page.body).toContain('Phiên bản 1');
    // Plain approval is refused because the opinion attaches a condition: the rule's reason and code.
    expect(page.body).toMatch(/id="option-approved"[\s\S]*?Ý kiến thẩm định có kèm điều kiện[\s\S]*?CONDITIONS_APPLY/);
    expect(page.body).toMatch(/id="outcome-approved"[^>]*disabled/);
    expect(page.body).not.toMatch(/id="outcome-approved_with_conditions"[^>]*disabled/);

    // Posting the refused outcome anyway: the service refuses it, the page keeps what was typed.
    const refused = await paul.submit(page, { outcome: 'approved', reason: 'Công nghệ đạt mọi tiêu chí' }, { action: pageUrl });
    expect(refused.status).toBe(422);
    expect(refused.body).toContain('class="error-summary"');
    expect(refused.body).toContain('CONDITIONS_APPLY');
    expect(refused.body).toContain('Công nghệ đạt mọi tiêu chí');

    // Missing input: 400 with the summary linking to each field.
    const missing = await paul.submit(page, {}, { action: pageUrl });
    expect(missing.status).toBe(400);
    expect(missing.body).toContain('href="#outcome"');
    expect(missing.body).toContain('href="#reason"');

    // A stale revision (the project moved on since the page was read): 412, input kept, nothing decided.
    const revision = Number(/name="revision" value="(\d+)"/.exec(page.body)![1]);
    const stale = await paul.submit(page, { outcome: 'approved_with_conditions', reason: 'Đồng ý theo ý kiến thẩm định', revision: String(revision - 1) }, { action: pageUrl });
    expect(stale.status).toBe(412);
    expect(stale.body).toContain('PRECONDITION_FAILED');
    expect(stale.body).toContain('Đồng ý theo ý kiến thẩm định');
    expect(stale.body).toMatch(/id="outcome-approved_with_conditions"[^>]*checked/);

    // The result is announced only once a decision is on record, whatever the query string says.
    expect((await paul.get(`${pageUrl}?decided=approved`)).body).not.toContain('Đã ghi nhận quyết định');
    // The decision: PRG to the page with the result and the issued slips.
    const fresh = await paul.get(pageUrl);
    const decided = await paul.submit(fresh, { outcome: 'approved_with_conditions', reason: 'Đồng ý theo ý kiến thẩm định', conditions: 'Báo cáo vận hành thử trước khi nghiệm thu' }, { action: pageUrl });
    expect(decided.status).toBe(200);
    expect(decided.url).toContain(`${pageUrl}?decided=approved_with_conditions`);
    expect(decided.body).toContain('Đã ghi nhận quyết định: Phê duyệt có điều kiện.');
    expect(decided.body).toContain('Lắp hệ thống quan trắc khí thải tự động');
    const slip = /href="(\/projects\/[^"]+\/decision\/slips\/[0-9a-f-]{36})"/.exec(decided.body);
    expect(slip, 'a slip download link').not.toBeNull();
    const pdf = await fetch(new URL(decode(slip![1]!), base), { headers: { cookie: (paul as unknown as { cookieHeader(u: URL): string }).cookieHeader(new URL(base)) } });
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString()).toBe('%PDF-');
    // Decided: every outcome is now refused by the state, and the form is gone.
    expect(decided.body).not.toContain('name="outcome"');
    expect((await env.database.db.execute(sql`select count(*)::int as n from decisions where project_id = ${project.id}`)) as unknown as [{ n: number }]).toEqual([{ n: 1 }]);
  });

  it('shows approval blocked by a prohibited technology, with the finding', { timeout: 120_000 }, async () => {
    const project = await projectAwaitingDecision(app, people, {
      name: 'Xưởng xi măng lò đứng',
      declaration: sampleDeclaration({ technologies: [{ name: 'Xi mang lo dung', origin: 'Domestic', description: 'Công nghệ sản xuất xi măng lò đứng công suất nhỏ' }] }),
      recommendation: 'reject',
    });
    const paul = await account('paula.approver', ['approver'], 'ubnd');
    const page = await paul.get(`/projects/${project.id}/decision`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('Cấm chuyển giao');
    expect(page.body).toMatch(/id="option-approved"[\s\S]*?công nghệ cấm chuyển giao[\s\S]*?APPROVAL_BLOCKED/);
    expect(page.body).toMatch(/id="option-approved_with_conditions"[\s\S]*?APPROVAL_BLOCKED/);
    expect(page.body).not.toMatch(/id="outcome-rejected"[^>]*disabled/);
    // A rejection must cite: without a cited finding the service refuses it, naming the field.
    const uncited = await paul.submit(page, { outcome: 'rejected', reason: 'Công nghệ cấm chuyển giao' }, { action: `/projects/${project.id}/decision` });
    expect(uncited.status).toBe(422);
    expect(uncited.body).toContain('href="#cite"');
    const finding = /<option value="(finding:[0-9a-f-]{36})"/.exec(uncited.body)![1]!;
    const rejected = await paul.submit(uncited, { outcome: 'rejected', reason: 'Công nghệ cấm chuyển giao', cite: finding }, { action: `/projects/${project.id}/decision` });
    expect(rejected.url, /class="error-summary"[\s\S]*?<\/div>/.exec(rejected.body)?.[0]).toContain('decided=rejected');
  });

  it('refuses a person of the wrong role with a 403 page, and an approver who is also an auditor', async () => {
    const investor = await account('inv.web', ['investor'], 'acme');
    const denied = await investor.get('/decisions');
    expect(denied.status).toBe(403);
    expect(denied.headers.get('content-type')).toContain('text/html');
    expect(denied.body).toContain('ROLE_NOT_ALLOWED');
    const approver = await account('paul.only', ['approver'], 'ubnd');
    expect((await approver.get('/audit')).status).toBe(403);
    const both = await account('dual.person', ['approver', 'auditor'], 'thanh-tra');
    // activeRole is the first role (approver), yet the auditor role keeps the account read-only.
    const project = await projectAwaitingDecision(app, people, { name: 'Dây chuyền sợi Đông Triều' });
    const readOnly = await both.get(`/projects/${project.id}/decision`);
    expect(readOnly.status).toBe(403);
    expect(readOnly.body).toContain('READ_ONLY_ROLE');
  });
});

describe('auditor pages', () => {
  let auditor: WebClient;
  let project: { id: string; code: string };

  beforeAll(async () => {
    project = await projectAwaitingDecision(app, people, { name: 'Nhà máy nhiệt điện Cẩm Phả' });
    auditor = await account('audrey.auditor', ['auditor'], 'thanh-tra');
  }, 120_000);

  it('never takes a POST: no auditor page accepts one, the decision form refuses auditors, and verification writes nothing', async () => {
    for (const path of ['/audit', '/audit/verify', `/audit/projects/${project.id}`, '/audit/reports', '/audit/export', '/audit/reports/export']) {
      expect(app.hasRoute({ method: 'POST', url: path.replace(project.id, ':id') }), path).toBe(false);
    }
    const page = await auditor.get('/audit');
    const csrf = auditor.csrf(page);
    const post = await auditor.request('POST', `/projects/${project.id}/decision`, { _csrf: csrf, outcome: 'approved', reason: 'x' });
    expect(post.status).toBe(403);
    expect(post.body).toContain('ROLE_NOT_ALLOWED');
    const before = await auditCount();
    const verified = await auditor.get('/audit/verify?run=1');
    expect(verified.status).toBe(200);
    expect(verified.body).toContain('Hợp lệ: nhật ký không bị sửa đổi');
    const full = await auditor.get('/audit/verify?run=1&full=yes');
    expect(full.body).toContain('Toàn bộ nhật ký');
    expect(full.body).toMatch(/Số sự kiện đã kiểm tra<\/dt><dd>[1-9]\d*</);
    expect(await auditCount()).toBe(before);
  });

  it('offers the three files of the offline verification, which verify with npm run verify-export', { timeout: 120_000 }, async () => {
    const verify = await auditor.get('/audit/verify');
    const hrefs = [...verify.body.matchAll(/<a href="([^"]+)" download="([^"]+)">/g)].map((m) => [decode(m[1]!), m[2]!] as const);
    expect(hrefs.map(([, name]) => name)).toEqual(['events.ndjson', 'checkpoints.json', 'checkpoint.pub.pem']);
    const cookie = (auditor as unknown as { cookieHeader(u: URL): string }).cookieHeader(new URL(base));
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'offline-verify-'));
    try {
      for (const [href, name] of hrefs) {
        const res = await fetch(new URL(href, base), { headers: { cookie } });
        expect(res.status, href).toBe(200);
        await fs.writeFile(path.join(dir, name), Buffer.from(await res.arrayBuffer()));
      }
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--import', 'tsx', 'src/cli/verify-export.ts', path.join(dir, 'events.ndjson'), path.join(dir, 'checkpoints.json'), '--public-key', path.join(dir, 'checkpoint.pub.pem')],
        { cwd: path.resolve(import.meta.dirname, '../..'), env: { PATH: process.env.PATH } },
      );
      expect(stdout).toContain('result: OK, the export verifies');
      expect(stdout).toContain('from --public-key');
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('searches the log by tracking code (any case) and by name without accents, pages, and exports', async () => {
    const byCode = await auditor.get(`/audit?project=${encodeURIComponent(project.code.toLowerCase())}`);
    expect(byCode.status).toBe(200);
    expect(byCode.body).toContain('project.created');
    expect(byCode.body).toContain('opinion.recorded');
    const byName = await auditor.get(`/audit?project=${encodeURIComponent('nhiet dien cam pha')}&action=opinion.recorded`);
    expect(byName.status).toBe(200);
    expect(byName.body).toContain('opinion.recorded');
    expect(byName.body).not.toContain('project.created');
    const none = await auditor.get('/audit?project=khong-co-du-an-nay');
    expect(none.status).toBe(400);
    expect(none.body).toContain('href="#project"');
    const badTime = await auditor.get('/audit?from=hom-qua');
    expect(badTime.status).toBe(400);
    expect(badTime.body).toContain('href="#from"');
    expect(badTime.body).toContain('value="hom-qua"');

    const ndjsonHref = decode(/href="(\/audit\/export\?format=ndjson[^"]*)"/.exec(byCode.body)![1]!);
    const cookie = (auditor as unknown as { cookieHeader(u: URL): string }).cookieHeader(new URL(base));
    const ndjson = await fetch(new URL(ndjsonHref, base), { headers: { cookie } });
    expect(ndjson.status).toBe(200);
    const lines = (await ndjson.text()).trim().split('\n').map((l) => JSON.parse(l) as { projectId: string; chainSeq: number });
    const history = (await env.database.db.execute(sql`select count(*)::int as n from audit_events where chain_id = ${project.id}`)) as unknown as [{ n: number }];
    expect(lines).toHaveLength(history[0].n);
    expect(lines.every((l) => l.projectId === project.id)).toBe(true);
    const csv = await fetch(new URL(ndjsonHref.replace('format=ndjson', 'format=csv'), base), { headers: { cookie } });
    // (fetch's text() drops a byte-order mark: read the bytes)
    expect(Buffer.from(await csv.arrayBuffer()).toString('utf8').startsWith('\uFEFFseq,chainId')).toBe(true);
  });

  it('shows the timeline with hash prefixes; as-of an earlier instant differs from now; bad input is a 400 with the input kept', async () => {
    const timeline = await auditor.get(`/audit/projects/${project.id}`);
    expect(timeline.status).toBe(200);
    expect(timeline.body).toContain('opinion.recorded');
    const hashes = [...timeline.body.matchAll(/<td class="mono">([0-9a-f]{12})<\/td>/g)];
    expect(hashes.length).toBeGreaterThan(5);
    // As of the submission: the project was at the completeness review, not appraised as now.
    const submittedHref = decode(/<td class="mono">project\.submitted<\/td>[\s\S]*?href="([^"]+#as-of)"/.exec(timeline.body)![1]!);
    const asOf = await auditor.get(submittedHref);
    expect(asOf.status).toBe(200);
    expect(asOf.body).toMatch(/Trạng thái<\/dt><dd>Đang kiểm tra hồ sơ <span class="tag tag--yellow">Khác với hiện nay/);
    expect(asOf.body).toMatch(/Trạng thái hiện nay<\/dt><dd>Đã thẩm định/);
    expect(asOf.body).toContain('Phát lại khớp với nhật ký và cơ sở dữ liệu');
    const bad = await auditor.get(`/audit/projects/${project.id}?at=${encodeURIComponent('2026-13-45 25:61')}`);
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('class="error-summary"');
    expect(bad.body).toContain('href="#at"');
    expect(bad.body).toContain('value="2026-13-45 25:61"');
    const words = await auditor.get(`/audit/projects/${project.id}?at=yesterday`);
    expect(words.status).toBe(400);
  });

  it('reports coverage with 0 violations and the on-time counts, with CSV and NDJSON downloads', async () => {
    const reports = await auditor.get('/audit/reports');
    expect(reports.status).toBe(200);
    expect(reports.body).toContain('0 vi phạm');
    expect(reports.body).toContain('Giải quyết đúng hạn');
    const cookie = (auditor as unknown as { cookieHeader(u: URL): string }).cookieHeader(new URL(base));
    const hrefs = [...reports.body.matchAll(/href="(\/audit\/reports\/export\?[^"]+)"/g)].map((m) => decode(m[1]!));
    expect(hrefs).toHaveLength(4);
    const coverageNdjson = await fetch(new URL(hrefs.find((h) => h.includes('report=coverage') && h.includes('ndjson'))!, base), { headers: { cookie } });
    const first = JSON.parse((await coverageNdjson.text()).split('\n')[0]!);
    expect(first).toMatchObject({ record: 'coverage', violationCount: 0 });
    const onTimeCsv = await fetch(new URL(hrefs.find((h) => h.includes('report=on-time') && h.includes('csv'))!, base), { headers: { cookie } });
    const text = Buffer.from(await onTimeCsv.arrayBuffer()).toString('utf8');
    expect(text.startsWith('\uFEFFfrom,to,at,step,total')).toBe(true);
    expect(text).toContain(',overall,');
    const bad = await auditor.get('/audit/reports?from=2026-02-30');
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('href="#from"');
    const reversed = await auditor.get('/audit/reports?from=2026-12-31&to=2026-01-01');
    expect(reversed.status).toBe(400);
    expect(reversed.body).toContain('href="#to"');
  });
});
