/**
 * /readyz tells the truth per dependency: database, storage, the identity provider (the embedded
 * one's discovery, or OIDC_ISSUER's) and the virus scanner when one is configured (clamd PING),
 * each with its latency; one failing dependency makes it 503 and names it.
 */
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../helpers/test-env';
import { loadConfig } from '../../src/config';
import type { TokenVerifier } from '../../src/auth/token-verifier';

let env: TestEnv;
let idp: http.Server;
let idpUrl: string;
let idpUp = true;
const unusedVerifier: TokenVerifier = { verify: async () => Promise.reject(new Error('not used')) } as unknown as TokenVerifier;

beforeAll(async () => {
  env = await createTestEnv();
  idp = http.createServer((req, res) => {
    if (idpUp && req.url === '/realms/appraisal/.well-known/openid-configuration') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer: `${idpUrl}/realms/appraisal` }));
    } else res.writeHead(503).end();
  });
  await new Promise<void>((r) => idp.listen(0, '127.0.0.1', () => r()));
  idpUrl = `http://127.0.0.1:${(idp.address() as { port: number }).port}`;
});
afterAll(async () => {
  idp.close();
  await env.close();
});

describe('GET /readyz', () => {
  it('reports the database, storage and the embedded identity provider with their latency', async () => {
    const app = await env.buildApp();
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    // The test environment sets no scanner (VIRUS_SCAN auto and no clamd at Debian's socket, or one found there: then optional).
    expect(Object.keys(body.dependencies).filter((k) => k !== 'scanner').sort()).toEqual(['database', 'identityProvider', 'storage']);
    for (const d of Object.values(body.dependencies) as Array<{ status: string; latencyMs: number }>) {
      expect(d.status).toBe('ok');
      expect(d.latencyMs).toBeGreaterThanOrEqual(0);
      expect(d.latencyMs).toBeLessThan(2_000);
    }
  });

  it('reports the identity provider when one is configured, and is not ready while it does not answer', async () => {
    const config = { ...loadConfig({ ...envVars(), OIDC_ISSUER: `${idpUrl}/realms/appraisal`, OIDC_AUDIENCE: 'tech-appraisal-api' }) };
    const app = await env.buildApp({ config, verifier: unusedVerifier });
    let res = await app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(200);
    expect(res.json().dependencies.identityProvider).toMatchObject({ status: 'ok' });

    idpUp = false;
    res = await app.inject({ method: 'GET', url: '/readyz' });
    idpUp = true;
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ code: 'NOT_READY', checks: { database: 'ok', storage: 'ok' }, dependencies: { identityProvider: { status: 'failing', error: 'not answering' }, database: { status: 'ok' } } });
  });
});

describe('GET /readyz with a virus scanner configured', () => {
  it('pings clamd and reports its latency', async () => {
    const config = loadConfig({ ...envVars(), CLAMD_SOCKET: inject('clamdSocket') });
    const app = await env.buildApp({ config });
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(200);
    const scanner = res.json().dependencies.scanner;
    expect(scanner.status).toBe('ok');
    expect(scanner.optional).toBeUndefined();
    expect(scanner.latencyMs).toBeGreaterThanOrEqual(0);
    expect(scanner.latencyMs).toBeLessThan(2_000);
  });

  it('is not ready when the configured clamd does not answer, and names it', async () => {
    const config = loadConfig({ ...envVars(), CLAMD_SOCKET: path.join(env.dataDir, 'no-clamd-here.sock') });
    const app = await env.buildApp({ config });
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ code: 'NOT_READY', message: 'Not ready: scanner not answering', dependencies: { scanner: { status: 'failing', error: 'not answering' }, database: { status: 'ok' }, storage: { status: 'ok' }, identityProvider: { status: 'ok' } } });
  });

  it('leaves the scanner out when scanning is off', async () => {
    const config = loadConfig({ ...envVars(), VIRUS_SCAN: 'off' });
    const app = await env.buildApp({ config });
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(200);
    expect(res.json().dependencies.scanner).toBeUndefined();
  });
});

function envVars(): Record<string, string> {
  return {
    DATABASE_URL: env.databaseUrl,
    S3_ENDPOINT: env.config.s3!.endpoint,
    S3_ACCESS_KEY: env.config.s3!.accessKey,
    S3_SECRET_KEY: env.config.s3!.secretKey,
    S3_BUCKET: env.config.s3Bucket,
    DATA_DIR: env.dataDir,
    LOG_LEVEL: 'silent',
  };
}
