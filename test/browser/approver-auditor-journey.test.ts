/**
 * The approver's and the auditor's journeys in a real Chromium against the app on a listening
 * socket, the embedded OpenID provider, Postgres and S3. The steps before them (register, declare,
 * upload, submit, completeness, assignment, opinion) are done through the HTTP API. The approver
 * opens the queue and the decision page, sees the opinions matrix and an outcome the rules refuse
 * with its reason, and decides with the keyboard only; the auditor searches the log, opens the
 * timeline, verifies the log, reads the project as of an instant before the decision and opens
 * the reports (0 coverage violations). axe-core checks every page visited.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { createTestEnv, type TestEnv } from '../helpers/test-env';
import { freePort } from '../helpers/ports';
import { decisionPeople, projectAwaitingDecision } from '../helpers/awaiting-decision';
import { createAccountStore } from '../../src/auth/oidc-account-store';
import type { Role } from '../../src/auth/roles';
import { launchBrowser, pageChecks } from './browser-support';

let env: TestEnv;
let app: FastifyInstance;
let base: string;
let project: { id: string; code: string };
const { check, watch, visited, cspErrors } = pageChecks();

/** Sign in through the provider's page with a one-time password, choosing a new one. */
async function signIn(page: Page, sub: string, roles: Role[], org: string) {
  const { password } = await createAccountStore(env.database.db).add({ sub, roles, organisation: org, displayName: sub });
  watch(page);
  await page.goto(`${base}/`);
  await page.fill('#sub', sub);
  await page.fill('#password', password);
  await page.click('main button[type=submit]');
  await page.fill('#newPassword', 'mật khẩu mới đủ dài 2026');
  await page.fill('#confirmPassword', 'mật khẩu mới đủ dài 2026');
  await page.click('main button[type=submit]');
}

/** What has the keyboard focus (a string expression: the test's tsconfig has no DOM types). */
const focused = (page: Page) =>
  page.evaluate(`(() => { const e = document.activeElement; return e ? [e.tagName.toLowerCase(), e.id || '', e.getAttribute('name') || '', e.className || ''].join('|') : '' })()`) as Promise<string>;

/** Press Tab until the focus matches, failing after `max` presses. */
async function tabUntil(page: Page, matches: (f: string) => boolean, max = 120): Promise<string> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const f = await focused(page);
    if (matches(f)) return f;
  }
  throw new Error(`focus never matched after ${max} Tab presses (last: ${await focused(page)})`);
}

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  env = await createTestEnv({ PORT: String(port), PUBLIC_URL: base, RATE_LIMIT_PER_MINUTE: '100000', RATE_LIMIT_UPLOADS_PER_MINUTE: '100000' });
  app = await env.buildApp();
  await app.listen({ host: '127.0.0.1', port });
  const people = await decisionPeople(env, app);
  project = await projectAwaitingDecision(app, people, {
    name: 'Nhà máy xi măng Thăng Long — dây chuyền 3',
    recommendation: 'approve_with_conditions',
    conditions: ['Lắp hệ thống quan trắc bụi và khí thải tự động, truyền số liệu về Sở TN&MT'],
  });
}, 180_000);
afterAll(async () => {
  await env?.close();
});

