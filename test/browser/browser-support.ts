/**
 * Real Chromium for the browser tests: Debian's `chromium` driven by playwright-core, a fresh
 * profile per run, axe-core injected into every page visited. No Chromium → the tests fail with
 * the command that installs it (never a silent skip).
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { expect } from 'vitest';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean) as string[];
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export function chromiumPath(): string {
  const found = CANDIDATES.find((p) => existsSync(p));
  if (!found) {
    throw new Error(
      `Chromium was not found (looked at ${CANDIDATES.join(', ')}). Install it with: bash scripts/ensure-system-packages.sh ` +
        `(apt-get install chromium), or set CHROMIUM_PATH to a Chromium binary.`,
    );
  }
  return found;
}

export async function launchBrowser(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = await fs.mkdtemp(path.join(os.tmpdir(), 'appraisal-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: chromiumPath(), headless: true, args: FLAGS, locale: 'vi-VN', viewport: { width: 1100, height: 900 } });
  context.setDefaultTimeout(20_000);
  return {
    context,
    async close() {
      await context.close();
      await fs.rm(profile, { recursive: true, force: true });
    },
  };
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[] }>;
}

/** Runs axe-core in the page (through the debugger protocol, so the page's CSP still forbids inline script). */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(AXE_SOURCE);
  // A string expression: it runs in the page (the test's tsconfig has no DOM types).
  const result = (await page.evaluate(
    `axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'] } })`,
  )) as { violations: AxeViolation[] };
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

export function describeViolations(vs: AxeViolation[]): string {
  return vs.map((v) => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`).join('\n');
}

/**
 * Where the tests' screenshots go: the README's folder with SCREENSHOTS=update
 * (`SCREENSHOTS=update npx vitest run test/browser`), else a temporary folder, so an ordinary
 * run never edits the repository.
 */
export function screenshotDir(): string {
  return process.env.SCREENSHOTS === 'update' ? path.resolve('docs/screenshots') : mkdtempSync(path.join(os.tmpdir(), 'screenshots-'));
}

export interface PageChecks {
  /** axe-core on the page (zero serious or critical violations), the path noted, and a screenshot when named. */
  check(page: Page, shot?: string): Promise<void>;
  /** Collect the page's Content Security Policy reports from its console. */
  watch(page: Page): void;
  visited: string[];
  cspErrors: string[];
}

/** The checks every browser journey makes on each page it visits. */
export function pageChecks(): PageChecks {
  const shots = screenshotDir();
  const visited: string[] = [];
  const cspErrors: string[] = [];
  return {
    visited,
    cspErrors,
    watch(page) {
      page.on('console', (m) => {
        if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
      });
    },
    async check(page, shot) {
      const violations = await axeViolations(page);
      expect(describeViolations(violations), page.url()).toBe('');
      visited.push(new URL(page.url()).pathname);
      if (shot) await page.screenshot({ path: path.join(shots, `${shot}.png`), fullPage: true });
    },
  };
}
