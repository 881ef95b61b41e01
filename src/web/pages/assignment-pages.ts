import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError, PreconditionFailedError } from '../../errors';
import type { ProjectService } from '../../modules/projects/project-service';
import type { AssignmentCandidates } from '../../modules/appraisal/assignment-rules';
import type { MessageKey, Translate } from '../i18n/translator';
import type { PageContext } from '../page-context';
import type { WebTools } from '../web-plugin';
import type { FieldError } from '../views/layout.view';
import { assignmentView, type CandidateModel } from '../views/assignment.view';
import { sessionPrincipal, pathUuid, formCommandMeta } from './page-input';

/**
 * The clerk's assignment (/projects/:id/assignment): the appraisers the rules allow, and every
 * barred one with the rule's reason and code, before posting; the same command as
 * POST /v1/projects/:id/assignments, whose refusals are shown with their reason and code.
 */
export interface AssignmentPagesDeps {
  projects: ProjectService;
  candidates: AssignmentCandidates;
}

const SUB_RE = /^[A-Za-z0-9._@:|-]{1,200}$/;
const clerkWrite = { access: { session: ['clerk' as const], write: true } };
const hide = { hide: true };

/** A rule's reason in the reader's language (bar.<CODE>), the stable code kept beside it. */
export function barText(t: Translate, bar: { code: string; statement?: string; actions?: string[] }, fallback: string): string {
  const key = `bar.${bar.code}` as MessageKey;
  const known = ['NOT_AN_APPRAISER', 'APPRAISER_NOT_INDEPENDENT', 'APPRAISER_CONFLICTED', 'APPRAISER_ACTED_IN_OTHER_ROLE'].includes(bar.code);
  if (!known) return fallback;
  return t(key, { statement: bar.statement ?? '', actions: (bar.actions ?? []).map((a) => t(`action.${a}` as MessageKey)).join(', ') });
}

export function registerAssignmentPages(app: FastifyInstance, tools: WebTools, deps: AssignmentPagesDeps) {
  const { projects, candidates } = deps;

  const page = async (ctx: PageContext, request: FastifyRequest, values: { appraisers: string[]; mode: string }, errors: FieldError[], status = 200) => {
    const p = sessionPrincipal(request);
    const id = pathUuid(request);
    const [project, list] = await Promise.all([projects.get(p, id), candidates.candidates(p, id)]);
    const stateText = ctx.t(`state.${project.state}` as MessageKey);
    const rows: CandidateModel[] = list.candidates.map((c) => ({
      sub: c.sub,
      name: c.displayName ?? c.sub,
      organisation: c.organisation ?? ctx.t('assignment.noOrg'),
      status: c.assigned ? 'assigned' : c.bars.length > 0 ? 'barred' : 'eligible',
      reasons: c.bars.map((b) => ({ code: b.code, text: barText(ctx.t, b, b.message) })),
      checked: values.appraisers.includes(c.sub),
    }));
    // Eligible people first, then those already assigned, then the barred with their reasons.
    const order = { eligible: 0, assigned: 1, barred: 2 } as const;
    rows.sort((a, b) => order[a.status] - order[b.status] || a.sub.localeCompare(b.sub));
    const recorded = (request.query as { assigned?: string }).assigned === '1' && errors.length === 0;
    return ctx.render(
      ctx.t('assignment.title'),
      assignmentView({
        t: ctx.t,
        project: { code: project.code, name: project.name, state: stateText, stateTag: '', href: `/projects/${project.id}` },
        round: project.round,
        action: `/projects/${id}/assignment`,
        csrfToken: ctx.csrfToken,
        revision: project.revision,
        idempotencyKey: randomUUID(),
        allowed: project.allowedActions.includes('assign'),
        notAllowedReason: ctx.t('assignment.notAllowed', { state: stateText }),
        candidates: rows,
        mode: values.mode || project.appraisalMode || 'opinion',
        recorded,
        errors,
      }),
      { status, hasErrors: errors.length > 0 },
    );
  };

  app.get('/projects/:id/assignment', { config: clerkWrite, schema: hide }, async (request, reply) => page(tools.page(request, reply), request, { appraisers: [], mode: '' }, []));

  app.post<{ Body: { appraisers?: string | string[]; mode?: string; revision?: string; _idem?: string } }>(
    '/projects/:id/assignment',
    { config: clerkWrite, schema: hide },
    async (request, reply) => {
      const ctx = tools.page(request, reply);
      const b = request.body ?? {};
      const appraisers = [...new Set(Array.isArray(b.appraisers) ? b.appraisers : b.appraisers ? [b.appraisers] : [])].filter((s) => SUB_RE.test(s)).slice(0, 25);
      const mode = b.mode === 'opinion' || b.mode === 'council' ? b.mode : '';
      const values = { appraisers, mode };
      const errors: FieldError[] = [];
      if (appraisers.length === 0) errors.push({ field: 'appraisers', message: ctx.t('assignment.chooseOne') });
      if (!mode) errors.push({ field: 'mode', message: ctx.t('assignment.chooseMode') });
      if (errors.length > 0) return page(ctx, request, values, errors, 400);
      const id = pathUuid(request);
      try {
        await projects.assign(sessionPrincipal(request), id, { appraisers, mode: mode as 'opinion' | 'council' }, {
          ...formCommandMeta(request, b),
        });
      } catch (err) {
        if (err instanceof PreconditionFailedError) return page(ctx, request, values, [{ field: 'appraisers', message: `${ctx.t('project.stale')} (${err.code})` }], 412);
        if (err instanceof AppError && err.statusCode >= 400 && err.statusCode < 500 && err.statusCode !== 404) {
          const who = typeof err.details.appraiser === 'string' ? `${err.details.appraiser}: ` : '';
          const reason = barText(ctx.t, { code: err.code, statement: '', actions: [] }, err.message);
          // A conflict statement or the other-role acts are on the screen beside the person; the summary names the rule.
          const message = ctx.t('assignment.refused', { message: `${who}${reason.replace(/: “”$/, '').replace(/ \(\)/, '')}`, code: err.code });
          return page(ctx, request, values, [{ field: 'appraisers', message }], err.statusCode);
        }
        throw err;
      }
      return reply.redirect(`/projects/${id}/assignment?assigned=1`, 303);
    },
  );
}
