/**
 * How web routes are declared in the access-control scheme: every page is a `session` rule
 * (checked by the web plugin), the web's public routes are a short known list. A page asked for
 * without a session sends the browser to sign in; a form posted without one is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createTestEnv, type TestEnv } from '../helpers/test-env';
import { routeCatalogue } from '../../src/http/access-control';

let env: TestEnv;
let app: FastifyInstance;

beforeAll(async () => {
  env = await createTestEnv();
  app = await env.buildApp();
});
afterAll(async () => env?.close());

const PUBLIC_WEB_ROUTES = [
  'GET /assets/:name',
  'POST /language',
  'GET /auth/signin',
  'GET /auth/callback',
  'POST /auth/signout',
  'GET /auth/signed-out',
  'GET /signin/:uid',
  'POST /signin/:uid',
  'POST /signin/:uid/password',
].sort();

describe('web routes in the access-control scheme', () => {
  it('lists exactly the known public web routes', () => {
    const pub = routeCatalogue(app)
      .filter((r) => 'page' in r.access && r.access.page)
      .map((r) => `${r.method} ${r.url}`)
      .sort();
    const notProvider = (r: string) => !/ \/oidc(\/\*)?$/.test(r);
    expect(pub.filter(notProvider)).toEqual(PUBLIC_WEB_ROUTES.filter(notProvider));
    // The provider takes every method under /oidc (its own protocol endpoints).
    expect(pub).toEqual(expect.arrayContaining(['GET /oidc/*', 'POST /oidc/*']));
  });

  const pages = () => routeCatalogue(app).filter((r) => 'session' in r.access);

  it('has session rules for the pages', () => {
    expect(pages().length).toBeGreaterThanOrEqual(10);
  });

  it('sends every page asked for without a session to sign in, and refuses every post without one', async () => {
    for (const r of pages()) {
      const url = r.url.replace(':id', '00000000-0000-4000-8000-000000000000');
      const res = await app.inject({ method: r.method as 'GET', url });
      if (r.method === 'GET') {
        expect(res.statusCode, `${r.method} ${r.url}`).toBe(303);
        expect(res.headers.location, r.url).toBe(`/auth/signin?returnTo=${encodeURIComponent(url)}`);
      } else {
        expect(res.statusCode, `${r.method} ${r.url}`).toBe(401);
        expect(res.body).toContain('SESSION_REQUIRED');
      }
    }
  });

  it('does not accept a bearer token in place of a session', async () => {
    const token = await env.token('alice', ['investor'], 'acme');
    const res = await app.inject({ method: 'GET', url: '/projects', headers: { authorization: `Bearer ${token}` } });
    expect(res.statusCode).toBe(303);
  });

  it('serves the stylesheet with a content hash and a year of caching', async () => {
    const page = await app.inject({ method: 'GET', url: '/auth/signed-out' });
    const href = /href="(\/assets\/app\.css\?v=[0-9a-f]{12})"/.exec(page.body)![1]!;
    const css = await app.inject({ method: 'GET', url: href });
    expect(css.statusCode).toBe(200);
    expect(css.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(css.headers['content-type']).toContain('text/css');
    const again = await app.inject({ method: 'GET', url: href, headers: { 'if-none-match': String(css.headers.etag) } });
    expect(again.statusCode).toBe(304);
    expect(page.headers['content-security-policy']).toMatch(/script-src 'self'/);
    expect(page.headers['content-security-policy']).not.toMatch(/unsafe-inline/);
    expect(page.headers['x-frame-options']).toBeDefined();
  });
});
