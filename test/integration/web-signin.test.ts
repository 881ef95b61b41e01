/**
 * Web sign-in end to end over a listening socket: the embedded OpenID provider, our sign-in
 * page, the one-time password change, the encrypted session cookie, CSRF, sign-out at the
 * provider, idle expiry, and the bearer API left as it was.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createTestEnv, type TestEnv } from '../helpers/test-env';
import { freePort } from '../helpers/ports';
import { createAccountStore, type AccountStore } from '../../src/auth/oidc-account-store';
import { ensureDemoAccounts } from '../../src/auth/oidc-demo-accounts';
import { WebClient, signIn } from './web-session-client';
import fs from 'node:fs/promises';

let env: TestEnv;
let app: FastifyInstance;
let base: string;
let accounts: AccountStore;
let now = Date.now();

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  env = await createTestEnv({ PORT: String(port), PUBLIC_URL: base, SESSION_IDLE_MINUTES: '30' });
  app = await env.buildApp({ clock: () => new Date(now) });
  await app.listen({ host: '127.0.0.1', port });
  accounts = createAccountStore(env.database.db);
});
afterAll(async () => env?.close());

describe('web sign-in with the embedded provider', () => {
  it('publishes a discovery document and keys', async () => {
    const res = await fetch(`${base}/oidc/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { issuer: string; authorization_endpoint: string; code_challenge_methods_supported: string[] };
    expect(doc.issuer).toBe(`${base}/oidc`);
    expect(doc.authorization_endpoint).toBe(`${base}/oidc/auth`);
    expect(doc.code_challenge_methods_supported).toContain('S256');
  });

  it('sends a visitor without a session to sign in, and back to the page asked for', async () => {
    const client = new WebClient(base);
    const first = await client.request('GET', '/');
    expect(first.status).toBe(303);
    expect(first.location).toBe('/auth/signin?returnTo=%2F');
    const start = await client.request('GET', first.location!);
    expect(start.status).toBe(303);
    const auth = new URL(start.location!);
    expect(auth.origin + auth.pathname).toBe(`${base}/oidc/auth`);
    expect(auth.searchParams.get('code_challenge_method')).toBe('S256');
    expect(auth.searchParams.get('state')).toBeTruthy();
    expect(auth.searchParams.get('nonce')).toBeTruthy();
    const page = await client.follow('GET', start.location!);
    expect(page.url).toMatch(/\/signin\/[A-Za-z0-9_-]+$/);
    expect(page.body).toContain('<html lang="vi">');
    expect(page.body).toContain('Tên đăng nhập');
    // Our page, not the library's development interactions.
    expect(page.body).not.toMatch(/devInteractions|oidc-provider/i);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
  });

  it('creates one demo account per role on first start, passwords in an owner-only file', async () => {
    const demo = await ensureDemoAccounts(accounts, env.dataDir);
    expect(demo.created).toBe(true);
    const stat = await fs.stat(demo.file);
    expect(stat.mode & 0o777).toBe(0o600);
    const lines = (await fs.readFile(demo.file, 'utf8')).split('\n').filter((l) => l && !l.startsWith('#'));
    expect(lines.map((l) => l.split('\t')[1])).toEqual(['investor', 'clerk', 'appraiser', 'approver', 'auditor', 'admin']);
    expect((await ensureDemoAccounts(accounts, env.dataDir)).created).toBe(false);
  });

  it('signs in, forces a new password for a one-time password, and keeps an encrypted HttpOnly session', async () => {
    const { password } = await accounts.add({ sub: 'web-alice', roles: ['investor'], organisation: 'acme', displayName: 'Alice Nguyễn' });
    const client = new WebClient(base);
    const form = await client.get('/auth/signin');
    const wrong = await client.submit(form, { sub: 'web-alice', password: 'not-the-password' });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toContain('class="error-summary"');
    expect(wrong.body).toContain('href="#sub"');

    const change = await client.submit(wrong, { sub: 'web-alice', password });
    expect(change.body).toContain('name="newPassword"');
    const short = await client.submit(change, { newPassword: 'short', confirmPassword: 'short' });
    expect(short.status).toBe(400);
    expect(short.body).toContain('href="#newPassword"');
    const home = await client.submit(short, { newPassword: 'a long new passphrase 42', confirmPassword: 'a long new passphrase 42' });
    expect(home.status).toBe(200);
    expect(home.body).toContain('Alice Nguyễn');
    expect((await accounts.find('web-alice'))!.mustChangePassword).toBe(false);

    const setCookie = (await client.request('GET', '/auth/signin')).headers.getSetCookie().join('\n');
    expect(client.cookieNames()).toContain('ta_session');
    if (setCookie.includes('ta_session')) {
      expect(setCookie).toMatch(/HttpOnly/i);
      expect(setCookie).toMatch(/SameSite=Lax/i);
    }
    // The one-time password no longer works.
    expect((await accounts.signIn('web-alice', password)).ok).toBe(false);
  });

  it('refuses a form post without the CSRF token', async () => {
    const client = new WebClient(base);
    await signIn(client, 'web-alice', 'a long new passphrase 42');
    const res = await client.request('POST', '/language', { locale: 'en', returnTo: '/' });
    expect(res.status).toBe(403);
    expect(res.body).toContain('CSRF_TOKEN_INVALID');
  });

  it('switches language per user and signs out at the provider too', async () => {
    const client = new WebClient(base);
    const home = await signIn(client, 'web-alice', 'a long new passphrase 42');
    const en = await client.submit(home, {}, { action: '/language' });
    expect(en.body).toContain('<html lang="en">');
    const out = await client.submit(en, {}, { action: '/auth/signout' });
    // The provider asks to confirm, in our look and language.
    expect(out.url).toContain('/oidc/session/end');
    expect(out.body).toContain('Yes, sign me out');
    const done = await client.submit(out, { logout: 'yes' });
    expect(done.url).toBe(`${base}/auth/signed-out`);
    const again = await client.request('GET', '/');
    expect(again.status).toBe(303);
  });

  it('ends a session idle for longer than SESSION_IDLE_MINUTES', async () => {
    const client = new WebClient(base);
    await signIn(client, 'web-alice', 'a long new passphrase 42');
    expect((await client.request('GET', '/projects')).status).toBe(200);
    now += 31 * 60_000;
    const res = await client.request('GET', '/projects');
    expect(res.status).toBe(303);
    expect(res.location).toContain('/auth/signin');
  });

  it('keeps the bearer API as it was', async () => {
    const token = await env.token('bob', ['clerk'], 'desk');
    const res = await fetch(`${base}/v1/projects`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const anonymous = await fetch(`${base}/v1/projects`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});
