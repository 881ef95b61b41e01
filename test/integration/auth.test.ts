/**
 * Token verification with hostile tokens, OIDC (JWKS discovery, Keycloak roles, key rotation),
 * read-only auditors, rate limiting and the recorded trace of denials.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { createTestEnv, type TestEnv } from '../helpers/test-env';
import { client, sampleProject } from '../helpers/api';
import { loadOrCreateLocalSigningKey } from '../../src/auth/local-signing-key';
import { createOidcTokenVerifier } from '../../src/auth/token-verifier';

let env: TestEnv;
let app: FastifyInstance;

beforeAll(async () => {
  env = await createTestEnv();
  app = await env.buildApp();
});
afterAll(async () => env.close());

const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
const nowS = () => Math.floor(Date.now() / 1000);

async function claims(extra: Record<string, unknown> = {}) {
  return { sub: 'mallory', roles: ['clerk'], iss: env.config.jwt.issuer, aud: env.config.jwt.audience, iat: nowS(), exp: nowS() + 600, ...extra };
}

async function statusWith(token: string | undefined, header?: string) {
  const res = await app.inject({ method: 'GET', url: '/v1/projects', headers: header ? { authorization: header } : token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.statusCode, code: res.json().code as string | undefined };
}

describe('hostile tokens get 401 with a stable code', () => {
  it('a good token passes', async () => {
    expect((await statusWith(await env.token('carol', ['clerk']))).status).toBe(200);
  });

  it.each([
    ['no Authorization header', undefined, undefined, 'UNAUTHENTICATED'],
    ['a Basic header', undefined, 'Basic YWxpY2U6c2VjcmV0', 'UNAUTHENTICATED'],
    ['garbage', 'not.a.jwt', undefined, 'TOKEN_INVALID'],
  ])('%s', async (_n, token, header, code) => {
    expect(await statusWith(token, header)).toEqual({ status: 401, code });
  });

  it('alg "none"', async () => {
    const token = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(await claims())}.`;
    expect(await statusWith(token)).toEqual({ status: 401, code: 'TOKEN_ALGORITHM_REJECTED' });
  });

  it('a token signed by another Ed25519 key (same kid)', async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const ours = await loadOrCreateLocalSigningKey(env.dataDir);
    const token = await new SignJWT(await claims()).setProtectedHeader({ alg: 'EdDSA', kid: ours.kid }).sign(privateKey);
    expect(await statusWith(token)).toEqual({ status: 401, code: 'TOKEN_SIGNATURE_INVALID' });
  });

  it('HS256 signed with the public key as the secret (algorithm confusion)', async () => {
    const ours = await loadOrCreateLocalSigningKey(env.dataDir);
    const secret = new TextEncoder().encode(JSON.stringify(ours.publicJwk));
    const token = await new SignJWT(await claims()).setProtectedHeader({ alg: 'HS256' }).sign(secret);
    expect(await statusWith(token)).toEqual({ status: 401, code: 'TOKEN_ALGORITHM_REJECTED' });
  });

  it.each([
    ['expired', { expiresIn: '-10m' }, 'TOKEN_EXPIRED'],
    ['not yet valid', { notBefore: '10m' }, 'TOKEN_NOT_YET_VALID'],
  ])('%s', async (_n, opts, code) => {
    expect(await statusWith(await env.token('carol', ['clerk'], undefined, opts))).toEqual({ status: 401, code });
  });

  it.each([
    ['a wrong audience', { aud: 'another-service' }, 'TOKEN_AUDIENCE_INVALID'],
    ['a wrong issuer', { iss: 'https://evil.example' }, 'TOKEN_ISSUER_INVALID'],
    ['no expiry', { exp: undefined }, 'TOKEN_INVALID'],
  ])('%s', async (_n, extra, code) => {
    const key = await loadOrCreateLocalSigningKey(env.dataDir);
    const body = Object.fromEntries(Object.entries(await claims(extra)).filter(([, v]) => v !== undefined));
    const token = await new SignJWT(body).setProtectedHeader({ alg: 'EdDSA', kid: key.kid }).sign(key.privateKey);
    expect(await statusWith(token)).toEqual({ status: 401, code });
  });

  it('a valid token with no role this service knows gets 403 NO_ROLE', async () => {
    expect(await statusWith(await env.token('eve', ['superuser' as never]))).toEqual({ status: 403, code: 'NO_ROLE' });
  });
});

describe('roles', () => {
  it('auditors never write, even holding another role', async () => {
    const auditor = client(app, await env.token('audrey', ['auditor', 'investor'], 'acme'));
    const res = await auditor.post('/v1/projects', sampleProject());
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('READ_ONLY_ROLE');
    expect((await auditor.get('/v1/projects')).status).toBe(200);
  });

  it('a role the route does not admit gets 403, and the denial is in the project history', async () => {
    const investor = client(app, await env.token('alice', ['investor'], 'acme'));
    const { body: project } = await investor.post('/v1/projects', sampleProject());
    const clerk = client(app, await env.token('carol', ['clerk']));
    const res = await clerk.post(`/v1/projects/${project.id}/submit`);
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('ROLE_NOT_ALLOWED');
    const history = (await investor.get(`/v1/projects/${project.id}/history`)).body.events;
    expect(history.at(-1)).toMatchObject({ action: 'access.denied', actor: { sub: 'carol' }, payload: { attempted: 'submit', status: 403, code: 'ROLE_NOT_ALLOWED' } });
  });

  it('an investor without an organisation claim cannot create projects', async () => {
    const res = await client(app, await env.token('lone', ['investor'])).post('/v1/projects', sampleProject());
    expect(res.body).toMatchObject({ statusCode: 403, code: 'ORGANISATION_REQUIRED' });
  });

  it('NUL characters in a body are a 400, not a database error', async () => {
    const res = await client(app, await env.token('alice', ['investor'], 'acme')).post('/v1/projects', { ...sampleProject(), description: 'a\u0000b' });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('INVALID_CHARACTERS');
  });
});

describe('rate limiting', () => {
  it('answers 429 RATE_LIMITED with Retry-After past the limit, per caller', async () => {
    const limited = await createTestEnv({ RATE_LIMIT_PER_MINUTE: '3' });
    try {
      const a = await limited.buildApp();
      const alice = client(a, await limited.token('alice', ['clerk']));
      const bob = client(a, await limited.token('bob', ['clerk']));
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await alice.get('/v1/projects')).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const res = await alice.get('/v1/projects');
      expect(res.body).toMatchObject({ statusCode: 429, code: 'RATE_LIMITED' });
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect((await bob.get('/v1/projects')).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe('an OIDC issuer (Keycloak-style)', () => {
  let server: http.Server;
  let issuer: string;
  const keys: Array<{ kid: string; jwk: JWK; privateKey: CryptoKey }> = [];
  let jwksFetches = 0;

  async function addKey(kid: string) {
    const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
    keys.push({ kid, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }, privateKey: privateKey as CryptoKey });
  }
  const sign = (kid: string, body: Record<string, unknown>) =>
    new SignJWT({ realm_access: { roles: ['appraiser', 'offline_access'] }, org: 'dost', ...body })
      .setProtectedHeader({ alg: 'RS256', kid })
      .setSubject('kc-user-1')
      .setIssuer(issuer)
      .setAudience('appraisal-api')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(keys.find((k) => k.kid === kid)!.privateKey);

  beforeAll(async () => {
    await addKey('k1');
    server = http.createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/realms/province/.well-known/openid-configuration') {
        res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/protocol/openid-connect/certs` }));
      } else if (req.url === '/realms/province/protocol/openid-connect/certs') {
        jwksFetches++;
        res.end(JSON.stringify({ keys: keys.map((k) => k.jwk) }));
      } else {
        res.statusCode = 404;
        res.end('{}');
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}/realms/province`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('verifies against the JWKS, reads realm_access.roles, and follows key rotation', async () => {
    const verifier = createOidcTokenVerifier({ issuer, audience: 'appraisal-api', cooldownMs: 0 });
    expect(await verifier.verify(await sign('k1', {}))).toEqual({ sub: 'kc-user-1', roles: ['appraiser'], org: 'dost', name: null });
    expect(jwksFetches).toBe(1);
    await verifier.verify(await sign('k1', {}));
    expect(jwksFetches).toBe(1); // cached

    await addKey('k2'); // the issuer rotates its key
    expect((await verifier.verify(await sign('k2', { roles: ['approver'] }))).roles).toEqual(['appraiser', 'approver']);
    expect(jwksFetches).toBe(2);

    const wrongAud = await new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setSubject('x').setIssuer(issuer).setAudience('other').setExpirationTime('5m').sign(keys[0]!.privateKey);
    await expect(verifier.verify(wrongAud)).rejects.toMatchObject({ statusCode: 401, code: 'TOKEN_AUDIENCE_INVALID' });
  });
});
