/**
 * The investor's main task with the keyboard only, in a real Chromium: sign in, register,
 * declare the technology (adding a machinery row), upload every required file, submit. Every
 * step moves with Tab / Shift+Tab, types with the keyboard and activates with Enter or Space;
 * nothing is clicked. The one exception is the file chooser, which a test cannot drive through
 * the operating system's dialog: the file input is reached and focused with Tab, then its file
 * is set with `setInputFiles`, and its upload button is again reached with Tab and pressed
 * with Enter. axe-core checks every page visited; after an error the error summary has the focus.
 *
 * Then the clerk accepts the dossier (through the API: that is the clerk's screen, not this
 * journey) and the investor's overview shows the statutory due dates and the receipt slip.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { createTestEnv, type TestEnv } from '../helpers/test-env';
import { freePort } from '../helpers/ports';
import { samplePdf } from '../helpers/api';
import { createAccountStore } from '../../src/auth/oidc-account-store';
import { launchBrowser, pageChecks } from './browser-support';

let env: TestEnv;
let app: FastifyInstance;
let base: string;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
const { check, visited } = pageChecks();

/** Whether the focused element matches a CSS selector (read in the page; nothing is clicked). */
const focused = (page: Page, selector: string) => page.evaluate(`!!document.activeElement && document.activeElement.matches(${JSON.stringify(selector)})`) as Promise<boolean>;

/** Press Tab (or Shift+Tab) until the focus is on `selector`; fails if it never gets there. */
async function tabTo(page: Page, selector: string, opts: { back?: boolean; max?: number } = {}) {
  for (let i = 0; i < (opts.max ?? 120); i++) {
    if (await focused(page, selector)) return;
    await page.keyboard.press(opts.back ? 'Shift+Tab' : 'Tab');
  }
  throw new Error(`Tab never reached ${selector} on ${page.url()}`);
}

async function typeInto(page: Page, selector: string, text: string) {
  await tabTo(page, selector);
  await page.keyboard.type(text);
}

/** A select with the arrow keys: Down until the chosen option is selected. */
async function chooseOption(page: Page, selector: string, value: string) {
  await tabTo(page, selector);
  for (let i = 0; i < 40; i++) {
    if ((await page.evaluate(`document.activeElement.value`)) === value) return;
    await page.keyboard.press('ArrowDown');
  }
  throw new Error(`option ${value} not reached in ${selector}`);
}

/** Enter on the focused control and wait for the next page. */
async function pressAndLoad(page: Page, key: 'Enter' | 'Space', url?: RegExp) {
  await Promise.all([page.waitForEvent('load'), page.keyboard.press(key)]);
  if (url) await page.waitForURL(url);
}

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

