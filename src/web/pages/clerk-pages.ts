import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import contentDisposition from 'content-disposition';
import { InvalidTransitionError, PreconditionFailedError, ValidationError } from '../../errors';
import type { ProjectService } from '../../modules/projects/project-service';
import type { DocumentService } from '../../modules/documents/document-service';
import type { RulebookService } from '../../modules/rulebook/rulebook-service';
import { formatBytes, formatDateTime } from '../i18n/translator';
import type { MessageKey } from '../i18n/catalogue-vi';
import type { PageContext } from '../page-context';
import type { WebTools } from '../web-plugin';
import type { FieldError } from '../views/layout.view';
import { completenessView, intakeView } from '../views/clerk.view';
import { sessionPrincipal, pathUuid, formCommandMeta } from './page-input';

/**
 * The clerk's intake: the queue of submitted dossiers and the completeness check beside the
 * documents, ending in "complete" or an itemised supplementation request (the same command as
 * POST /v1/projects/:id/completeness).
 */
export interface ClerkPagesDeps {
  projects: ProjectService;
  documents: DocumentService;
  rulebooks: RulebookService;
  clock: () => Date;
}

const clerkWrite = { access: { session: ['clerk' as const], write: true } };
const hide = { hide: true };

export function registerClerkPages(app: FastifyInstance, tools: WebTools, deps: ClerkPagesDeps) {
  const { projects, documents, rulebooks } = deps;

  app.get('/intake', { config: { access: { session: ['clerk'], write: false } }, schema: hide }, async (request, reply) => {
    const ctx = tools.page(request, reply);
    const page = await projects.list(sessionPrincipal(request), { state: 'completeness_review', limit: 100 });
    const rows = page.items
      .slice()
      .reverse()
      .map((p) => ({ href: `/projects/${p.id}`, code: p.code, name: p.name, state: '', stateTag: '', updated: formatDateTime(ctx.locale, new Date(p.updatedAt)) }));
    return ctx.render(ctx.t('intake.title'), intakeView({ t: ctx.t, rows }));
  });

  // Documents open in the browser's own viewer (no viewer bundle on the dossier page).
  app.get('/documents/:id', { config: { access: { session: 'any', write: false } }, schema: hide }, async (request, reply) => {
    const { doc, stream } = await documents.content(sessionPrincipal(request), pathUuid(request));
    return reply
      .header('content-type', doc.mediaType)
      .header('content-disposition', contentDisposition(doc.originalName, { type: 'attachment' }))
      .header('x-content-sha256', doc.sha256)
      .header('cache-control', 'private, no-store')
      .send(stream);
  });

  const page = async (ctx: PageContext, request: FastifyRequest, values: { result: string; note: string; missing: string[] }, errors: FieldError[], status = 200) => {
    const p = sessionPrincipal(request);
    const id = pathUuid(request);
    const [project, docs, rb] = await Promise.all([projects.get(p, id), documents.list(p, id), rulebooks.inForce(deps.clock())]);
    const components = new Map(Object.values(rb.content.dossierComponents).flat().map((c) => [c.id, c]));
    const title = (c: string) => (ctx.locale === 'vi' ? (components.get(c)?.titleVi ?? components.get(c)?.title) : components.get(c)?.title) ?? c;
    const allowed = project.allowedActions.includes('completeness');
    return ctx.render(
      ctx.t('completeness.title'),
      completenessView({
        t: ctx.t,
        project: { code: project.code, name: project.name, state: ctx.t(`state.${project.state}` as MessageKey), stateTag: '', href: `/projects/${project.id}` },
        action: `/projects/${id}/completeness`,
        csrfToken: ctx.csrfToken,
        revision: project.revision,
        idempotencyKey: randomUUID(),
        allowed,
        notAllowedReason: ctx.t('completeness.notAllowed', { state: ctx.t(`state.${project.state}` as MessageKey) }),
        documents: docs.current.map((d) => ({ href: `/documents/${d.id}`, name: d.originalName, component: title(d.component), version: d.version, sha256: d.sha256, size: formatBytes(ctx.locale, d.size) })),
        items: docs.checklist.required.map((i) => ({ component: i.component, title: title(i.component), present: i.present, checked: values.missing.includes(i.component) })),
        values,
        errors,
      }),
      { status, hasErrors: errors.length > 0 },
    );
  };

  app.get('/projects/:id/completeness', { config: clerkWrite, schema: hide }, async (request, reply) => page(tools.page(request, reply), request, { result: '', note: '', missing: [] }, []));

  app.post<{ Body: { result?: string; note?: string; missing?: string | string[]; revision?: string; _idem?: string } }>(
    '/projects/:id/completeness',
    { config: clerkWrite, schema: hide },
    async (request, reply) => {
      const ctx = tools.page(request, reply);
      const b = request.body ?? {};
      const missing = (Array.isArray(b.missing) ? b.missing : b.missing ? [b.missing] : []).filter((m) => /^[a-z][a-z0-9_]{1,63}$/.test(m)).slice(0, 50);
      const note = typeof b.note === 'string' ? b.note.trim().slice(0, 2000) : '';
      const result = b.result === 'complete' || b.result === 'incomplete' ? b.result : '';
      const values = { result, note, missing };
      if (!result) return page(ctx, request, values, [{ field: 'result', message: ctx.t('completeness.resultRequired') }], 400);
      if (result === 'incomplete' && missing.length === 0 && !note) return page(ctx, request, values, [{ field: 'missing', message: ctx.t('completeness.reasonRequired') }], 400);
      const id = pathUuid(request);
      try {
        await projects.completeness(
          sessionPrincipal(request),
          id,
          result === 'complete' ? { result } : { result, missing, ...(note ? { note } : {}) },
          {
            ...formCommandMeta(request, b),
          },
        );
      } catch (err) {
        if (err instanceof PreconditionFailedError) return page(ctx, request, values, [{ field: 'result', message: ctx.t('project.stale') }], 412);
        if (err instanceof ValidationError || err instanceof InvalidTransitionError) return page(ctx, request, values, [{ field: 'result', message: `${err.message} (${err.code})` }], err.statusCode);
        throw err;
      }
      return reply.redirect(`/projects/${id}?recorded=${result}`, 303);
    },
  );
}
