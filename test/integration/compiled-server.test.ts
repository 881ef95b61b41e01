/**
 * `npm run build && node dist/src/server.js`: the compiled service (no tsx) serves the API
 * against this run's Postgres and S3, exports OpenTelemetry spans carrying the request id to an
 * OTLP/HTTP receiver started here, and serves /metrics on its separate METRICS_PORT.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../helpers/test-env';
import { freePort } from '../helpers/ports';
import { sampleProject } from '../helpers/api';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');

interface OtlpSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes: Array<{ key: string; value: { stringValue?: string; intValue?: string | number } }>;
}

let env: TestEnv;
let child: ChildProcess;
let output = '';
let port: number;
let metricsPort: number;
let receiver: http.Server;
const spans: OtlpSpan[] = [];
const contentTypes = new Set<string>();

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what} did not happen in time; server output:\n${output}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  env = await createTestEnv();
  // An OTLP/HTTP receiver: collects the JSON trace exports.
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      contentTypes.add(String(req.headers['content-type']));
      if (req.url === '/v1/traces') {
        const doc = JSON.parse(body) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }> };
        for (const rs of doc.resourceSpans) for (const ss of rs.scopeSpans) spans.push(...ss.spans);
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  const otlpPort = (receiver.address() as { port: number }).port;

  await run('npm', ['run', 'build'], { cwd: ROOT, timeout: 120_000 });
  port = await freePort();
  metricsPort = await freePort();
  child = spawn(process.execPath, ['dist/src/server.js'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: String(port),
      DATA_DIR: env.dataDir,
      LOG_LEVEL: 'info',
      DATABASE_URL: env.databaseUrl,
      S3_ENDPOINT: env.config.s3!.endpoint,
      S3_ACCESS_KEY: env.config.s3!.accessKey,
      S3_SECRET_KEY: env.config.s3!.secretKey,
      S3_BUCKET: env.config.s3Bucket,
      METRICS_PORT: String(metricsPort),
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${otlpPort}`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
}, 180_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  receiver?.close();
  await env?.close();
});

describe('the compiled server (dist/)', () => {
  it('is JavaScript run by plain node: no tsx in the process', async () => {
    await waitFor('readiness', async () => ((await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200 ? true : undefined));
    expect(child.spawnargs.join(' ')).not.toContain('tsx');
    const ready = await (await fetch(`http://127.0.0.1:${port}/readyz`)).json();
    expect(ready).toMatchObject({ status: 'ready' });
  }, 120_000);

  it('creates a project through the API', async () => {
    const token = await env.token('alice', ['investor'], 'acme');
    const res = await fetch(`http://127.0.0.1:${port}/v1/projects`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'x-request-id': 'build-test-create-1' },
      body: JSON.stringify(sampleProject()),
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { id: string; state: string; code: string };
    expect(body.state).toBe('draft');
    expect(body.code).toMatch(/^QN-\d{4}-\d{6}$/);
    // The request id is in the request's log lines.
    await waitFor('the log line', async () => (output.includes('"reqId":"build-test-create-1"') ? true : undefined));
  });

  it('exports spans to the OTLP endpoint: the request (with its request id), the command transaction and the audit append as its children', async () => {
    const request = await waitFor('the request span', async () =>
      spans.find((s) => s.name === 'POST /v1/projects' && s.attributes.some((a) => a.key === 'request.id' && a.value.stringValue === 'build-test-create-1')),
    );
    const command = await waitFor('the command span', async () => spans.find((s) => s.name === 'command create_project' && s.traceId === request.traceId));
    expect(command.parentSpanId).toBe(request.spanId);
    const audit = spans.find((s) => s.name === 'audit append' && s.traceId === request.traceId);
    expect(audit?.parentSpanId).toBe(command.spanId);
    expect([...contentTypes]).toContain('application/json');
    // Storage calls are spans too (the readiness probe's bucketExists).
    expect(spans.some((s) => s.name === 'storage bucketExists')).toBe(true);
  });

  it('serves /metrics on METRICS_PORT, and not on the API port', async () => {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(text).toMatch(/appraisal_commands_total\{action="create_project",outcome="accepted"\} 1/);
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(404);
  });
});
