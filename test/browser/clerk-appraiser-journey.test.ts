/**
 * The clerk's and the appraiser's journey in a real Chromium against the real app on a listening
 * socket, the embedded OpenID provider, Postgres and S3. The investor's part (register, declare,
 * upload, submit) is set up through the HTTP API; then a clerk accepts the dossier on the
 * completeness page, assigns an appraiser on the assignment page with the keyboard only (seeing a
 * barred candidate with the rule's reason) and finds the project on the SLA board; the appraiser finds it in the inbox,
 * records an opinion in the review workspace with the keyboard only, and after the investor
 * uploads a new version (through the API) sees the changed-document warning. axe-core checks
 * every page visited (zero serious or critical violations).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { createTestEnv, type TestEnv } from '../helpers/test-env';
import { freePort } from '../helpers/ports';
import { client, completeDossier, sampleDeclaration, sampleProject, samplePdf, upload } from '../helpers/api';
import { createAccountStore } from '../../src/auth/oidc-account-store';
import type { Role } from '../../src/auth/roles';
import { launchBrowser, pageChecks } from './browser-support';

let env: TestEnv;
let app: FastifyInstance;
let base: string;
let projectId = '';
let code = '';
const { check, watch, visited, cspErrors } = pageChecks();

const focused = (page: Page) => page.evaluate('document.activeElement && (document.activeElement.id || document.activeElement.getAttribute("href") || document.activeElement.tagName)') as Promise<string>;

/** Press Tab (Shift+Tab with back) until the element with this id has the focus. */
async function tabTo(page: Page, id: string, back = false, max = 150) {
  for (let i = 0; i < max; i++) {
    if ((await focused(page)) === id) return;
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
  }
  throw new Error(`focus never reached #${id} (at ${await focused(page)})`);
}

async function signInAs(sub: string, roles: Role[], org: string, name: string) {
  const { password } = await createAccountStore(env.database.db).add({ sub, roles, organisation: org, displayName: name });
  const session = await launchBrowser();
  const page = await session.context.newPage();
  watch(page);
  await page.goto(`${base}/`);
  await expect.poll(() => page.url()).toMatch(/\/signin\//);
  await check(page);
  await page.fill('#sub', sub);
  await page.fill('#password', password);
  await page.click('main button[type=submit]');
  await page.waitForSelector('#newPassword');
  await check(page);
  await page.fill('#newPassword', 'mật khẩu mới rất dài 2026');
  await page.fill('#confirmPassword', 'mật khẩu mới rất dài 2026');
  await page.click('main button[type=submit]');
  return { session, page };
}

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  env = await createTestEnv({ PORT: String(port), PUBLIC_URL: base });
  app = await env.buildApp();
  await app.listen({ host: '127.0.0.1', port });
  // The investor's part, through the API (their screens have their own journey).
  const token = await env.token('halong.investor', ['investor'], 'halong-cement');
  const investor = client(app, token);
  const created = await investor.post('/v1/projects', sampleProject({ name: 'Nhà máy xi măng Hạ Long — dây chuyền 3' }));
  expect(created.status).toBe(201);
  projectId = created.body.id;
  code = created.body.code;
  expect((await investor.put(`/v1/projects/${projectId}/technology`, sampleDeclaration())).status).toBe(200);
  await completeDossier(app, token, projectId);
  expect((await investor.post(`/v1/projects/${projectId}/submit`, {})).status).toBe(200);
}, 120_000);
afterAll(async () => env?.close());

