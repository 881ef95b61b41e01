/**
 * The investor's journey in a real Chromium against the real app on a listening socket, the
 * embedded OpenID provider, Postgres and S3: sign in through our sign-in page (changing the
 * one-time password), register, declare, upload every required file, submit. axe-core checks
 * every page visited (zero serious or critical violations); screenshots go to docs/screenshots.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createTestEnv, type TestEnv } from '../helpers/test-env';
import { freePort } from '../helpers/ports';
import { samplePdf } from '../helpers/api';
import { createAccountStore } from '../../src/auth/oidc-account-store';
import { launchBrowser, pageChecks } from './browser-support';

let env: TestEnv;
let app: FastifyInstance;
let base: string;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let submittedProject = '';
const { check, watch, visited, cspErrors } = pageChecks();

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  env = await createTestEnv({ PORT: String(port), PUBLIC_URL: base });
  app = await env.buildApp();
  await app.listen({ host: '127.0.0.1', port });
  browser = await launchBrowser();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await env?.close();
});

describe('investor journey in Chromium', () => {
  it('signs in, registers, declares, uploads every required file and submits', { timeout: 240_000 }, async () => {
    const { password } = await createAccountStore(env.database.db).add({ sub: 'an.nguyen', roles: ['investor'], organisation: 'halong-cement', displayName: 'Nguyễn Văn An' });
    const page = await browser.context.newPage();
    watch(page);

    // Sign-in through the real provider and our page.
    await page.goto(`${base}/`);
    await expect.poll(() => page.url()).toMatch(/\/signin\//);
    await check(page, 'sign-in');
    await page.fill('#sub', 'an.nguyen');
    await page.fill('#password', password);
    await page.click('main button[type=submit]');
    await page.waitForSelector('#newPassword');
    await check(page, 'change-password');
    await page.fill('#newPassword', 'mật khẩu mới rất dài 2026');
    await page.fill('#confirmPassword', 'mật khẩu mới rất dài 2026');
    await page.click('main button[type=submit]');
    await page.waitForURL(/\/projects$/);
    await check(page);

    // Registration, first with a mistake: the error summary lists it.
    await page.click('a.button[href="/projects/new"]');
    await page.waitForURL(/\/projects\/new$/);
    await check(page);
    await page.click('main button[type=submit]');
    await page.waitForSelector('.error-summary');
    await check(page, 'register-errors');
    await page.fill('#name', 'Nhà máy xi măng Hạ Long mở rộng');
    await page.selectOption('#sector', 'cement');
    await page.fill('#location', 'Hoành Bồ, Hạ Long, Quảng Ninh');
    await page.fill('#capitalVnd', '120000000000');
    await page.selectOption('#stage', 'investment_decision');
    await page.selectOption('#group', 'B');
    await page.selectOption('#capitalSource', 'private');
    await page.selectOption('#decidingLevel', 'provincial_peoples_committee');
    await page.selectOption('#environmentalGroup', 'II');
    await page.selectOption('#construction', 'yes');
    await page.click('main button[type=submit]');
    await page.waitForURL(/\/technology\?created=1$/);
    const projectUrl = page.url().replace(/\/technology.*$/, '');

    // Technology declaration with a machinery row added by posting back.
    await page.fill('#t0-name', 'Lò quay phương pháp khô');
    await page.fill('#t0-origin', 'Đức');
    await page.click('button[value="add-machine"]');
    await page.waitForSelector('#m0-name');
    await page.fill('#m0-name', 'Máy nghiền đứng');
    await page.fill('#m0-hsCode', '8474.20');
    await page.fill('#m0-manufactureYear', '2025');
    await page.selectOption('#m0-condition', 'new');
    await page.fill('#m0-standards', 'QCVN 16:2023/BXD');
    await check(page, 'technology-declaration');
    await page.click('button[value="save"]');
    await page.waitForURL(/\/dossier$/);

    // The dossier page: small on first load (HTML + CSS), then every required upload.
    const weight = (await page.evaluate(
      `[...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')].reduce((sum, e) => sum + (e.transferSize || e.encodedBodySize || 0), 0)`,
    )) as number;
    expect(weight).toBeGreaterThan(0);
    expect(weight).toBeLessThan(150 * 1024);
    await check(page, 'dossier-checklist');

    // The pre-submit check lists what is missing.
    await page.goto(`${projectUrl}/check`);
    await page.waitForSelector('.error-summary');
    await check(page, 'pre-submit-check');
    const missing = await page.$$eval('.error-summary a', (as) => as.map((a) => a.getAttribute('href')!).filter((h) => h.includes('#item-')).map((h) => h.split('#item-')[1]!));
    expect(missing.length).toBeGreaterThan(0);

    await page.goto(`${projectUrl}/dossier`);
    for (const component of missing) {
      await page.setInputFiles(`#file-${component}`, { name: `${component}.pdf`, mimeType: 'application/pdf', buffer: samplePdf(component) });
      await page.click(`#item-${component} button[type=submit]`);
      await page.waitForSelector('#receipt');
      expect(await page.textContent('#receipt')).toContain(`${component}.pdf`);
    }
    await check(page, 'dossier-receipt');

    await page.goto(`${projectUrl}/check`);
    await check(page);
    await page.click('main form button[type=submit]');
    await page.waitForURL(/\?submitted=1$/);
    await check(page, 'project-submitted');
    await page.click(`a[href$="/history"]`);
    await page.waitForSelector('.timeline');
    await check(page, 'project-history');

    // Vietnamese first; English on request, remembered for the user.
    await page.click('.header__lang button');
    await page.waitForSelector('html[lang="en"]');
    await check(page);
    await page.goto(`${base}/projects`);
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    await check(page, 'projects-list-en');

    expect(cspErrors).toEqual([]);
    expect(visited.length).toBeGreaterThanOrEqual(14);
    await page.close();
    submittedProject = projectUrl;
  });

  it('a clerk requests supplementation item by item; the investor answers it and resubmits', { timeout: 240_000 }, async () => {
    expect(submittedProject).not.toBe('');
    const store = createAccountStore(env.database.db);
    const { password } = await store.add({ sub: 'binh.tran', roles: ['clerk'], organisation: 'so-khcn', displayName: 'Trần Thị Bình' });
    const clerkContext = await launchBrowser();
    try {
      const page = await clerkContext.context.newPage();
      await page.goto(`${base}/`);
      await page.fill('#sub', 'binh.tran');
      await page.fill('#password', password);
      await page.click('main button[type=submit]');
      await page.fill('#newPassword', 'bàn một cửa Quảng Ninh');
      await page.fill('#confirmPassword', 'bàn một cửa Quảng Ninh');
      await page.click('main button[type=submit]');
      await page.waitForURL(/\/intake$/);
      await check(page, 'clerk-intake-queue');
      await page.click('table a[href$="/completeness"]');
      await page.waitForSelector('#result-incomplete');
      await page.check('#result-incomplete');
      await page.check('#missing-machinery_list');
      await page.fill('#note', 'Bổ sung năm sản xuất và công suất còn lại của máy nghiền.');
      await check(page, 'clerk-completeness-check');
      await page.click('main form button[type=submit]');
      await page.waitForURL(/recorded=incomplete$/);
      await check(page);
      await page.close();
    } finally {
      await clerkContext.close();
    }

    // The investor (still signed in in the first browser) answers the one requested item.
    const investor = await browser.context.newPage();
    await investor.goto(`${submittedProject}/dossier`);
    await investor.waitForSelector('#supplement-title');
    await check(investor, 'investor-supplement-request');
    await investor.setInputFiles('#file-machinery_list', { name: 'machinery-list-v2.pdf', mimeType: 'application/pdf', buffer: samplePdf('v2') });
    await investor.click('#item-machinery_list button[type=submit]');
    await investor.waitForSelector('#receipt');
    await investor.goto(`${submittedProject}/check`);
    await check(investor);
    await investor.click('main form button[type=submit]');
    await investor.waitForURL(/\?submitted=1$/);
    expect(cspErrors).toEqual([]);
  });
});
