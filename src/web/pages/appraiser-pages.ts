import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import contentDisposition from 'content-disposition';
import { AppError, PreconditionFailedError } from '../../errors';
import type { AppraisalService, OpinionInput } from '../../modules/appraisal/appraisal-service';
import type { AppraiserWorkspace } from '../../modules/appraisal/appraiser-workspace';
import type { DocumentService } from '../../modules/documents/document-service';
import type { ProjectService } from '../../modules/projects/project-service';
import { formatBytes, formatDate, formatDateTime, type Locale, type MessageKey } from '../i18n/translator';
import type { PageContext } from '../page-context';
import type { WebTools } from '../web-plugin';
import type { FieldError } from '../views/layout.view';
import { inboxView, recordedOpinionView, reviewView, type InboxRowModel } from '../views/appraiser.view';
import { deadlineCells, timeLeftText } from './sla-board-pages';
import { sessionPrincipal, pathUuid, formCommandMeta } from './page-input';

/**
 * The appraiser's screens: "waiting on me" (/inbox), the review workspace beside the opinion
 * form bound to the exact document versions shown (/projects/:id/review, the same command as
 * POST /v1/projects/:id/opinions), the recorded opinion (PRG target), and an inline view of a
 * PDF in the browser's own viewer (no viewer script on any page).
 */
export interface AppraiserPagesDeps {
  appraisal: AppraisalService;
  workspace: AppraiserWorkspace;
  documents: DocumentService;
  projects: ProjectService;
}

const BINDING_RE = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}):([0-9a-f]{64})$/;
const VERDICTS = ['meets', 'does_not_meet', 'not_applicable'] as const;
const RECOMMENDATIONS = ['approve', 'approve_with_conditions', 'reject'] as const;
const appraiserRead = { access: { session: ['appraiser' as const], write: false } };
const appraiserWrite = { access: { session: ['appraiser' as const], write: true } };
const hide = { hide: true };

interface OpinionValues {
  verdicts: Record<string, string>;
  comments: Record<string, string>;
  read: string[];
  notRead: Record<string, string>;
  recommendation: string;
  conditions: string;
  reason: string;
}
const EMPTY: OpinionValues = { verdicts: {}, comments: {}, read: [], notRead: {}, recommendation: '', conditions: '', reason: '' };

const text = (v: unknown, max: number) => (typeof v === 'string' ? v.trim().slice(0, max) : '');

