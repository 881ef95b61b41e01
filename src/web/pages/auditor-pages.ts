import type { FastifyInstance, FastifyReply } from 'fastify';
import { AppError } from '../../errors';
import type { Db } from '../../infra/database';
import type { Principal } from '../../auth/token-verifier';
import type { ProjectService, ProjectView } from '../../modules/projects/project-service';
import type { AuditEventRecord } from '../../modules/audit/audit-hash';
import type { AuditEventFilter } from '../../modules/audit/audit-query';
import { AuditBusyError, type AuditVerification } from '../../modules/audit/audit-verification';
import type { CheckpointService } from '../../modules/audit/checkpoint-service';
import { Readable } from 'node:stream';
import { projectAsOf } from '../../modules/reports/as-of';
import { coverageReport } from '../../modules/reports/coverage-report';
import { onTimeReport } from '../../modules/deadlines/on-time-report';
import { reportPeriod } from '../../modules/reports/report-period';
import { coverageCsv, coverageNdjson, onTimeCsv, onTimeNdjson, REPORT_EXPORT_TYPES } from '../../modules/reports/report-export';
import { formatDate, formatDateTime, type Translate } from '../i18n/translator';
import type { MessageKey } from '../i18n/catalogue-vi';
import type { WebTools } from '../web-plugin';
import type { FieldError } from '../views/layout.view';
import type { ProjectHeaderModel } from '../views/project.view';
import { auditSearchView, reportsView, timelineView, verifyView, type AsOfModel, type EventRowModel } from '../views/auditor.view';
import { UUID_RE, sessionPrincipal, pathUuid } from './page-input';

/**
 * The auditor's screens, all read-only (every route `write: false`, GET only): audit-log search
 * with CSV/NDJSON downloads, a project's timeline and its as-of view, "verify now", and the
 * coverage and on-time reports with their downloads. They call the same modules as the API's
 * auditor routes (audit-verification.ts, as-of.ts, coverage-report.ts, on-time-report.ts).
 */
export interface AuditorPagesDeps {
  db: Db;
  projects: ProjectService;
  verification: AuditVerification;
  /** Signed checkpoints and their key, for offline verification. */
  checkpoints: CheckpointService;
  /** The project's audit events, for a caller who may see it. */
  history: (principal: Principal, projectId: string) => Promise<AuditEventRecord[]>;
  clock: () => Date;
}

const hide = { hide: true };
const auditorRead = { access: { session: ['auditor' as const], write: false } };
const STATE_TONE: Record<string, string> = { draft: 'tag--grey', awaiting_supplement: 'tag--yellow', approved: 'tag--green', rejected: 'tag--red', withdrawn: 'tag--grey' };
const VIETNAM_OFFSET_MS = 7 * 3600_000;
const PAGE_SIZE = 50;

/**
 * An instant typed by a person: a full ISO-8601 date-time with its zone, or a date and time
 * without one (what a datetime-local input sends), read as Vietnam time. Empty → null.
 */
export function parseVietnamInstant(value: string): Date | null | 'invalid' {
  const s = value.trim();
  if (!s) return null;
  const zoned = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(s);
  const local = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/.test(s);
  if (!zoned && !local) return 'invalid';
  const d = new Date(zoned ? s : `${s.replace(' ', 'T')}+07:00`);
  return Number.isNaN(d.getTime()) ? 'invalid' : d;
}

/** A date (YYYY-MM-DD, Vietnam) → its first instant. */
function parseVietnamDate(value: string): Date | null | 'invalid' {
  const s = value.trim();
  if (!s) return null;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return 'invalid';
  const d = new Date(`${s}T00:00:00+07:00`);
  // 2026-02-30 and the like do not round-trip.
  return Number.isNaN(d.getTime()) || vietnamDateValue(d) !== s ? 'invalid' : d;
}