describe('approver and auditor journeys in Chromium', () => {
  let decidedAt = '';

  it('the approver opens the queue and the decision page, sees the matrix and a refused outcome, and decides with the keyboard only', { timeout: 240_000 }, async () => {
    const browser = await launchBrowser();
    try {
      const page = await browser.context.newPage();
      await signIn(page, 'nguyen.pheduyet', ['approver'], 'ubnd-quang-ninh');
      await page.waitForURL(/\/decisions$/);
      expect(await page.textContent('main table')).toContain(project.code);
      await check(page, 'approver-decisions');

      await page.click(`a[href="/projects/${project.id}/decision"]`);
      await page.waitForSelector('#matrix-caption');
      // The matrix: one column for the appraiser, a verdict per criterion.
      expect(await page.textContent('table.matrix thead')).toContain('ann.appraiser');
      expect(await page.$$eval('table.matrix tbody tr', (rows) => rows.length)).toBeGreaterThan(3);
      // Plain approval is refused, with the rule's reason; the radio is disabled.
      const refused = await page.textContent('#option-approved');
      expect(refused).toContain('Ý kiến thẩm định có kèm điều kiện');
      expect(refused).toContain('CONDITIONS_APPLY');
      expect(await page.isDisabled('#outcome-approved')).toBe(true);
      await check(page, 'approver-decision');

      // Keyboard only: skip link, then the form's button with nothing chosen → the error summary takes the focus.
      await page.keyboard.press('Tab');
      expect(await focused(page)).toMatch(/^a\|\|\|skip-link/);
      await page.keyboard.press('Enter');
      await tabUntil(page, (f) => f.startsWith('button|') && !f.includes('button--small') && !f.includes('link-button'));
      await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
      await page.waitForSelector('.error-summary');
      expect(await focused(page)).toMatch(/^div\|\|\|error-summary/);
      await check(page, 'approver-decision-errors');

      // Into the outcome group (the disabled radio is skipped), choose with Space, type the reason and a condition, send with Enter.
      const radio = await tabUntil(page, (f) => f.includes('|outcome|'));
      expect(radio).toContain('outcome-approved_with_conditions');
      await page.keyboard.press('Space');
      expect(await page.isChecked('#outcome-approved_with_conditions')).toBe(true);
      await page.keyboard.press('Tab');
      expect(await focused(page)).toContain('textarea|reason|');
      await page.keyboard.type('Công nghệ đáp ứng các tiêu chí Điều 19; đồng ý theo ý kiến thẩm định.');
      await page.keyboard.press('Tab');
      expect(await focused(page)).toContain('select|cite|');
      await page.keyboard.press('Tab');
      expect(await focused(page)).toContain('textarea|conditions|');
      await page.keyboard.type('Báo cáo kết quả vận hành thử trước khi nghiệm thu');
      await page.keyboard.press('Tab');
      expect(await focused(page)).toMatch(/^button\|/);
      await Promise.all([page.waitForURL(/decided=approved_with_conditions/), page.keyboard.press('Enter')]);
      expect(await page.textContent('main')).toContain('Đã ghi nhận quyết định: Phê duyệt có điều kiện.');
      expect(await page.$$eval('a[href*="/decision/slips/"]', (as) => as.length)).toBeGreaterThan(0);
      await check(page, 'approver-decided');
      decidedAt = new Date().toISOString();
      expect(cspErrors).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it('the auditor searches the log, opens the timeline, verifies the log, reads the project before the decision and opens the reports', { timeout: 240_000 }, async () => {
    expect(decidedAt).not.toBe('');
    const browser = await launchBrowser();
    try {
      const page = await browser.context.newPage();
      await signIn(page, 'tran.kiemtoan', ['auditor'], 'thanh-tra-tinh');
      await page.waitForURL(/\/audit$/);
      await check(page);

      // Search by name without accents, then by the decision action.
      await page.fill('#project', 'thang long day chuyen 3');
      await page.click('form.audit-search button[type=submit]');
      await page.waitForSelector('#results');
      const results = await page.textContent('table.audit-events');
      expect(results).toContain('decision.recorded');
      expect(results).toContain('project.created');
      await check(page, 'auditor-search');

      // The timeline of the project's chain.
      await page.click(`table.audit-events a[href="/audit/projects/${project.id}"] >> nth=0`);
      await page.waitForSelector('#timeline');
      expect(await page.$$eval('table.audit-events tbody tr', (rows) => rows.length)).toBeGreaterThan(8);
      await check(page, 'auditor-timeline');

      // As of the opinion (before the decision): appraised then, approved now.
      const opinionRow = page.locator('table.audit-events tbody tr', { hasText: 'opinion.recorded' });
      await opinionRow.locator('a').click();
      await page.waitForSelector('#as-of-result');
      const asOf = await page.textContent('section.as-of');
      expect(asOf).toContain('Đã thẩm định');
      expect(asOf).toContain('Khác với hiện nay');
      expect(asOf).toContain('Phát lại khớp với nhật ký và cơ sở dữ liệu');
      expect(await page.textContent('section.as-of dl')).toMatch(/Trạng thái hiện nay\s*Đã phê duyệt/);
      await check(page, 'auditor-as-of');

      // Verify now (incremental, from the checkpoint signed after the decision), with the
      // keyboard only: the auditor's main task.
      await page.goto(`${base}/audit`);
      for (let i = 0; i < 60 && (await page.evaluate('document.activeElement && document.activeElement.getAttribute("href")')) !== '/audit/verify'; i++) await page.keyboard.press('Tab');
      await Promise.all([page.waitForURL(/\/audit\/verify$/), page.keyboard.press('Enter')]);
      await page.waitForSelector('#verify-now');
      await check(page);
      expect(await tabUntil(page, (f) => f.startsWith('button|verify-now|'))).toContain('verify-now');
      await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
      await page.waitForSelector('#verify-result');
      expect(await page.textContent('#verify-result')).toContain('Hợp lệ');
      await check(page, 'auditor-verify');

      // Reports: 0 coverage violations, the on-time table, downloads.
      await page.click('.header__nav a[href="/audit/reports"]');
      await page.waitForSelector('#coverage');
      expect(await page.textContent('#violations')).toContain('0 vi phạm');
      expect(await page.$$eval('a[href^="/audit/reports/export"]', (as) => as.length)).toBe(4);
      await check(page, 'auditor-reports');
      expect(cspErrors).toEqual([]);
      expect(visited.length).toBeGreaterThanOrEqual(10);
    } finally {
      await browser.close();
    }
  });
});