export function registerAppraiserPages(app: FastifyInstance, tools: WebTools, deps: AppraiserPagesDeps) {
  const { appraisal, workspace, documents } = deps;
  const componentTitle = (locale: Locale, components: Record<string, { title: string; titleVi: string | null }>, id: string) =>
    (locale === 'vi' ? (components[id]?.titleVi ?? components[id]?.title) : components[id]?.title) ?? id;
  const criterionTitle = (locale: Locale, c: { title: string; titleVi: string | null }) => (locale === 'vi' ? (c.titleVi ?? c.title) : c.title);

  app.get('/inbox', { config: appraiserRead, schema: hide }, async (request, reply) => {
    const ctx = tools.page(request, reply);
    const rows = await workspace.inbox(sessionPrincipal(request));
    const model: InboxRowModel[] = rows.map((r) => {
      const cells = r.deadline ? deadlineCells(ctx.t, ctx.locale, r.deadline, r.daysLeft) : null;
      return {
        href: `/projects/${r.project.id}/review`,
        code: r.project.code,
        name: r.project.name,
        step: cells?.step ?? '—',
        due: cells?.due ?? ctx.t('inbox.noDeadline'),
        left: cells?.left ?? '—',
        overdue: cells?.overdue ?? false,
        renewal: r.renewal,
      };
    });
    return ctx.render(ctx.t('inbox.title'), inboxView({ t: ctx.t, rows: model }));
  });

  // A PDF opens inline in the browser's own viewer; any other type downloads.
  app.get('/documents/:id/view', { config: { access: { session: 'any', write: false } }, schema: hide }, async (request, reply) => {
    const { doc, stream } = await documents.content(sessionPrincipal(request), pathUuid(request));
    const inline = doc.mediaType === 'application/pdf';
    return reply
      .header('content-type', doc.mediaType)
      .header('content-disposition', contentDisposition(doc.originalName, { type: inline ? 'inline' : 'attachment' }))
      .header('x-content-sha256', doc.sha256)
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', 'private, no-store')
      .send(stream);
  });

  const page = async (ctx: PageContext, request: FastifyRequest, values: OpinionValues, errors: FieldError[], status = 200, statement = '') => {
    const id = pathUuid(request);
    const w = await workspace.workspace(sessionPrincipal(request), id);
    const stateText = ctx.t(`state.${w.project.state}` as MessageKey);
    const fresh = values === EMPTY;
    const title = (c: string) => componentTitle(ctx.locale, w.components, c);
    const changed = w.lastOpinion && w.changedSinceOpinion.length > 0
      ? {
          date: formatDateTime(ctx.locale, new Date(w.lastOpinion.recordedAt)),
          items: w.changedSinceOpinion.map((c) =>
            c.previousVersion !== null
              ? ctx.t('review.changedItemWas', { component: title(c.component), version: c.version, previous: c.previousVersion, name: c.originalName, date: formatDateTime(ctx.locale, new Date(c.uploadedAt)) })
              : ctx.t('review.changedItem', { component: title(c.component), version: c.version, name: c.originalName, date: formatDateTime(ctx.locale, new Date(c.uploadedAt)) }),
          ),
        }
      : null;
    return ctx.render(
      ctx.t('review.title'),
      reviewView({
        t: ctx.t,
        project: { code: w.project.code, name: w.project.name, state: stateText, stateTag: '', href: `/projects/${w.project.id}` },
        action: `/projects/${id}/review`,
        csrfToken: ctx.csrfToken,
        revision: w.project.revision,
        idempotencyKey: randomUUID(),
        canRecord: w.canRecord,
        notAllowedReason: ctx.t('review.notAllowed', { state: stateText }),
        due: w.deadline ? ctx.t('review.due', { date: w.deadline.dueAt ? formatDate(ctx.locale, new Date(w.deadline.dueAt)) : ctx.t('board.pausedNoDue'), left: timeLeftText(ctx.t, w.deadline, w.daysLeft) }) : null,
        changed,
        lastOpinionHref: w.lastOpinion ? `/projects/${id}/review/opinion` : null,
        rulebookNote: ctx.t('review.rulebook', { version: w.rulebookVersion }),
        documents: w.documents.map((d) => {
          const binding = `${d.id}:${d.sha256}`;
          return {
            id: d.id,
            viewHref: `/documents/${d.id}/view`,
            downloadHref: `/documents/${d.id}`,
            name: d.originalName,
            component: d.component,
            componentTitle: title(d.component),
            version: d.version,
            sha256: d.sha256,
            size: formatBytes(ctx.locale, d.size),
            required: d.required,
            binding,
            read: !fresh && values.read.includes(binding),
            notReadReason: values.notRead[d.component] ?? '',
          };
        }),
        criteria: w.criteria.map((c) => ({ id: c.id, title: criterionTitle(ctx.locale, c), citation: c.citation, verdict: values.verdicts[c.id] ?? '', comment: values.comments[c.id] ?? '' })),
        values: { recommendation: values.recommendation, conditions: values.conditions, reason: values.reason },
        recused: (request.query as { recused?: string }).recused === '1' && errors.length === 0,
        conflict: w.project.allowedActions.includes('declare_conflict') ? { action: `/projects/${id}/review/conflict`, idempotencyKey: randomUUID(), statement } : null,
        errors,
      }),
      { status, hasErrors: errors.length > 0 },
    );
  };

  app.get('/projects/:id/review', { config: appraiserRead, schema: hide }, async (request, reply) => page(tools.page(request, reply), request, EMPTY, []));

  app.post<{ Body: Record<string, string | string[] | undefined> }>('/projects/:id/review', { config: appraiserWrite, schema: hide }, async (request, reply) => {
    const ctx = tools.page(request, reply);
    const id = pathUuid(request);
    const b = request.body ?? {};
    const w = await workspace.workspace(sessionPrincipal(request), id);
    const values: OpinionValues = {
      verdicts: Object.fromEntries(w.criteria.map((c) => [c.id, text(b[`verdict-${c.id}`], 40)])),
      comments: Object.fromEntries(w.criteria.map((c) => [c.id, text(b[`comment-${c.id}`], 4000)])),
      read: [...new Set((Array.isArray(b.read) ? b.read : b.read ? [b.read] : []).filter((r) => BINDING_RE.test(r)))].slice(0, 500),
      notRead: Object.fromEntries(w.documents.filter((d) => d.required).map((d) => [d.component, text(b[`notread-${d.component}`], 2000)])),
      recommendation: text(b.recommendation, 40),
      conditions: typeof b.conditions === 'string' ? b.conditions.slice(0, 20_000) : '',
      reason: text(b.reason, 4000),
    };
    const errors: FieldError[] = [];
    for (const c of w.criteria) {
      if (!(VERDICTS as readonly string[]).includes(values.verdicts[c.id]!)) errors.push({ field: `verdict-${c.id}`, message: ctx.t('review.verdictRequired', { title: criterionTitle(ctx.locale, c) }) });
    }
    if (values.read.length === 0) errors.push({ field: 'read', message: ctx.t('review.readRequired') });
    const recommendation = (RECOMMENDATIONS as readonly string[]).includes(values.recommendation) ? (values.recommendation as OpinionInput['recommendation']) : undefined;
    const conditions = values.conditions.split(/\r?\n/).map((l) => l.trim()).filter(Boolean).slice(0, 50).map((l) => l.slice(0, 2000));
    if (!recommendation) errors.push({ field: 'recommendation', message: ctx.t('review.recommendationRequired') });
    if (recommendation === 'approve_with_conditions' && conditions.length === 0) errors.push({ field: 'conditions', message: ctx.t('review.conditionsRequired') });
    if (recommendation === 'reject' && !Object.values(values.verdicts).includes('does_not_meet') && !values.reason) errors.push({ field: 'reason', message: ctx.t('review.reasonRequired') });
    if (errors.length > 0) return page(ctx, request, values, errors, 400);

    const reviewed = values.read.map((r) => {
      const [, documentId, sha256] = BINDING_RE.exec(r)!;
      return { documentId: documentId!, sha256: sha256! };
    });
    const readComponents = new Set(w.documents.filter((d) => values.read.includes(`${d.id}:${d.sha256}`)).map((d) => d.component));
    const notReviewed = Object.entries(values.notRead).filter(([component, reason]) => reason && !readComponents.has(component)).map(([component, reason]) => ({ component, reason }));
    const input: OpinionInput = {
      criteria: w.criteria.map((c) => ({ criterion: c.id, verdict: values.verdicts[c.id] as OpinionInput['criteria'][number]['verdict'], ...(values.comments[c.id] ? { comment: values.comments[c.id] } : {}) })),
      recommendation: recommendation!,
      ...(conditions.length ? { conditions } : {}),
      documentsReviewed: reviewed,
      ...(notReviewed.length ? { documentsNotReviewed: notReviewed } : {}),
      ...(values.reason ? { reason: values.reason } : {}),
      conflictOfInterest: { declared: false },
    };
    try {
      await appraisal.recordOpinion(sessionPrincipal(request), id, input, formCommandMeta(request, b));
    } catch (err) {
      if (err instanceof PreconditionFailedError) return page(ctx, request, values, [{ field: 'recommendation', message: `${ctx.t('project.stale')} (${err.code})` }], 412);
      if (err instanceof AppError && err.statusCode >= 400 && err.statusCode < 500 && err.statusCode !== 404) {
        const field = err.code === 'DOCUMENTS_NOT_REVIEWED' || err.code === 'DOCUMENT_NOT_CURRENT' ? 'read' : err.code === 'CONDITIONS_REQUIRED' ? 'conditions' : err.code === 'REJECT_REASON_REQUIRED' ? 'reason' : 'recommendation';
        const message =
          err.code === 'DOCUMENT_NOT_CURRENT'
            ? ctx.t('review.documentChanged', { code: err.code })
            : err.code === 'DOCUMENTS_NOT_REVIEWED'
              ? `${ctx.t('review.notReviewed', { components: ((err.details.components as string[]) ?? []).map((c) => componentTitle(ctx.locale, w.components, c)).join(', ') })} (${err.code})`
              : ctx.t('review.refused', { message: err.message, code: err.code });
        return page(ctx, request, values, [{ field, message }], err.statusCode);
      }
      throw err;
    }
    return reply.redirect(`/projects/${id}/review/opinion?recorded=1`, 303);
  });

  // Recusal: the same command as POST /v1/projects/:id/conflict-of-interest.
  app.post<{ Body: { statement?: string; revision?: string; _idem?: string } }>('/projects/:id/review/conflict', { config: appraiserWrite, schema: hide }, async (request, reply) => {
    const ctx = tools.page(request, reply);
    const id = pathUuid(request);
    const b = request.body ?? {};
    const statement = text(b.statement, 2000);
    if (!statement) return page(ctx, request, EMPTY, [{ field: 'statement', message: ctx.t('conflict.statementRequired') }], 400, statement);
    try {
      await deps.projects.declareConflict(sessionPrincipal(request), id, { statement }, {
        ...formCommandMeta(request, b),
      });
    } catch (err) {
      if (err instanceof PreconditionFailedError) return page(ctx, request, EMPTY, [{ field: 'statement', message: `${ctx.t('project.stale')} (${err.code})` }], 412, statement);
      if (err instanceof AppError && err.statusCode >= 400 && err.statusCode < 500 && err.statusCode !== 404) {
        return page(ctx, request, EMPTY, [{ field: 'statement', message: ctx.t('review.refused', { message: err.message, code: err.code }) }], err.statusCode, statement);
      }
      throw err;
    }
    return reply.redirect(`/projects/${id}/review?recused=1`, 303);
  });

  app.get('/projects/:id/review/opinion', { config: appraiserRead, schema: hide }, async (request, reply) => {
    const ctx = tools.page(request, reply);
    const id = pathUuid(request);
    const w = await workspace.workspace(sessionPrincipal(request), id);
    const last = w.lastOpinion;
    if (!last) throw new AppError(404, 'NOT_FOUND', 'You have no opinion on this project');
    const titles = new Map(w.criteria.map((c) => [c.id, criterionTitle(ctx.locale, c)]));
    const stateText = ctx.t(`state.${w.project.state}` as MessageKey);
    return ctx.render(
      ctx.t('review.recordedTitle'),
      recordedOpinionView({
        t: ctx.t,
        project: { code: w.project.code, name: w.project.name, state: stateText, stateTag: '', href: `/projects/${w.project.id}` },
        recordedAt: formatDateTime(ctx.locale, new Date(last.recordedAt)),
        stale: last.stale,
        recommendation: ctx.t(`review.${last.recommendation}` as MessageKey),
        conditions: last.conditions,
        reason: last.reason,
        criteria: last.criteria.map((c) => ({ title: titles.get(c.criterion) ?? c.criterion, verdict: ctx.t(`review.${c.verdict}` as MessageKey), comment: c.comment ?? '' })),
        documents: last.documentsReviewed.map((d) => ({ component: d.component ? componentTitle(ctx.locale, w.components, d.component) : '', name: d.originalName ?? d.documentId, version: d.version === null ? '' : String(d.version), sha256: d.sha256 })),
        notReviewed: last.documentsNotReviewed.map((n) => ({ component: componentTitle(ctx.locale, w.components, n.component), reason: n.reason })),
        confirmation: (request.query as { recorded?: string }).recorded === '1',
      }),
    );
  });
}