/** What a datetime-local input shows for an instant (Vietnam time, to the second). */
export function vietnamLocalValue(at: Date): string {
  return new Date(at.getTime() + VIETNAM_OFFSET_MS).toISOString().slice(0, 19);
}
const vietnamDateValue = (at: Date) => new Date(at.getTime() + VIETNAM_OFFSET_MS).toISOString().slice(0, 10);

function headerOf(t: Translate, p: ProjectView): ProjectHeaderModel {
  return { code: p.code, name: p.name, state: t(`state.${p.state}` as MessageKey), stateTag: STATE_TONE[p.state] ?? '', href: `/projects/${p.id}` };
}

const query = (params: Record<string, string | undefined>) => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
};

export function registerAuditorPages(app: FastifyInstance, tools: WebTools, deps: AuditorPagesDeps) {
  const { db, projects, verification, clock } = deps;

  const eventRow = (t: Translate, locale: 'vi' | 'en', e: AuditEventRecord, codes: Map<string, string>, asOf: boolean): EventRowModel => ({
    seq: e.seq,
    at: formatDateTime(locale, new Date(e.occurredAt)),
    iso: e.occurredAt,
    actor: `${e.actor.sub}${e.actor.roles.length ? ` (${e.actor.roles.map((r) => t(`role.${r}` as MessageKey)).join(', ')})` : ''}`,
    action: e.action,
    transition: e.fromState || e.toState ? `${e.fromState ? t(`state.${e.fromState}` as MessageKey) : '—'} → ${e.toState ? t(`state.${e.toState}` as MessageKey) : '—'}` : '',
    chain: e.projectId ? { href: `/audit/projects/${e.projectId}`, text: codes.get(e.projectId) ?? e.projectId.slice(0, 8) } : null,
    chainSeq: e.chainSeq,
    hash: e.rowHash.slice(0, 12),
    asOfHref: asOf && e.projectId ? `/audit/projects/${e.projectId}?at=${encodeURIComponent(e.occurredAt)}#as-of` : null,
  });

  // ---- search -------------------------------------------------------------------------------
  app.get<{ Querystring: Record<string, string | undefined> }>('/audit', { config: auditorRead, schema: hide }, async (request, reply) => {
    const ctx = tools.page(request, reply);
    const { t, locale } = ctx;
    const q = request.query;
    const s = (k: string) => (typeof q[k] === 'string' ? q[k]!.trim().slice(0, 256) : '');
    const values = { project: s('project'), actor: s('actor'), action: s('action'), from: s('from'), to: s('to') };
    const searched = Object.values(values).some(Boolean) || q.after !== undefined || q.all === '1';
    const errors: FieldError[] = [];
    const choices: Array<{ href: string; text: string }> = [];
    const filter: AuditEventFilter = {};
    const p = sessionPrincipal(request);
    if (values.actor) filter.actor = values.actor;
    if (values.action) filter.action = values.action;
    for (const k of ['from', 'to'] as const) {
      const at = parseVietnamInstant(values[k]);
      if (at === 'invalid') errors.push({ field: k, message: t('audit.badTime') });
      else if (at) filter[k] = at.toISOString();
    }
    if (filter.from && filter.to && filter.from >= filter.to) errors.push({ field: 'to', message: t('audit.badWindow') });
    const codes = new Map<string, string>();
    if (values.project) {
      // A project by its id, its tracking code or words of its name (case and accents ignored: the API's project search).
      if (UUID_RE.test(values.project)) filter.projectId = values.project.toLowerCase();
      else {
        const found = await projects.list(p, { q: values.project, limit: 10 });
        const exact = found.items.find((x) => x.code.toLowerCase() === values.project.toLowerCase());
        const one = exact ?? (found.items.length === 1 ? found.items[0] : undefined);
        if (one) {
          filter.projectId = one.id;
          codes.set(one.id, one.code);
        } else if (found.items.length === 0) errors.push({ field: 'project', message: t('audit.projectNotFound', { q: values.project }) });
        else {
          errors.push({ field: 'project', message: t('audit.projectAmbiguous', { count: found.items.length, q: values.project }) });
          for (const x of found.items) choices.push({ href: `/audit${query({ ...values, project: x.code })}`, text: `${x.code} · ${x.name}` });
        }
      }
    }
    if (q.after !== undefined) {
      if (/^\d{1,15}$/.test(q.after)) filter.after = Number(q.after);
      else errors.push({ field: 'project', message: t('field.invalid', { message: 'after' }) });
    }
    if (errors.length || !searched) {
      return ctx.render(t('audit.title'), auditSearchView({ t, values, errors, searched: false, choices, rows: [], nextHref: null, exports: null }), { status: errors.length ? 400 : 200, hasErrors: errors.length > 0 });
    }
    const page = await verification.search(filter, PAGE_SIZE);
    // Tracking codes for the chains on this page (each through the project service: visibility as in the API).
    const ids = [...new Set(page.items.map((e) => e.projectId).filter((x): x is string => !!x && !codes.has(x)))];
    await Promise.all(ids.map(async (id) => codes.set(id, (await projects.get(p, id).catch(() => null))?.code ?? id.slice(0, 8))));
    const exportQuery = (format: string) => `/audit/export${query({ format, projectId: filter.projectId, actor: filter.actor, action: filter.action, from: filter.from, to: filter.to })}`;
    return ctx.render(
      t('audit.title'),
      auditSearchView({
        t,
        values,
        errors,
        searched: true,
        choices,
        rows: page.items.map((e) => eventRow(t, locale, e, codes, false)),
        nextHref: page.nextCursor === null ? null : `/audit${query({ ...values, after: String(page.nextCursor), all: '1' })}#results`,
        exports: { csv: exportQuery('csv'), ndjson: exportQuery('ndjson') },
      }),
    );
  });

  // The API's export (GET /v1/audit/events?format=…) for the signed-in auditor: the same stream, the same cap.
  app.get<{ Querystring: Record<string, string | undefined> }>('/audit/export', { config: auditorRead, schema: hide }, async (request, reply) => {
    const q = request.query;
    const format = q.format === 'csv' || q.format === 'ndjson' ? q.format : null;
    const bad = (what: string) => new AppError(400, 'VALIDATION_FAILED', `Invalid ${what}`);
    if (!format) throw bad('format (csv or ndjson)');
    const filter: AuditEventFilter = {};
    if (q.projectId) {
      if (!UUID_RE.test(q.projectId)) throw bad('projectId');
      filter.projectId = q.projectId;
    }
    if (q.actor) filter.actor = q.actor.slice(0, 256);
    if (q.action) filter.action = q.action.slice(0, 128);
    for (const k of ['from', 'to'] as const) {
      if (!q[k]) continue;
      const at = parseVietnamInstant(q[k]!);
      if (at === 'invalid' || at === null) throw bad(k);
      filter[k] = at.toISOString();
    }
    let opened;
    try {
      opened = verification.openExport(filter, format);
    } catch (err) {
      if (err instanceof AuditBusyError) reply.header('retry-after', '5');
      throw err;
    }
    opened.stream.once('error', (err) => request.log.error({ err }, 'audit export failed mid-stream'));
    return reply.type(opened.contentType).header('content-disposition', `attachment; filename="${opened.fileName}"`).header('cache-control', 'no-store').send(opened.stream);
  });

  // ---- a project's timeline and as-of -----------------------------------------------------
  app.get<{ Querystring: { at?: string } }>('/audit/projects/:id', { config: auditorRead, schema: hide }, async (request, reply) => {
    const ctx = tools.page(request, reply);
    const { t, locale } = ctx;
    const p = sessionPrincipal(request);
    const id = pathUuid(request);
    const [project, events] = await Promise.all([projects.get(p, id), deps.history(p, id)]);
    const codes = new Map([[project.id, project.code]]);
    const rawAt = typeof request.query.at === 'string' ? request.query.at.slice(0, 64) : '';
    const at = parseVietnamInstant(rawAt);
    const errors: FieldError[] = at === 'invalid' ? [{ field: 'at', message: t('audit.badTime') }] : [];
    let asOf: AsOfModel | null = null;
    if (at instanceof Date) {
      const r = await projectAsOf(db, id, at);
      const stateText = (s: string | null) => (s ? t(`state.${s}` as MessageKey) : t('audit.none.value'));
      asOf = {
        at: formatDateTime(locale, at),
        existed: r.existed,
        consistent: r.consistent,
        problems: r.problems.map((x) => `#${x.seq} ${x.action}: ${x.detail}`),
        rows: r.existed
          ? [
              { key: t('audit.asOfState'), value: stateText(r.state), differs: r.state !== project.state },
              { key: t('audit.asOfNow'), value: stateText(project.state), differs: null },
              { key: t('audit.asOfRound'), value: String(r.round ?? '—'), differs: r.round !== project.round },
              { key: t('audit.asOfRevision'), value: String(r.revision ?? '—'), differs: r.revision !== project.revision },
              { key: t('audit.asOfLastEvent'), value: r.lastEvent ? `#${r.lastEvent.seq} ${r.lastEvent.action} — ${r.lastEvent.actor}, ${formatDateTime(locale, new Date(r.lastEvent.occurredAt))}` : '—', differs: null },
              { key: t('audit.asOfDeclaration'), value: r.declarationVersion === null ? t('audit.none.value') : String(r.declarationVersion), differs: null },
              {
                key: t('audit.asOfScreening'),
                value: r.screening ? t('audit.asOfScreeningValue', { version: r.screening.rulebookVersion, prohibited: r.screening.prohibited, outdated: r.screening.outdated }) : t('audit.none.value'),
                differs: null,
              },
            ]
          : [],
        documents: r.documents.map((d) => ({ component: d.component, name: d.originalName, version: d.version, sha256: d.sha256.slice(0, 16) })),
      };
    }
    return ctx.render(
      t('audit.timelineOf', { code: project.code }),
      timelineView({
        t,
        project: headerOf(t, project),
        rows: events.map((e) => eventRow(t, locale, e, codes, true)),
        asOfValue: at instanceof Date ? vietnamLocalValue(at) : rawAt,
        errors,
        asOf,
      }),
      { status: errors.length ? 400 : 200, hasErrors: errors.length > 0 },
    );
  });

  // ---- verify now (a GET: it writes nothing) ----------------------------------------------
  app.get<{ Querystring: { run?: string; full?: string } }>('/audit/verify', { config: auditorRead, schema: hide }, async (request, reply) => {
    const ctx = tools.page(request, reply);
    const { t, locale } = ctx;
    const full = request.query.full === 'yes';
    const offline = {
      events: '/audit/export?format=ndjson',
      checkpoints: '/audit/verify/checkpoints',
      publicKey: '/audit/verify/public-key',
      command: 'npm run verify-export -- events.ndjson checkpoints.json --public-key checkpoint.pub.pem',
    };
    if (request.query.run !== '1') return ctx.render(t('verify.title'), verifyView({ t, full, errors: [], result: null, offline }));
    let report;
    try {
      report = await verification.verify({ full });
    } catch (err) {
      if (err instanceof AuditBusyError) {
        reply.header('retry-after', '5');
        return ctx.render(t('verify.title'), verifyView({ t, full, errors: [{ field: 'verify-now', message: `${t('verify.busy')} (${err.code})` }], result: null, offline }), { status: 429, hasErrors: true });
      }
      throw err;
    }
    const latest = report.checkpoints.latest;
    return ctx.render(
      t('verify.title'),
      verifyView({
        t,
        full,
        errors: [],
        result: {
          ok: report.ok,
          problemCount: report.problemCount,
          rows: [
            { key: t('verify.mode'), value: t(`verify.mode.${report.mode}`) },
            ...(report.since ? [{ key: t('verify.since'), value: t('verify.sinceValue', { id: report.since.checkpointId, seq: report.since.seqHighWater }) }] : []),
            { key: t('verify.checked'), value: String(report.checked) },
            { key: t('verify.checkpoints'), value: t('verify.checkpointsValue', { ok: report.checkpoints.ok, checked: report.checkpoints.checked }) },
            ...(latest ? [{ key: t('verify.latest'), value: t('verify.latestValue', { id: latest.id, at: formatDateTime(locale, new Date(latest.createdAt)), chains: latest.chainCount }) }] : []),
            { key: t('verify.head'), value: t('verify.headValue', { seq: report.head.seq ?? '—', chains: report.head.chains }) },
            { key: t('verify.duration'), value: t('verify.durationValue', { ms: report.durationMs }) },
          ],
          firstBad: report.firstBadSeq === null ? null : t('verify.firstBad', { seq: report.firstBadSeq }),
          problems: report.problems.map((x) => ({ source: x.source, kind: x.kind, detail: x.detail })),
        },
        offline,
      }),
    );
  });

  // The files `npm run verify-export` reads, for the signed-in auditor (the API's need a bearer token).
  app.get('/audit/verify/checkpoints', { config: auditorRead, schema: hide }, async (request, reply) => {
    await deps.checkpoints.publicKey(); // fail here (a clean error page) rather than mid-stream
    const stream = Readable.from(deps.checkpoints.exportJson(), { objectMode: false });
    stream.once('error', (err) => request.log.error({ err }, 'checkpoint listing failed mid-stream'));
    return reply.type('application/json; charset=utf-8').header('content-disposition', 'attachment; filename="checkpoints.json"').header('cache-control', 'no-store').send(stream);
  });
  app.get('/audit/verify/public-key', { config: auditorRead, schema: hide }, async (_request, reply) => {
    const { pem, keyId } = await deps.checkpoints.publicKey();
    return reply.type('application/x-pem-file').header('content-disposition', 'attachment; filename="checkpoint.pub.pem"').header('x-key-id', keyId).send(pem);
  });

  // ---- reports ------------------------------------------------------------------------------
  /** The period from the form's dates (Vietnam days, `to` inclusive), or the reports' default. */
  const periodOf = (t: Translate, q: { from?: string; to?: string }) => {
    const values = { from: typeof q.from === 'string' ? q.from.trim().slice(0, 32) : '', to: typeof q.to === 'string' ? q.to.trim().slice(0, 32) : '' };
    const errors: FieldError[] = [];
    const from = parseVietnamDate(values.from);
    const to = parseVietnamDate(values.to);
    if (from === 'invalid') errors.push({ field: 'from', message: t('reports.badDate') });
    if (to === 'invalid') errors.push({ field: 'to', message: t('reports.badDate') });
    const period = reportPeriod(
      { ...(from instanceof Date ? { from: from.toISOString() } : {}), ...(to instanceof Date ? { to: new Date(to.getTime() + 86400_000).toISOString() } : {}) },
      clock(),
    );
    if (!errors.length && period.from >= period.to) errors.push({ field: 'to', message: t('reports.badPeriod') });
    return { values, errors, period };
  };

  app.get<{ Querystring: { from?: string; to?: string } }>('/audit/reports', { config: auditorRead, schema: hide }, async (request, reply) => {
    const ctx = tools.page(request, reply);
    const { t, locale } = ctx;
    const { values, errors, period } = periodOf(t, request.query);
    if (errors.length) {
      return ctx.render(t('reports.title'), reportsView({ t, values, errors, period: null, coverage: null, onTime: null, downloads: [] }), { status: 400, hasErrors: true });
    }
    const now = clock();
    const [coverage, onTime] = await Promise.all([coverageReport(db, period.from, period.to), onTimeReport(db, period.from, period.to, now)]);
    const pct = (n: number | null) => (n === null ? t('reports.noRate') : `${new Intl.NumberFormat(locale === 'vi' ? 'vi-VN' : 'en-GB', { maximumFractionDigits: 1 }).format(n * 100)} %`);
    const counts = (c: (typeof onTime)['overall']) => [c.total, c.onTime, c.late, c.running, c.overdue, c.paused, c.withdrawn].map(String).concat(pct(c.onTimeRate));
    const shown = { from: values.from || vietnamDateValue(period.from), to: values.to || vietnamDateValue(new Date(period.to.getTime() - 1)) };
    const dl = (report: string, format: string) => `/audit/reports/export${query({ report, format, from: shown.from, to: shown.to })}`;
    return ctx.render(
      t('reports.title'),
      reportsView({
        t,
        values: shown,
        errors,
        period: t('reports.period', { from: formatDate(locale, period.from), to: formatDate(locale, new Date(period.to.getTime() - 1)) }),
        coverage: {
          rows: [
            { key: t('reports.submitted'), value: String(coverage.submitted) },
            { key: t('reports.decided'), value: String(coverage.decided) },
            { key: t('reports.approved'), value: String(coverage.approved) },
            { key: t('reports.rejected'), value: String(coverage.rejected) },
            { key: t('reports.appraised'), value: String(coverage.appraised) },
            { key: t('reports.coveragePercent'), value: `${coverage.coveragePercent} %` },
          ],
          violations: coverage.violations.map((v) => {
            const { kind, code, project_id: pid, ...rest } = v as Record<string, unknown>;
            return { kind: String(kind), project: String(code ?? pid ?? ''), detail: JSON.stringify(rest) };
          }),
          generated: t('reports.generated', { ms: coverage.generatedInMs }),
        },
        onTime: { rows: onTime.steps.map((s) => ({ step: s.step, cells: counts(s) })), overall: counts(onTime.overall) },
        downloads: [
          { href: dl('coverage', 'csv'), text: t('reports.downloadCoverageCsv') },
          { href: dl('coverage', 'ndjson'), text: t('reports.downloadCoverageNdjson') },
          { href: dl('on-time', 'csv'), text: t('reports.downloadOnTimeCsv') },
          { href: dl('on-time', 'ndjson'), text: t('reports.downloadOnTimeNdjson') },
        ],
      }),
    );
  });

  app.get<{ Querystring: { report?: string; format?: string; from?: string; to?: string } }>('/audit/reports/export', { config: auditorRead, schema: hide }, async (request, reply: FastifyReply) => {
    const q = request.query;
    const format = q.format === 'csv' || q.format === 'ndjson' ? q.format : null;
    const report = q.report === 'coverage' || q.report === 'on-time' ? q.report : null;
    if (!format || !report) throw new AppError(400, 'VALIDATION_FAILED', 'report must be coverage or on-time, and format csv or ndjson');
    const { errors, period } = periodOf(tools.page(request, reply).t, q);
    if (errors.length) throw new AppError(400, 'INVALID_PERIOD', errors.map((e) => e.message).join('; '));
    const now = clock();
    const body =
      report === 'coverage'
        ? (format === 'csv' ? coverageCsv : coverageNdjson)(await coverageReport(db, period.from, period.to))
        : (format === 'csv' ? onTimeCsv : onTimeNdjson)(await onTimeReport(db, period.from, period.to, now));
    const name = `${report}-${vietnamDateValue(period.from)}-${vietnamDateValue(new Date(period.to.getTime() - 1))}.${format}`;
    return reply.type(REPORT_EXPORT_TYPES[format]).header('content-disposition', `attachment; filename="${name}"`).header('cache-control', 'no-store').send(body);
  });
}
