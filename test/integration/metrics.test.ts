/**
 * /metrics after a walk-through (create, declare, upload, submit, completeness, assign, opinion,
 * decision), scraped over a real listening socket: each series is there with the right counts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { sql } from 'drizzle-orm';
import { createTestEnv, type TestEnv } from '../helpers/test-env';
import { client, completeDossier, sampleDeclaration, sampleProject } from '../helpers/api';
import { listenMetrics } from '../../src/infra/metrics';
import { observe } from '../../src/infra/metrics-observer';

const TOKEN = 'metrics-token-for-the-test-0123456789';
let env: TestEnv;
let app: FastifyInstance;
let base: string;
const tokens: Record<string, string> = {};
const as = (name: string) => client(app, tokens[name]);

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
/** The Prometheus text format, enough of it for these series (no escaped quotes in our labels). */
function parse(text: string): Sample[] {
  return text
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(l);
      if (!m) throw new Error(`unparsable line: ${l}`);
      const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/([a-zA-Z_]+)="([^"]*)"/g)].map((x) => [x[1]!, x[2]!]));
      return { name: m[1]!, labels, value: Number(m[3]) };
    });
}
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const hits = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return hits.length === 0 ? undefined : hits.reduce((a, s) => a + s.value, 0);
}
async function scrape(): Promise<Sample[]> {
  const res = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return parse(await res.text());
}

let auditBefore = 0;
let uploadedBytes = 0;
let uploads = 0;

beforeAll(async () => {
  env = await createTestEnv({ METRICS_TOKEN: TOKEN, METRICS_COVERAGE_CACHE_SECONDS: '1', RATE_LIMIT_PER_MINUTE: '100000', RATE_LIMIT_UPLOADS_PER_MINUTE: '100000' });
  app = await env.buildApp();
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  const people: Array<[string, any[], string]> = [
    ['alice', ['investor'], 'acme'],
    ['carol', ['clerk'], 'one-stop-desk'],
    ['ann', ['appraiser'], 'dost'],
    ['paul', ['approver'], 'ppc'],
  ];
  for (const [name, roles, org] of people) {
    tokens[name] = await env.token(name, roles, org);
    await as(name).get('/v1/projects');
  }
  const [row] = (await env.database.db.execute(sql`select count(*)::int as n from audit_events`)) as unknown as [{ n: number }];
  auditBefore = row.n;

  // The walk-through.
  const id = (await as('alice').post('/v1/projects', sampleProject())).body.id as string;
  expect((await as('alice').put(`/v1/projects/${id}/technology`, sampleDeclaration())).status).toBe(200);
  uploads = (await completeDossier(app, tokens.alice!, id)).length;
  const docs = (await as('alice').get(`/v1/projects/${id}/documents`)).body.current as Array<{ id: string; sha256: string; size: number }>;
  uploadedBytes = docs.reduce((a, d) => a + d.size, 0);
  expect((await as('alice').post(`/v1/projects/${id}/submit`)).status).toBe(200);
  expect((await as('carol').post(`/v1/projects/${id}/completeness`, { result: 'complete' })).status).toBe(200);
  expect((await as('carol').post(`/v1/projects/${id}/assignments`, { appraisers: ['ann'] })).status).toBe(200);
  // Refused: submitting again is not allowed in under_appraisal.
  expect((await as('alice').post(`/v1/projects/${id}/submit`)).status).toBe(409);
  const rb = (await as('carol').get('/v1/rulebooks/current')).body;
  const criteria = rb.content.criteria.investment_policy.map((c: { id: string }) => c.id) as string[];
  const opinion = {
    criteria: criteria.map((c) => ({ criterion: c, verdict: 'meets', comment: 'checked' })),
    recommendation: 'approve',
    conditions: [],
    documentsReviewed: docs.map((d) => ({ documentId: d.id, sha256: d.sha256 })),
    conflictOfInterest: { declared: false },
  };
  expect((await as('ann').post(`/v1/projects/${id}/opinions`, opinion)).status).toBe(200);
  expect((await as('paul').post(`/v1/projects/${id}/decision`, { outcome: 'approved', reasons: [{ text: 'Meets every criterion', criterion: criteria[0] }] })).status).toBe(200);
});
afterAll(async () => env.close());