describe('investor, keyboard only', () => {
  it('registers, declares, uploads and submits without a pointer', { timeout: 300_000 }, async () => {
    const { password } = await createAccountStore(env.database.db).add({ sub: 'kb.investor', roles: ['investor'], organisation: 'kb-org', displayName: 'Lê Thị Hoa' });
    const page = await browser.context.newPage();

    // Sign-in page of the embedded provider; then the one-time password is replaced.
    await page.goto(`${base}/`);
    await expect.poll(() => page.url()).toMatch(/\/signin\//);
    await check(page);
    await typeInto(page, '#sub', 'kb.investor');
    await typeInto(page, '#password', password);
    await pressAndLoad(page, 'Enter');
    await page.waitForSelector('#newPassword');
    await check(page);
    await typeInto(page, '#newPassword', 'bàn phím thôi cũng đủ 2026');
    await typeInto(page, '#confirmPassword', 'bàn phím thôi cũng đủ 2026');
    await pressAndLoad(page, 'Enter', /\/projects$/);
    await check(page);

    // Registration: Enter on "continue" with nothing filled: the error summary takes the focus.
    await tabTo(page, 'main a.button[href="/projects/new"]');
    await pressAndLoad(page, 'Enter', /\/projects\/new$/);
    await check(page);
    await tabTo(page, 'main form button[type=submit]');
    await pressAndLoad(page, 'Enter');
    await page.waitForSelector('.error-summary');
    expect(await focused(page, '.error-summary')).toBe(true);
    await check(page);
    // The summary's first link leads to the field it names (Enter on the link moves the focus there).
    await tabTo(page, '.error-summary a[href="#name"]');
    await page.keyboard.press('Enter');
    await expect.poll(() => focused(page, '#name')).toBe(true);
    await page.keyboard.type('Nhà máy gạch ốp lát Đông Triều');
    await chooseOption(page, '#sector', 'construction_materials');
    await typeInto(page, '#location', 'Đông Triều, Quảng Ninh');
    await typeInto(page, '#capitalVnd', '80.000.000.000');
    await chooseOption(page, '#stage', 'investment_policy');
    await chooseOption(page, '#group', 'C');
    await chooseOption(page, '#capitalSource', 'private');
    await chooseOption(page, '#decidingLevel', 'provincial_peoples_committee');
    await chooseOption(page, '#environmentalGroup', 'III');
    await tabTo(page, '#highTechZone');
    await page.keyboard.press('Space');
    expect(await page.evaluate(`document.getElementById('highTechZone').checked`)).toBe(true);
    await page.keyboard.press('Space'); // and off again: not in a high-tech zone
    await tabTo(page, 'main form button[type=submit]');
    await pressAndLoad(page, 'Enter', /\/technology\?created=1$/);
    await check(page);
    const projectUrl = page.url().replace(/\/technology.*$/, '');

    // Technology and a machinery row added with the keyboard ("add another" posts back).
    await typeInto(page, '#t0-name', 'Lò nung con lăn tiết kiệm năng lượng');
    await typeInto(page, '#t0-origin', 'Ý');
    await tabTo(page, 'button[value="add-machine"]');
    await pressAndLoad(page, 'Enter');
    await page.waitForSelector('#m0-name');
    await check(page);
    await typeInto(page, '#m0-name', 'Máy ép thủy lực');
    await typeInto(page, '#m0-hsCode', '8474.80');
    await typeInto(page, '#m0-manufactureYear', '2025');
    await chooseOption(page, '#m0-condition', 'new');
    await typeInto(page, '#m0-standards', 'QCVN 16:2023/BXD');
    await tabTo(page, 'button[value="save"]');
    await pressAndLoad(page, 'Enter', /\/dossier$/);
    await check(page);

    // Every required item: Tab to its file input (the file is set with setInputFiles, see above),
    // Tab to its upload button, Enter; the receipt names the file.
    const required = (await page.$$eval('form[enctype="multipart/form-data"] input[name="component"]', (inputs) => inputs.map((i) => i.getAttribute('value')!))) as string[];
    const missing = (await page.$$eval('.task-list li', (items) =>
      items.filter((li) => li.querySelector('.tag.tag--red')).map((li) => li.id.replace(/^item-/, '')),
    )) as string[];
    expect(required.length).toBeGreaterThan(0);
    expect(missing.length).toBeGreaterThan(0);
    for (const component of missing) {
      await tabTo(page, `#file-${component}`);
      await page.setInputFiles(`#file-${component}`, { name: `${component}.pdf`, mimeType: 'application/pdf', buffer: samplePdf(`kb-${component}`) });
      expect(await focused(page, `#file-${component}`)).toBe(true);
      await tabTo(page, `#item-${component} button[type=submit]`);
      await pressAndLoad(page, 'Enter');
      await page.waitForSelector('#receipt');
      expect(await page.textContent('#receipt')).toContain(`${component}.pdf`);
    }
    await check(page);

    // The pre-submit check, then submit.
    await tabTo(page, `main a.button[href$="/check"]`);
    await pressAndLoad(page, 'Enter', /\/check$/);
    await check(page);
    expect(await page.$('.error-summary')).toBeNull();
    await tabTo(page, 'main form button[type=submit]');
    await pressAndLoad(page, 'Enter', /\?submitted=1$/);
    await check(page);
    expect(await page.textContent('main')).toContain('Đã nộp hồ sơ');

    // The clerk accepts the dossier (their own screen; here through the API), and the investor's
    // overview now shows the statutory steps with due dates and the receipt with its code.
    const id = projectUrl.split('/').pop()!;
    const clerk = await env.token('kb.clerk', ['clerk']);
    const accepted = await fetch(`${base}/v1/projects/${id}/completeness`, { method: 'POST', headers: { authorization: `Bearer ${clerk}`, 'content-type': 'application/json' }, body: JSON.stringify({ result: 'complete' }) });
    expect(accepted.status).toBe(200);
    await page.goto(projectUrl);
    await page.waitForSelector('#deadlines');
    expect(await page.textContent('main')).toMatch(/Đang tính, còn \d+ ngày/);
    expect(await page.textContent('main')).toContain('Giấy tiếp nhận hồ sơ và hẹn trả kết quả');
    expect(await page.textContent('main')).toMatch(/[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}/);
    await check(page, 'investor-project-overview');
    // The slip downloads from the page (keyboard: Tab to its link; the file is fetched the same way).
    await tabTo(page, 'main a[href^="/slips/"]');
    const href = (await page.evaluate(`document.activeElement.getAttribute('href')`)) as string;
    const pdf = await page.request.get(`${base}${href}`);
    expect(pdf.status()).toBe(200);
    expect((await pdf.body()).subarray(0, 4).toString()).toBe('%PDF');
    await tabTo(page, `main a[href$="/history"]`);
    await pressAndLoad(page, 'Enter', /\/history$/);
    await check(page, 'investor-project-timeline');

    expect(visited.length).toBeGreaterThanOrEqual(12);
    await page.close();
  });
});
