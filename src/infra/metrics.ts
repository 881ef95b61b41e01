/**
 * Prometheus metrics (prom-client): HTTP request durations by route pattern and status, and the
 * business series operators watch. Counters and histograms are fed through metrics-observer.ts;
 * the gauges read the database when scraped (outbox lag and dead letters, overdue deadlines,
 * coverage violations — the last cached, because the coverage report walks the audit log).
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { sql } from 'drizzle-orm';
import type { Db } from './database';
import { attachMetricsSink, detachMetricsSink, type MetricsSink } from './metrics-observer';
import { enterSpan, TRACER_NAME } from './tracing';
import { coverageReport } from '../modules/reports/coverage-report';

declare module 'fastify' {
  interface FastifyRequest {
    otelSpan?: Span;
  }
}

export interface MetricsOptions {
  db: Db;
  /** How long a coverage-violation count is reused between scrapes. */
  coverageCacheSeconds: number;
  /** Outbox rows that reached this many attempts are no longer retried (the dispatcher's limit). */
  outboxMaxAttempts?: number;
  log?: { warn(obj: object, msg: string): void };
}

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export function createMetrics(opts: MetricsOptions) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const maxAttempts = opts.outboxMaxAttempts ?? 10;

  const http = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route pattern, method and status code',
    labelNames: ['method', 'route', 'status_code'],
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const commands = new Counter({ name: 'appraisal_commands_total', help: 'Commands by action and outcome (accepted, replayed, refused, failed)', labelNames: ['action', 'outcome'], registers: [registry] });
  const commandSeconds = new Histogram({ name: 'appraisal_command_duration_seconds', help: 'Command transaction time including retries', labelNames: ['action'], buckets: DURATION_BUCKETS, registers: [registry] });
  const auditAppend = new Histogram({ name: 'appraisal_audit_append_duration_seconds', help: 'Time to append one audit event', buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25], registers: [registry] });
  const storageCalls = new Histogram({ name: 'appraisal_storage_call_duration_seconds', help: 'Object storage calls by operation and result', labelNames: ['operation', 'result'], buckets: DURATION_BUCKETS, registers: [registry] });
  const uploadBytes = new Counter({ name: 'appraisal_upload_bytes_total', help: 'Bytes of committed dossier files', registers: [registry] });
  const scans = new Counter({ name: 'appraisal_upload_scan_results_total', help: 'Committed uploads by virus-scan result (not_scanned without a scanner)', labelNames: ['result'], registers: [registry] });
  const jobRuns = new Counter({ name: 'appraisal_background_job_runs_total', help: 'Background job runs by job and result', labelNames: ['job', 'result'], registers: [registry] });

  new Gauge({
    name: 'appraisal_outbox_lag_seconds',
    help: 'Age of the oldest outbox row waiting for delivery (0 when none waits)',
    registers: [registry],
    async collect() {
      const [row] = (await opts.db.execute(sql`
        select coalesce(extract(epoch from now() - min(created_at)), 0)::float8 as lag
        from outbox where processed_at is null and attempts < ${maxAttempts}
      `)) as unknown as [{ lag: number }];
      this.set(Number(row.lag));
    },
  });
  new Gauge({
    name: 'appraisal_outbox_dead_letters',
    help: 'Outbox rows that failed every delivery attempt and are no longer retried',
    registers: [registry],
    async collect() {
      const [row] = (await opts.db.execute(sql`select count(*)::int as n from outbox where processed_at is null and attempts >= ${maxAttempts}`)) as unknown as [{ n: number }];
      this.set(row.n);
    },
  });
  new Gauge({
    name: 'appraisal_deadlines_overdue',
    help: 'Open procedure deadlines past their due instant, by step (absent until the deadlines table exists)',
    labelNames: ['step'],
    registers: [registry],
    async collect() {
      this.reset();
      // The deadlines table arrives with the clock work; until then this gauge has no series.
      const [t] = (await opts.db.execute(sql`select to_regclass('public.deadlines') is not null as present`)) as unknown as [{ present: boolean }];
      if (!t.present) return;
      try {
        const rows = (await opts.db.execute(sql`
          select step::text as step, count(*)::int as n from deadlines
          where status = 'overdue' or (status = 'running' and due_at < now())
          group by step
        `)) as unknown as Array<{ step: string; n: number }>;
        for (const r of rows) this.set({ step: r.step }, r.n);
      } catch (err) {
        opts.log?.warn({ err }, 'metrics: the deadlines table does not have the expected columns (step, status, due_at)');
      }
    },
  });
  let coverage: { at: number; value: number } | undefined;
  new Gauge({
    name: 'appraisal_coverage_violations',
    help: 'Violations in the coverage report over the whole log (must be 0); cached between scrapes',
    registers: [registry],
    async collect() {
      if (!coverage || Date.now() - coverage.at > opts.coverageCacheSeconds * 1000) {
        const report = await coverageReport(opts.db, new Date(0), new Date(Date.now() + 60_000));
        coverage = { at: Date.now(), value: report.violations.length };
      }
      this.set(coverage.value);
    },
  });

  const sink: MetricsSink = {
    command: (action, outcome, s) => {
      commands.inc({ action, outcome });
      commandSeconds.observe({ action }, s);
    },
    auditAppend: (s) => auditAppend.observe(s),
    storageCall: (operation, ok, s) => storageCalls.observe({ operation, result: ok ? 'ok' : 'error' }, s),
    upload: (bytes, scan) => {
      uploadBytes.inc(bytes);
      scans.inc({ result: scan });
    },
    jobRun: (job, ok) => jobRuns.inc({ job, result: ok ? 'ok' : 'failed' }),
  };
  attachMetricsSink(sink);

  return {
    registry,
    /** Request durations (by route pattern, not URL) and a server span per request, with the request id. */
    registerHttpHooks(app: FastifyInstance) {
      app.addHook('onRequest', (request, _reply, done) => {
        const span = trace.getTracer(TRACER_NAME).startSpan(`${request.method} ${request.routeOptions.url ?? 'unmatched'}`, {
          kind: SpanKind.SERVER,
          attributes: { 'http.request.method': request.method, 'http.route': request.routeOptions.url ?? 'unmatched', 'request.id': request.id, 'url.path': request.url.split('?')[0] },
        });
        request.otelSpan = span;
        enterSpan(span); // the handler's spans (command, audit, storage) become its children
        done();
      });
      app.addHook('onResponse', (request, reply, done) => {
        const route = request.routeOptions.url ?? 'unmatched';
        http.observe({ method: request.method, route, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
        const span = request.otelSpan;
        if (span) {
          span.setAttribute('http.response.status_code', reply.statusCode);
          if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
          span.end();
        }
        done();
      });
    },
    close() {
      detachMetricsSink(sink);
    },
  };
}
export type Metrics = ReturnType<typeof createMetrics>;

function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** GET /metrics on the API port, behind `Authorization: Bearer <METRICS_TOKEN>`. */
export function registerMetricsRoute(app: FastifyInstance, metrics: Metrics, token: string) {
  app.get(
    '/metrics',
    // Public to the JWT access control: the metrics token is its own credential, checked here.
    { config: { access: { public: true } }, schema: { hide: true } },
    async (request, reply) => {
      const header = request.headers.authorization ?? '';
      const given = /^Bearer (.+)$/i.exec(header)?.[1] ?? '';
      if (!given || !sameSecret(given, token)) {
        reply.header('www-authenticate', 'Bearer realm="metrics"');
        return reply.code(401).send({ statusCode: 401, code: 'METRICS_TOKEN_REQUIRED', message: 'Send Authorization: Bearer <METRICS_TOKEN> to read /metrics', requestId: request.id });
      }
      reply.header('content-type', metrics.registry.contentType);
      return metrics.registry.metrics();
    },
  );
}

/** A separate listener (METRICS_PORT) that serves only GET /metrics, for a private network. */
export async function listenMetrics(metrics: Metrics, host: string, port: number): Promise<FastifyInstance> {
  const server = Fastify({ logger: false });
  server.get('/metrics', async (_request, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  await server.listen({ host, port });
  return server;
}