describe('/metrics', () => {
  it('is refused without the metrics token, in the error envelope', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong-token-wrong-token' }, { authorization: `Basic ${TOKEN}` }] as Array<Record<string, string>>) {
      const res = await fetch(`${base}/metrics`, { headers });
      expect(res.status).toBe(401);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ statusCode: 401, code: 'METRICS_TOKEN_REQUIRED' });
      expect(body.requestId).toBeTruthy();
    }
  });

  it('counts commands by action and outcome', async () => {
    const s = await scrape();
    const accepted = (action: string) => value(s, 'appraisal_commands_total', { action, outcome: 'accepted' });
    expect(accepted('create_project')).toBe(1);
    expect(accepted('declare_technology')).toBe(1);
    expect(accepted('upload_document')).toBe(uploads);
    expect(accepted('submit')).toBe(1);
    expect(accepted('completeness')).toBe(1);
    expect(accepted('assign')).toBe(1);
    expect(accepted('record_opinion')).toBe(1);
    expect(accepted('decide')).toBe(1);
    expect(value(s, 'appraisal_commands_total', { action: 'submit', outcome: 'refused' })).toBe(1);
    expect(value(s, 'appraisal_command_duration_seconds_count', { action: 'decide' })).toBe(1);
  });

  it('has request durations by route pattern and status, not by URL', async () => {
    const s = await scrape();
    expect(value(s, 'http_request_duration_seconds_count', { method: 'POST', route: '/v1/projects/:id/submit', status_code: '200' })).toBe(1);
    expect(value(s, 'http_request_duration_seconds_count', { method: 'POST', route: '/v1/projects/:id/submit', status_code: '409' })).toBe(1);
    expect(value(s, 'http_request_duration_seconds_count', { method: 'POST', route: '/v1/projects/:id/documents', status_code: '201' })).toBe(uploads);
    expect(value(s, 'http_request_duration_seconds_count', { method: 'POST', route: '/v1/projects', status_code: '201' })).toBe(1);
    expect(s.some((x) => x.name.startsWith('http_request_duration_seconds') && /[0-9a-f]{8}-/.test(x.labels.route ?? ''))).toBe(false);
  });

  it('times every audit append', async () => {
    const [row] = (await env.database.db.execute(sql`select count(*)::int as n from audit_events`)) as unknown as [{ n: number }];
    const s = await scrape();
    expect(row.n - auditBefore).toBeGreaterThan(10);
    expect(value(s, 'appraisal_audit_append_duration_seconds_count')).toBe(row.n - auditBefore);
  });

  it('counts upload bytes and scan results', async () => {
    const s = await scrape();
    expect(uploads).toBeGreaterThan(0);
    expect(value(s, 'appraisal_upload_bytes_total')).toBe(uploadedBytes);
    expect(value(s, 'appraisal_upload_scan_results_total', { result: 'not_scanned' })).toBe(uploads);
    expect(value(s, 'appraisal_storage_call_duration_seconds_count', { operation: 'putObject', result: 'ok' })).toBeGreaterThanOrEqual(uploads);
  });

  it('reads outbox lag and dead letters from the database at scrape time', async () => {
    let s = await scrape();
    expect(value(s, 'appraisal_outbox_dead_letters')).toBe(0);
    // The walk-through queued notifications; no dispatcher runs here, so they wait.
    expect(value(s, 'appraisal_outbox_lag_seconds')).toBeGreaterThan(0);
    await env.database.db.execute(sql`insert into outbox (topic, payload, attempts, last_error) values ('notification', '{}'::jsonb, 10, 'gave up')`);
    await env.database.db.execute(sql`update outbox set processed_at = now() where attempts < 10`);
    s = await scrape();
    expect(value(s, 'appraisal_outbox_dead_letters')).toBe(1);
    expect(value(s, 'appraisal_outbox_lag_seconds')).toBe(0);
  });

  it('reports coverage violations (0), and overdue deadlines when the deadlines table exists', async () => {
    const s = await scrape();
    expect(value(s, 'appraisal_coverage_violations')).toBe(0);
    const [t] = (await env.database.db.execute(sql`select to_regclass('public.deadlines') is not null as present`)) as unknown as [{ present: boolean }];
    if (!t.present) expect(value(s, 'appraisal_deadlines_overdue')).toBeUndefined();
    expect(s.find((x) => x.name === 'process_cpu_seconds_total')).toBeDefined();
  });

  it('counts background job runs and failures', async () => {
    await observe.jobRun('document-sweeper', async () => 1);
    await expect(observe.jobRun('document-sweeper', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    const s = await scrape();
    expect(value(s, 'appraisal_background_job_runs_total', { job: 'document-sweeper', result: 'ok' })).toBe(1);
    expect(value(s, 'appraisal_background_job_runs_total', { job: 'document-sweeper', result: 'failed' })).toBe(1);
  });

  it('can be served on a separate port instead (METRICS_PORT)', async () => {
    const server = await listenMetrics(app.metrics, '127.0.0.1', 0);
    try {
      const addr = server.server.address() as { port: number };
      const res = await fetch(`http://127.0.0.1:${addr.port}/metrics`);
      expect(res.status).toBe(200);
      expect(value(parse(await res.text()), 'appraisal_commands_total', { action: 'decide', outcome: 'accepted' })).toBe(1);
    } finally {
      await server.close();
    }
  });
});