describe('clerk and appraiser journey in Chromium', () => {
  it('a clerk accepts the dossier, assigns an appraiser (a barred one shown with its reason) and sees the project on the SLA board', { timeout: 240_000 }, async () => {
    // A candidate from the investor's own organisation: the rules bar them, and the page says why.
    await createAccountStore(env.database.db).add({ sub: 'halong.expert', roles: ['appraiser'], organisation: 'halong-cement', displayName: 'Chuyên gia của nhà đầu tư' });
    await createAccountStore(env.database.db).add({ sub: 'minh.le', roles: ['appraiser'], organisation: 'so-khcn', displayName: 'Lê Văn Minh' });
    const { session, page } = await signInAs('hoa.tran', ['clerk'], 'so-khcn', 'Trần Thị Hoa');
    try {
      await page.waitForURL(/\/intake$/);
      await check(page);
      await page.click(`table a[href="/projects/${projectId}/completeness"]`);
      await page.waitForSelector('#result-complete');
      await check(page);
      await page.check('#result-complete');
      await page.click('main form button[type=submit]');
      await page.waitForURL(/recorded=complete$/);
      await check(page);

      await page.goto(`${base}/projects/${projectId}/assignment`);
      await check(page, 'clerk-assignment');
      const barred = await page.textContent('#candidate-halong\\.expert');
      expect(barred).toContain('Cùng tổ chức với nhà đầu tư');
      expect(barred).toContain('APPRAISER_NOT_INDEPENDENT');
      expect(await page.$('#candidate-halong\\.expert input[type=checkbox]')).toBeNull();
      // The clerk's main task with the keyboard only. Posting nothing: the error summary.
      await tabTo(page, 'assign-submit');
      await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
      await page.waitForSelector('.error-summary');
      await check(page);
      await tabTo(page, 'appraiser-minh.le');
      await page.keyboard.press('Space');
      await tabTo(page, 'mode-opinion');
      await page.keyboard.press('Space');
      await tabTo(page, 'assign-submit');
      await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
      await page.waitForSelector('#assignment-recorded');
      expect(await page.textContent('#candidate-minh\\.le')).toContain('Đã được phân công');
      await check(page);

      await page.click('header a[href="/board"]');
      await page.waitForURL(/\/board$/);
      const row = await page.textContent(`tr:has(a[href="/projects/${projectId}"])`);
      expect(row).toContain(code);
      expect(row).toContain('Có ý kiến về công nghệ');
      expect(row).toMatch(/còn \d+ ngày|hết hạn hôm nay/);
      await check(page, 'clerk-sla-board');
    } finally {
      await session.close();
    }
  });

  it("the appraiser finds the project in the inbox and records an opinion with the keyboard only; a new document version raises the warning", { timeout: 300_000 }, async () => {
    expect(code).not.toBe('');
    const { session, page } = await createAccountStore(env.database.db)
      .resetPassword('minh.le')
      .then(async (password) => {
        const s = await launchBrowser();
        const p = await s.context.newPage();
        watch(p);
        await p.goto(`${base}/`);
        await expect.poll(() => p.url()).toMatch(/\/signin\//);
        await p.fill('#sub', 'minh.le');
        await p.fill('#password', password);
        await p.click('main button[type=submit]');
        await p.waitForSelector('#newPassword');
        await p.fill('#newPassword', 'thẩm định viên Quảng Ninh');
        await p.fill('#confirmPassword', 'thẩm định viên Quảng Ninh');
        await p.click('main button[type=submit]');
        return { session: s, page: p };
      });
    try {
      await page.waitForURL(/\/inbox$/);
      expect(await page.textContent('main table')).toContain(code);
      await check(page, 'appraiser-inbox');

      // Keyboard only from here: Tab to the project's review link, Enter.
      await tabTo(page, `/projects/${projectId}/review`);
      await page.keyboard.press('Enter');
      await page.waitForURL(/\/review$/);
      await page.waitForSelector('#record-opinion');
      await check(page, 'appraiser-review-workspace');
      const criteria = (await page.$$eval('fieldset[id^="verdict-"]', (fs) => fs.map((f) => f.id.slice('verdict-'.length)))) as string[];
      expect(criteria.length).toBeGreaterThan(3);

      // Posting without verdicts: the error summary, whose first link leads to the first criterion.
      await tabTo(page, 'record-opinion');
      await page.keyboard.press('Enter');
      await page.waitForSelector('.error-summary');
      await check(page);
      await tabTo(page, `#verdict-${criteria[0]}`);
      await page.keyboard.press('Enter');
      await page.keyboard.press('Tab');
      expect(await focused(page)).toBe(`verdict-${criteria[0]}-meets`);

      // Each criterion: Space picks "meets" (the group's first radio), Tab to its comment.
      for (const [i, c] of criteria.entries()) {
        await tabTo(page, `verdict-${c}-meets`);
        await page.keyboard.press('Space');
        await page.keyboard.press('Tab');
        expect(await focused(page)).toBe(`comment-${c}`);
        if (i === 0) await page.keyboard.type('Lò quay phương pháp khô, phù hợp quy mô dự án.');
      }
      // Every document read: Space on each checkbox.
      const reads = (await page.$$eval('input[name=read]', (els) => els.map((e) => e.id))) as string[];
      for (const id of reads) {
        await tabTo(page, id);
        await page.keyboard.press('Space');
      }
      await tabTo(page, 'recommendation-approve');
      await page.keyboard.press('Space');
      await tabTo(page, 'record-opinion');
      await page.keyboard.press('Enter');
      await page.waitForSelector('#opinion-recorded');
      expect(page.url()).toMatch(/\/review\/opinion\?recorded=1$/);
      expect(await page.textContent('main')).toContain('Lò quay phương pháp khô, phù hợp quy mô dự án.');
      await check(page, 'appraiser-opinion-recorded');

      // The desk asks for a new machinery list; the investor uploads version 2 and resubmits; the desk accepts again.
      const desk = client(app, await env.token('desk.api', ['clerk']));
      const investorToken = await env.token('halong.investor', ['investor'], 'halong-cement');
      expect((await desk.post(`/v1/projects/${projectId}/completeness`, { result: 'incomplete', missing: ['machinery_list'], note: 'Bổ sung năm sản xuất' })).status).toBe(200);
      expect((await upload(app, investorToken, projectId, 'machinery_list', { name: 'machinery-list-v2.pdf', content: samplePdf('v2') })).status).toBe(201);
      expect((await client(app, investorToken).post(`/v1/projects/${projectId}/resubmit`, {})).status).toBe(200);
      expect((await desk.post(`/v1/projects/${projectId}/completeness`, { result: 'complete' })).status).toBe(200);

      await page.goto(`${base}/inbox`);
      expect(await page.textContent('main table')).toContain('Cần cho ý kiến lại');
      await check(page);
      await page.goto(`${base}/projects/${projectId}/review`);
      const warning = await page.textContent('#changed-since-opinion');
      expect(warning).toContain('machinery-list-v2.pdf');
      expect(warning).toMatch(/phiên bản 2 thay cho phiên bản 1/);
      await check(page, 'appraiser-document-changed');
      expect(cspErrors).toEqual([]);
      expect(visited.length).toBeGreaterThanOrEqual(12);
    } finally {
      await session.close();
    }
  });
});
