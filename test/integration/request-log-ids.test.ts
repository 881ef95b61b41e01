/**
 * The request id on every log line of a request's work: the JSON lines the process logger
 * (src/infra/logger.ts, what server.ts uses) writes while a real request runs — Fastify's own
 * request lines and the debug lines of the command runner, the audit append and the storage calls
 * made deep inside the services — all carry the request's `reqId` (the x-request-id header); the
 * lines of a background job run carry `job` and a `jobRunId` of their own, a new one per run.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createTestEnv, type TestEnv } from '../helpers/test-env';
import { multipart, samplePdf, sampleProject } from '../helpers/api';
import { createLogger } from '../../src/infra/logger';
import { setProcessLogger } from '../../src/infra/log-context';

let env: TestEnv;
let app: FastifyInstance;
const lines: Array<Record<string, unknown>> = [];
const raw: string[] = [];

beforeAll(async () => {
  env = await createTestEnv({ DEADLINE_SWEEP_SECONDS: '1' });
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      for (const l of chunk.toString('utf8').split('\n')) if (l.trim()) {
          raw.push(l);
          lines.push(JSON.parse(l));
        }
      cb();
    },
  });
  app = await env.buildApp({ logger: createLogger('debug', sink) });
  await app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  setProcessLogger(undefined);
  await app.close();
  await env.close();
});

describe('request id in every log line', () => {
  it('is on every line written during a command and an upload over a real socket', async () => {
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    const token = await env.token('alice', ['investor'], 'acme');
    const create = await fetch(`${base}/v1/projects`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'x-request-id': 'req-create-1' },
      body: JSON.stringify(sampleProject()),
    });
    expect(create.status).toBe(201);
    const id = ((await create.json()) as { id: string }).id;
    const body = multipart({ component: 'investment_registration_application' }, { name: 'a.pdf', content: samplePdf('a'), type: 'application/pdf' });
    const up = await fetch(`${base}/v1/projects/${id}/documents`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': body.contentType, 'x-request-id': 'req-upload-1' }, body: body.payload });
    expect(up.status).toBe(201);
    await new Promise((r) => setTimeout(r, 100)); // pino writes asynchronously

    for (const reqId of ['req-create-1', 'req-upload-1']) {
      const mine = lines.filter((l) => l.reqId === reqId);
      // Fastify's own lines, and the deep ones (command runner, audit append, storage calls).
      expect(mine.some((l) => l.msg === 'incoming request')).toBe(true);
      expect(mine.some((l) => l.msg === 'request completed')).toBe(true);
      expect(mine.filter((l) => typeof l.step === 'string').length).toBeGreaterThan(0);
    }
    expect(lines.some((l) => l.reqId === 'req-create-1' && l.step === 'audit append')).toBe(true);
    expect(lines.some((l) => l.reqId === 'req-create-1' && String(l.step).startsWith('command '))).toBe(true);
    expect(lines.some((l) => l.reqId === 'req-upload-1' && String(l.step).startsWith('storage '))).toBe(true);
    // No line of a step done inside these requests lacks the id, and none carries it twice.
    const stepLines = lines.filter((l) => typeof l.step === 'string');
    expect(stepLines.filter((l) => l.reqId === undefined && l.jobRunId === undefined)).toEqual([]);
    expect(raw.filter((l) => (l.match(/"reqId":/g)?.length ?? 0) > 1)).toEqual([]);
  });

  it('gives each background job run its own id on its lines', async () => {
    app.backgroundJobs.start();
    await new Promise((r) => setTimeout(r, 3_500)); // the deadline sweep runs every second here
    const runs = lines.filter((l) => l.job === 'deadline-sweeper' && l.step === 'job deadline-sweeper');
    expect(runs.length).toBeGreaterThanOrEqual(2);
    expect(runs.every((l) => typeof l.jobRunId === 'string' && l.reqId === undefined)).toBe(true);
    expect(new Set(runs.map((l) => l.jobRunId)).size).toBe(runs.length);
  });
});