/**
 * The README walk-through itself (scripts/walkthrough.ts, `npm run walkthrough`) against a service
 * started the way `npm start` does (embedded Postgres and S3, a fresh DATA_DIR, METRICS_PORT),
 * then one scrape: every series the issue names, with the counts the walk-through implies.
 */
describe('/metrics after the README walk-through against a started service', () => {
  it('has each series with the right counts', { timeout: 240_000 }, async () => {
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const fs = await import('node:fs/promises');
    const os = await import('node:os');
    const path = await import('node:path');
    const { freePort } = await import('../helpers/ports');
    const { ROOT, startService, waitReady } = await import('../helpers/service-process');
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'metrics-walkthrough-'));
    await fs.chmod(dataDir, 0o755);
    const port = await freePort();
    const metricsPort = await freePort();
    const service = startService({ DATA_DIR: dataDir, PORT: String(port), EMBEDDED_PG_PORT: String(await freePort()), METRICS_PORT: String(metricsPort), DEADLINE_SWEEP_SECONDS: '1', VIRUS_SCAN: 'off' });
    try {
      await Promise.race([waitReady(port), service.exited.then((code) => Promise.reject(new Error(`service exited (${code}):\n${service.output()}`)))]);
      const { stdout } = await promisify(execFile)('npm', ['run', '--silent', 'walkthrough'], { cwd: ROOT, env: { ...process.env, DATA_DIR: dataDir, API: `http://127.0.0.1:${port}` }, timeout: 200_000 });
      const uploadLines = [...stdout.matchAll(/^2\. uploaded \w+: version \d+, (\d+) bytes/gm)];
      const again = /alice uploaded version \d+ and resubmitted/.test(stdout) ? 1 : 0;
      const events = Number(/audit log verified \(full\): true \((\d+) events\)/.exec(stdout)?.[1]);
      expect(uploadLines.length).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 2_500)); // the outbox delivers, the deadline sweep runs at least once
      const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      expect(res.status).toBe(200);
      const s = parse(await res.text());
      const accepted = (action: string) => value(s, 'appraisal_commands_total', { action, outcome: 'accepted' });
      const uploads = uploadLines.length + again;
      expect({
        create_project: accepted('create_project'),
        declare_technology: accepted('declare_technology'),
        upload_document: accepted('upload_document'),
        submit: accepted('submit'),
        completeness: accepted('completeness'),
        resubmit: accepted('resubmit'),
        assign: accepted('assign'),
        record_opinion: accepted('record_opinion'),
        decide: accepted('decide'),
      }).toEqual({ create_project: 1, declare_technology: 1, upload_document: uploads, submit: 1, completeness: 2, resubmit: 1, assign: 1, record_opinion: 1, decide: 1 });
      expect(value(s, 'appraisal_commands_total', { outcome: 'refused' }) ?? 0).toBe(0);
      expect(value(s, 'http_request_duration_seconds_count', { method: 'POST', route: '/v1/projects/:id/documents', status_code: '201' })).toBe(uploads);
      expect(value(s, 'http_request_duration_seconds_count', { method: 'POST', route: '/v1/projects/:id/decision', status_code: '200' })).toBe(1);
      expect(value(s, 'appraisal_audit_append_duration_seconds_count')).toBe(events);
      // The resubmitted component's bytes are not printed by the script: at least the listed ones, at most twice the largest more.
      const listed = uploadLines.reduce((a, m) => a + Number(m[1]), 0);
      expect(value(s, 'appraisal_upload_bytes_total')).toBeGreaterThan(listed);
      expect(value(s, 'appraisal_upload_scan_results_total', { result: 'not_scanned' })).toBe(uploads);
      expect(value(s, 'appraisal_storage_call_duration_seconds_count', { operation: 'putObject', result: 'ok' })).toBeGreaterThanOrEqual(uploads);
      expect(value(s, 'appraisal_outbox_dead_letters')).toBe(0);
      expect(value(s, 'appraisal_outbox_lag_seconds')).toBe(0); // delivered by the running service's dispatcher
      expect(value(s, 'appraisal_coverage_violations')).toBe(0);
      // Approved: no step is overdue (the gauge reads the deadlines table; no sample means none).
      expect(value(s, 'appraisal_deadlines_overdue') ?? 0).toBe(0);
      expect(value(s, 'appraisal_background_job_runs_total', { job: 'deadline-sweeper', result: 'ok' })).toBeGreaterThanOrEqual(1);
      expect(value(s, 'appraisal_background_job_runs_total', { result: 'failed' }) ?? 0).toBe(0);
    } finally {
      service.child.kill('SIGTERM');
      await service.exited;
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });
});
