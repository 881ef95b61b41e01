import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createTestEnv, type TestEnv } from '../helpers/test-env';
import { buildApp } from '../../src/app';
import { createObjectStorage } from '../../src/infra/object-storage';
import { createDatabase } from '../../src/infra/database';

let env: TestEnv;
let app: FastifyInstance;

beforeAll(async () => {
  env = await createTestEnv();
  app = await env.buildApp();
});
afterAll(async () => env.close());

describe('health and meta routes', () => {
  it('GET /healthz answers 200', async () => {
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('GET /readyz checks Postgres and storage for real', async () => {
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'ready', checks: { database: 'ok', storage: 'ok' } });
  });

  it('GET /readyz answers 503 NOT_READY naming the failing dependency', async () => {
    const deadStorage = createObjectStorage({ ...env.config.s3!, endpoint: 'http://127.0.0.1:1' });
    const deadDb = createDatabase('postgres://nobody@127.0.0.1:1/none', { max: 1 });
    const broken = await buildApp({ config: env.config, database: deadDb, storage: deadStorage });
    try {
      const res = await broken.inject({ method: 'GET', url: '/readyz' });
      expect(res.statusCode).toBe(503);
      const body = res.json();
      expect(body).toMatchObject({ statusCode: 503, code: 'NOT_READY', checks: { database: 'failing', storage: 'failing' } });
      expect(body.requestId).toBe(res.headers['x-request-id']);
    } finally {
      await broken.close();
      await deadDb.close();
    }
  });

  it('echoes a well-formed client request id and replaces a hostile one', async () => {
    const ok = await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'trace-abc.123' } });
    expect(ok.headers['x-request-id']).toBe('trace-abc.123');
    const bad = await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'x'.repeat(300) } });
    expect(bad.headers['x-request-id']).not.toBe('x'.repeat(300));
  });

  it('unknown routes get the error envelope', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/nothing-here?x=1' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({
      statusCode: 404,
      code: 'ROUTE_NOT_FOUND',
      message: 'No route GET /v1/nothing-here',
      requestId: res.headers['x-request-id'],
    });
  });

  it('serves the generated OpenAPI document and Swagger UI', async () => {
    const res = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.paths['/healthz'].get.operationId).toBe('getHealth');
    expect(doc.paths['/readyz'].get.responses['503']).toBeDefined();
    expect(doc.components.schemas.ErrorResponse.required).toEqual(['statusCode', 'code', 'message', 'requestId']);
    const ui = await app.inject({ method: 'GET', url: '/docs/' });
    expect(ui.statusCode).toBe(200);
    expect(ui.body).toContain('swagger');
  });
});
