import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import contentDisposition from 'content-disposition';
import { Value } from '@sinclair/typebox/value';
import type { TSchema } from '@sinclair/typebox';
import { AppError, InvalidTransitionError, PreconditionFailedError, ValidationError } from '../../errors';
import type { ProjectService, ProjectView } from '../../modules/projects/project-service';
import type { DocumentService, DocumentView } from '../../modules/documents/document-service';
import type { RulebookService } from '../../modules/rulebook/rulebook-service';
import type { SlipService, SlipSummary } from '../../modules/slips/slip-service';
import { PROCEDURE_STEPS, type DeadlineView } from '../../modules/deadlines/deadline-service';
import type { Action } from '../../../workflows/appraisal/appraisal.machine';
import { registerLegalBasis } from '../legal-basis';
import type { Principal } from '../../auth/token-verifier';
import type { AuditEventRecord } from '../../modules/audit/audit-hash';
import { NewProjectBody, TechnologyDeclarationBody } from '../../routes/projects.routes';
import { FileTooLargeError } from '../../modules/documents/upload-streams';
import { formatBytes, formatDate, formatDateTime, formatVnd, type Translate } from '../i18n/translator';
import type { MessageKey } from '../i18n/catalogue-vi';
import type { PageContext } from '../page-context';
import type { WebTools } from '../web-plugin';
import type { FieldError } from '../views/layout.view';
import { newProjectView, projectListView } from '../views/projects.view';
import { UUID_RE, sessionPrincipal, pathUuid, formCommandMeta } from './page-input';
import {
  checkView,
  dossierView,
  historyView,
  projectOverviewView,
  technologyFormView,
  type DeadlineRowModel,
  type MachineRow,
  type ProjectHeaderModel,
  type SlipRowModel,
  type ReceiptModel,
  type TechnologyRow,
} from '../views/project.view';

/**
 * The investor's journey as pages: projects, registration, technology declaration, dossier
 * with uploads and receipts, pre-submit check, submit, history. Every page calls the same
 * services as the API with the signed-in principal, and validates with the API's own schemas.
 */
export interface InvestorPagesDeps {
  projects: ProjectService;
  documents: DocumentService;
  rulebooks: RulebookService;
  history(principal: Principal, projectId: string): Promise<AuditEventRecord[]>;
  maxUploadBytes: number;
  clock: () => Date;
  /** The one-stop slips and the result document (optional so older wiring keeps working). */
  slips?: SlipService;
}

/**
 * The project overview links each allowed action to the page where it is done (the web
 * contract); a link shows only once that page is registered. Investors' own steps are the task
 * list's; submit/resubmit lead to the pre-submit check.
 */
const NEXT_STEP_PAGES: Partial<Record<Action, { path: string; label: MessageKey }>> = {
  submit: { path: 'check', label: 'project.taskSubmit' },
  resubmit: { path: 'check', label: 'supplement.resubmit' },
  completeness: { path: 'completeness', label: 'next.completeness' },
  assign: { path: 'assignment', label: 'next.assign' },
  record_opinion: { path: 'review', label: 'next.review' },
  decide: { path: 'decision', label: 'next.decide' },
};

const DAY_MS = 86_400_000;
const vnDay = (at: Date) => Math.floor((at.getTime() + 7 * 3_600_000) / DAY_MS);

const STATE_TONE: Record<string, string> = {
  draft: 'tag--grey',
  awaiting_supplement: 'tag--yellow',
  approved: 'tag--green',
  rejected: 'tag--red',
  withdrawn: 'tag--grey',
};

const read = { access: { session: 'any' as const, write: false } };
const investorWrite = { access: { session: ['investor' as const], write: true } };
const hide = { hide: true };

type TechDecl = {
  version: number;
  technologies: Array<{ name: string; origin: string; description?: string }>;
  machinery: Array<{ name: string; hsCode: string; manufactureYear: number; condition: string; remainingCapacityPct?: number; standards: string[] }>;
};

function headerOf(t: Translate, p: ProjectView): ProjectHeaderModel {
  return { code: p.code, name: p.name, state: t(`state.${p.state}` as MessageKey), stateTag: STATE_TONE[p.state] ?? '', href: `/projects/${p.id}` };
}

/** Map the API schema's errors onto form fields (first error per field). */
function schemaErrors(t: Translate, schema: TSchema, value: unknown, fieldOf: (path: string) => string): FieldError[] {
  const out: FieldError[] = [];
  for (const e of Value.Errors(schema, value)) {
    const field = fieldOf(e.path);
    if (out.some((x) => x.field === field)) continue;
    const empty = e.value === undefined || e.value === '';
    out.push({ field, message: empty ? t('field.required') : t('field.invalid', { message: e.message }) });
  }
  return out;
}

export async function registerInvestorPages(app: FastifyInstance, tools: WebTools, deps: InvestorPagesDeps) {
  const { projects, documents, rulebooks } = deps;
  // Every page's footer cites the instruments of the rulebook in force (src/web/legal-basis.ts).
  registerLegalBasis(app, { rulebooks, clock: deps.clock });
  // Uploads without JavaScript: a plain multipart form, streamed to the document service.
  await app.register(multipart, { limits: { fileSize: deps.maxUploadBytes, files: 1, fields: 5, fieldSize: 1024, parts: 8, headerPairs: 50 } });

  const projectId = (request: FastifyRequest) => pathUuid(request, 'id', 'Project not found');
  /** Titles and legal basis of the dossier components, from the rulebook the project follows (pinned once accepted). */
  const componentTitles = async (locale: string, project?: Pick<ProjectView, 'rulebookVersion'>) => {
    const rb = project ? await rulebooks.version(project.rulebookVersion.version) : await rulebooks.inForce(deps.clock());
    const components = new Map(Object.values(rb.content.dossierComponents).flat().map((c) => [c.id, c]));
    return {
      title: (id: string) => {
        const c = components.get(id);
        return c ? (locale === 'vi' ? (c.titleVi ?? c.title) : c.title) : id;
      },
      citation: (id: string) => components.get(id)?.citation ?? '',
      verified: (id: string) => components.get(id)?.verified ?? true,
    };
  };

  /** The statutory steps in words: opened, paused, closed; days left or overdue; the rulebook's citation. */
  const deadlineRows = (ctx: PageContext, project: ProjectView): DeadlineRowModel[] => {
    const t = ctx.t;
    const today = vnDay(deps.clock());
    return project.deadlines.map((d: DeadlineView) => {
      const step = (PROCEDURE_STEPS as readonly string[]).includes(d.step) ? t(`deadlines.step.${d.step}` as MessageKey) : d.step;
      const limit = [t(`deadlines.unit.${d.unit}` as MessageKey, { n: d.limit }), d.extensionDays > 0 ? t('deadlines.extended', { n: d.extensionDays }) : ''].filter(Boolean).join(', ');
      const due = d.dueAt ? formatDate(ctx.locale, new Date(d.dueAt)) : '—';
      let status: string;
      let tone: string;
      if (d.closedAt) {
        const at = formatDate(ctx.locale, new Date(d.closedAt));
        status = d.late ? t('deadlines.late', { date: at }) : t('deadlines.met', { date: at });
        tone = d.late ? 'tag--red' : 'tag--green';
      } else if (d.status === 'paused') {
        const since = d.pauses.find((p) => p.to === null)?.from;
        status = t('deadlines.paused', { date: since ? formatDate(ctx.locale, new Date(since)) : '—' });
        tone = 'tag--yellow';
      } else {
        const left = d.dueAt ? vnDay(new Date(d.dueAt)) - today : 0;
        const overdue = d.status === 'overdue';
        status = overdue ? t('deadlines.overdue', { n: Math.max(1, -left) }) : left === 0 ? t('deadlines.dueToday') : t('deadlines.daysLeft', { n: left });
        tone = overdue ? 'tag--red' : left <= 2 ? 'tag--yellow' : '';
      }
      const detail = [t('deadlines.opened', { date: formatDate(ctx.locale, new Date(d.startedAt)) }), d.pausedDays > 0 ? t('deadlines.pausedDays', { n: d.pausedDays }) : ''].filter(Boolean).join(' · ');
      return { step, limit, due, dueIso: d.dueAt, status, tone, detail, citation: d.timeLimit.citation, unverified: d.timeLimit.verified ? null : t('deadlines.unverified') };
    });
  };
  const appointmentOf = (ctx: PageContext, project: ProjectView) =>
    project.appointmentDate ? ctx.t('deadlines.appointment', { date: formatDate(ctx.locale, new Date(`${project.appointmentDate}T12:00:00+07:00`)) }) : null;

  const slipRows = (ctx: PageContext, slips: SlipSummary[]): SlipRowModel[] =>
    slips.map((s) => {
      const title = ctx.t(`slips.form.${s.form}` as MessageKey);
      return {
        title,
        formLabel: s.formLabel,
        number: s.numberLabel,
        issued: formatDateTime(ctx.locale, new Date(s.issuedAt)),
        issuedIso: s.issuedAt,
        code: s.verificationCode,
        href: `/slips/${s.id}`,
        download: ctx.t('slips.download', { name: s.numberLabel, size: formatBytes(ctx.locale, s.sizeBytes) }),
      };
    });

  /** Links to the next steps: the allowed actions with a registered page, and the auditor's timeline. */
  const nextSteps = (ctx: PageContext, request: FastifyRequest, project: ProjectView) => {
    const out: Array<{ href: string; text: string }> = [];
    for (const action of project.allowedActions) {
      const target = NEXT_STEP_PAGES[action];
      if (!target) continue;
      const href = `/projects/${project.id}/${target.path}`;
      if (!request.server.hasRoute({ method: 'GET', url: `/projects/:id/${target.path}` })) continue;
      if (!out.some((o) => o.href === href)) out.push({ href, text: ctx.t(target.label) });
    }
    if (ctx.user?.activeRole === 'auditor' && request.server.hasRoute({ method: 'GET', url: '/audit/projects/:id' })) {
      out.push({ href: `/audit/projects/${project.id}`, text: ctx.t('next.audit') });
    }
    return out;
  };

  /** The open supplementation request (the latest supplement.requested event), with each item's answer state. */
  const supplementOf = async (ctx: PageContext, p: Principal, project: ProjectView, current: DocumentView[]) => {
    if (project.state !== 'awaiting_supplement') return undefined;
    const events = await deps.history(p, project.id);
    const request = events.filter((e) => e.action === 'supplement.requested').at(-1);
    if (!request) return undefined;
    const names = await componentTitles(ctx.locale, project);
    const missing = Array.isArray(request.payload.missing) ? (request.payload.missing as string[]) : [];
    const since = new Date(request.occurredAt).getTime();
    return {
      t: ctx.t,
      items: missing.map((c) => ({
        title: names.title(c),
        href: `/projects/${project.id}/dossier#item-${c}`,
        answered: current.some((d) => d.component === c && new Date(d.uploadedAt).getTime() > since),
      })),
      note: typeof request.payload.note === 'string' ? request.payload.note : null,
      resubmitHref: `/projects/${project.id}/check`,
    };
  };

  // --- projects list (search by tracking code or name)
  app.get<{ Querystring: { q?: string; cursor?: string } }>('/projects', { config: read, schema: hide }, async (request, reply) => {
    const ctx = tools.page(request, reply);
    const q = typeof request.query.q === 'string' ? request.query.q.trim().slice(0, 100) : '';
    const cursor = typeof request.query.cursor === 'string' ? request.query.cursor : undefined;
    const page = await projects.list(sessionPrincipal(request), { limit: 25, ...(q ? { q } : {}), ...(cursor ? { cursor } : {}) });
    return ctx.render(
      ctx.t('projects.title'),
      projectListView({
        t: ctx.t,
        q,
        canRegister: ctx.user!.activeRole === 'investor',
        rows: page.items.map((p) => ({
          href: `/projects/${p.id}`,
          code: p.code,
          name: p.name,
          state: ctx.t(`state.${p.state}` as MessageKey),
          stateTag: STATE_TONE[p.state] ?? '',
          updated: formatDateTime(ctx.locale, new Date(p.updatedAt)),
        })),
        nextHref: page.nextCursor ? `/projects?${new URLSearchParams({ ...(q ? { q } : {}), cursor: page.nextCursor })}` : null,
      }),
    );
  });

  // --- registration
  const newProjectPage = async (ctx: PageContext, values: Record<string, string>, errors: FieldError[], status = 200) => {
    const rb = await rulebooks.inForce(deps.clock());
    const t = ctx.t;
    const opts = (prefix: string, keys: string[]) => keys.map((k) => ({ value: k, text: t(`${prefix}.${k}` as MessageKey) }));
    return ctx.render(
      t('new.title'),
      newProjectView({
        t,
        csrfToken: ctx.csrfToken,
        idempotencyKey: values._idem && UUID_RE.test(values._idem) ? values._idem : randomUUID(),
        values,
        errors,
        sectors: rb.content.sectors.map((s) => ({ value: s.code, text: ctx.locale === 'vi' ? (s.nameVi ?? s.name) : s.name })),
        stages: opts('stage', ['investment_policy', 'investment_decision']),
        groups: opts('group', ['national_key', 'A', 'B', 'C']),
        sources: opts('source', ['state_budget', 'state_non_budget', 'private', 'foreign', 'mixed']),
        levels: opts('level', ['national_assembly', 'prime_minister', 'provincial_peoples_committee', 'investor']),
        environmentalGroups: opts('envgroup', ['I', 'II', 'III', 'IV']),
        construction: opts('construction', ['yes', 'no']),
      }),
      { status, hasErrors: errors.length > 0 },
    );
  };
  app.get('/projects/new', { config: investorWrite, schema: hide }, async (request, reply) => newProjectPage(tools.page(request, reply), {}, []));

  app.post<{ Body: Record<string, string> }>('/projects', { config: investorWrite, schema: hide }, async (request, reply) => {
    const ctx = tools.page(request, reply);
    const b = request.body ?? {};
    const text = (k: string) => (typeof b[k] === 'string' ? b[k]!.trim() : '');
    const capital = text('capitalVnd').replace(/[.\s,]/g, '');
    const input: Record<string, unknown> = {
      name: text('name'),
      ...(text('description') ? { description: text('description') } : {}),
      sector: text('sector'),
      location: text('location'),
      capitalVnd: /^\d{1,16}$/.test(capital) ? Number(capital) : undefined,
      stage: text('stage'),
      group: text('group'),
      capitalSource: text('capitalSource'),
      decidingLevel: text('decidingLevel'),
      ...(text('environmentalGroup') ? { environmentalGroup: text('environmentalGroup') } : {}),
      ...(text('construction') === 'yes' ? { construction: true } : text('construction') === 'no' ? { construction: false } : {}),
      highTechZone: b.highTechZone === 'yes',
      technologyAsCapital: b.technologyAsCapital === 'yes',
    };
    const errors = schemaErrors(ctx.t, NewProjectBody, input, (p) => p.split('/')[1] ?? 'name').map((e) =>
      e.field === 'capitalVnd' && capital ? { field: 'capitalVnd', message: ctx.t('field.number') } : e,
    );
    if (errors.length) return newProjectPage(ctx, b, errors, 400);
    try {
      const result = await projects.create(sessionPrincipal(request), input as never, formCommandMeta(request, b));
      const created = result.body as { id: string };
      return reply.redirect(`/projects/${created.id}/technology?created=1`, 303);
    } catch (err) {
      if (err instanceof ValidationError) {
        const field = { CONSTRUCTION_REQUIRED: 'construction', ENVIRONMENTAL_GROUP_REQUIRED: 'environmentalGroup', ENVIRONMENTAL_RISK_CONTRADICTS_GROUP: 'environmentalGroup' }[err.code] ?? 'sector';
        return newProjectPage(ctx, b, [{ field, message: err.message }], 400);
      }
      throw err;
    }
  });

  // --- overview
  app.get<{ Params: { id: string }; Querystring: { submitted?: string; recorded?: string } }>('/projects/:id', { config: read, schema: hide }, async (request, reply) => {
    const ctx = tools.page(request, reply);
    const t = ctx.t;
    const p = sessionPrincipal(request);
    const id = projectId(request);
    const project = await projects.get(p, id);
    const [decl, docs, slips] = await Promise.all([projects.currentDeclaration(p, id), documents.list(p, id), deps.slips ? deps.slips.list(p, id) : []]);
    const editable = project.allowedActions.includes('declare_technology');
    const done = (ok: boolean) => ({ status: ok ? t('project.done') : t('project.todo'), tone: ok ? 'tag--green' : 'tag--grey' });
    return ctx.render(
      project.name,
      projectOverviewView({
        t,
        project: headerOf(t, project),
        ...(request.query.submitted ? { notice: { text: t('project.submitted') } } : {}),
        ...(request.query.recorded === 'complete' ? { notice: { text: t('completeness.recordedComplete') } } : {}),
        ...(request.query.recorded === 'incomplete' ? { notice: { text: t('completeness.recordedIncomplete') } } : {}),
        supplement: await supplementOf(ctx, p, project, docs.current),
        summary: [
          { key: t('projects.code'), value: project.code },
          { key: t('project.organisation'), value: project.organisation },
          { key: t('field.location'), value: project.location },
          { key: t('project.capital'), value: formatVnd(ctx.locale, project.capitalVnd) },
          { key: t('field.stage'), value: t(`stage.${project.stage}` as MessageKey) },
          { key: t('field.group'), value: t(`group.${project.group}` as MessageKey) },
          { key: t('project.createdAt'), value: formatDate(ctx.locale, new Date(project.createdAt)) },
        ],
        tasks: [
          { title: t('project.taskDetails'), href: null, ...done(true) },
          { title: t('project.taskTechnology'), href: `/projects/${id}/technology`, ...done(decl !== null) },
          { title: t('project.taskDossier'), href: `/projects/${id}/dossier`, ...done(docs.checklist.missing.length === 0) },
          {
            title: t('project.taskSubmit'),
            href: project.allowedActions.includes('submit') || project.allowedActions.includes('resubmit') ? `/projects/${id}/check` : null,
            ...(editable ? { status: t('project.todo'), tone: 'tag--grey' } : done(project.state !== 'draft')),
          },
        ],
        historyHref: `/projects/${id}/history`,
        nextSteps: nextSteps(ctx, request, project),
        deadlines: deadlineRows(ctx, project),
        appointment: appointmentOf(ctx, project),
        slips: slipRows(ctx, slips),
      }),
    );
  });

  // --- slips and the result document, for whoever may see the project (the service's access rule)
  app.get<{ Params: { id: string } }>('/slips/:id', { config: read, schema: hide }, async (request, reply) => {
    if (!deps.slips) throw new AppError(404, 'NOT_FOUND', 'Slip not found');
    const id = pathUuid(request, 'id', 'Slip not found');
    const { slip, stream } = await deps.slips.content(sessionPrincipal(request), id);
    return reply
      .header('content-type', 'application/pdf')
      .header('content-length', String(slip.sizeBytes))
      .header('content-disposition', contentDisposition(`${slip.numberLabel.replace(/\//g, '-')}.pdf`, { type: 'attachment' }))
      .header('x-content-sha256', slip.sha256)
      .header('x-verification-code', slip.verificationCode)
      .header('cache-control', 'private, no-store')
      .send(stream);
  });

  // --- technology declaration (machinery rows: "add another" posts back, no JavaScript)
  const techPage = async (
    ctx: PageContext,
    project: ProjectView,
    technologies: TechnologyRow[],
    machinery: MachineRow[],
    errors: FieldError[],
    opts: { notice?: string; status?: number } = {},
  ) =>
    ctx.render(
      ctx.t('tech.title'),
      technologyFormView({
        t: ctx.t,
        project: headerOf(ctx.t, project),
        action: `/projects/${project.id}/technology`,
        csrfToken: ctx.csrfToken,
        revision: project.revision,
        ...(opts.notice ? { notice: { text: opts.notice } } : {}),
        technologies,
        machinery,
        errors,
        editable: project.allowedActions.includes('declare_technology'),
      }),
      { status: opts.status, hasErrors: errors.length > 0 },
    );

  app.get<{ Params: { id: string }; Querystring: { created?: string } }>('/projects/:id/technology', { config: read, schema: hide }, async (request, reply) => {
    const ctx = tools.page(request, reply);
    const p = sessionPrincipal(request);
    const project = await projects.get(p, projectId(request));
    const decl = (await projects.currentDeclaration(p, project.id)) as TechDecl | null;
    const technologies: TechnologyRow[] = decl?.technologies.map((x) => ({ name: x.name, origin: x.origin, description: x.description ?? '' })) ?? [{ name: '', origin: '', description: '' }];
    const machinery: MachineRow[] =
      decl?.machinery.map((m) => ({
        name: m.name,
        hsCode: m.hsCode,
        manufactureYear: String(m.manufactureYear),
        condition: m.condition,
        remainingCapacityPct: m.remainingCapacityPct === undefined ? '' : String(m.remainingCapacityPct),
        standards: m.standards.join('\n'),
      })) ?? [];
    const notice = request.query.created ? ctx.t('project.created', { code: project.code }) : undefined;
    return techPage(ctx, project, technologies, machinery, [], { notice });
  });

  app.post<{ Params: { id: string }; Body: Record<string, string> }>('/projects/:id/technology', { config: investorWrite, schema: hide }, async (request, reply) => {
    const ctx = tools.page(request, reply);
    const b = request.body ?? {};
    const p = sessionPrincipal(request);
    const project = await projects.get(p, projectId(request));
    const count = (k: string, max: number) => Math.min(Math.max(Number.parseInt(b[k] ?? '0', 10) || 0, 0), max);
    const s = (k: string) => (typeof b[k] === 'string' ? b[k]!.trim() : '');
    let technologies: TechnologyRow[] = Array.from({ length: count('technologyCount', 100) }, (_, i) => ({ name: s(`t${i}-name`), origin: s(`t${i}-origin`), description: s(`t${i}-description`) }));
    let machinery: MachineRow[] = Array.from({ length: count('machineCount', 500) }, (_, i) => ({
      name: s(`m${i}-name`),
      hsCode: s(`m${i}-hsCode`),
      manufactureYear: s(`m${i}-manufactureYear`),
      condition: s(`m${i}-condition`),
      remainingCapacityPct: s(`m${i}-remainingCapacityPct`),
      standards: typeof b[`m${i}-standards`] === 'string' ? b[`m${i}-standards`]! : '',
    }));
    const op = s('op') || 'save';
    const emptyMachine: MachineRow = { name: '', hsCode: '', manufactureYear: '', condition: '', remainingCapacityPct: '', standards: '' };
    if (op === 'add-technology') return techPage(ctx, project, [...technologies, { name: '', origin: '', description: '' }], machinery, []);
    if (op === 'add-machine') return techPage(ctx, project, technologies, [...machinery, emptyMachine], []);
    const remove = /^remove-([tm])(\d+)$/.exec(op);
    if (remove) {
      const at = Number(remove[2]);
      if (remove[1] === 't') technologies = technologies.filter((_, i) => i !== at);
      else machinery = machinery.filter((_, i) => i !== at);
      return techPage(ctx, project, technologies, machinery, []);
    }
    const num = (v: string) => (v !== '' && Number.isFinite(Number(v)) ? Number(v) : v);
    const input = {
      technologies: technologies.map((x) => ({ name: x.name, origin: x.origin, ...(x.description ? { description: x.description } : {}) })),
      machinery: machinery.map((m) => ({
        name: m.name,
        hsCode: m.hsCode,
        manufactureYear: /^\d{4}$/.test(m.manufactureYear) ? Number(m.manufactureYear) : m.manufactureYear,
        condition: m.condition,
        ...(m.remainingCapacityPct ? { remainingCapacityPct: num(m.remainingCapacityPct) } : {}),
        standards: m.standards
          .split(/\r?\n/)
          .map((x) => x.trim())
          .filter(Boolean),
      })),
    };
    const errors = schemaErrors(ctx.t, TechnologyDeclarationBody, input, (path) => {
      const m = /^\/(technologies|machinery)\/(\d+)\/(\w+)/.exec(path);
      return m ? `${m[1] === 'technologies' ? 't' : 'm'}${m[2]}-${m[3]}` : 't0-name';
    });
    if (errors.length) return techPage(ctx, project, technologies, machinery, errors, { status: 400 });
    try {
      await projects.declareTechnology(p, project.id, input as never, formCommandMeta(request, b));
    } catch (err) {
      if (err instanceof PreconditionFailedError) {
        return techPage(ctx, await projects.get(p, project.id), technologies, machinery, [{ field: 't0-name', message: ctx.t('project.stale') }], { status: 412 });
      }
      if (err instanceof ValidationError) return techPage(ctx, project, technologies, machinery, [{ field: 't0-name', message: err.message }], { status: 400 });
      throw err;
    }
    return reply.redirect(`/projects/${project.id}/dossier`, 303);
  });

  // --- dossier checklist, uploads and receipts
  const dossierPage = async (ctx: PageContext, request: FastifyRequest, errors: FieldError[], receiptId?: string, status = 200) => {
    const p = sessionPrincipal(request);
    const id = projectId(request);
    const [project, docs] = await Promise.all([projects.get(p, id), documents.list(p, id)]);
    const names = await componentTitles(ctx.locale, project);
    const receipt = (d: DocumentView): ReceiptModel => ({
      name: d.originalName,
      size: formatBytes(ctx.locale, d.size),
      sha256: d.sha256,
      component: names.title(d.component),
      version: d.version,
      at: formatDateTime(ctx.locale, new Date(d.uploadedAt)),
    });
    const current = new Map(docs.current.map((d) => [d.component, d]));
    const found = receiptId ? [...docs.current, ...docs.history].find((d) => d.id === receiptId) : undefined;
    return ctx.render(
      ctx.t('dossier.title'),
      dossierView({
        t: ctx.t,
        project: headerOf(ctx.t, project),
        maxSize: formatBytes(ctx.locale, deps.maxUploadBytes),
        editable: project.allowedActions.includes('upload_document'),
        csrfToken: ctx.csrfToken,
        revision: project.revision,
        items: docs.checklist.required.map((item) => {
          const doc = current.get(item.component);
          return {
            component: item.component,
            title: names.title(item.component),
            citation: names.citation(item.component),
            unverified: names.verified(item.component) ? null : ctx.t('deadlines.unverified'),
            required: true,
            present: item.present,
            current: doc ? { name: doc.originalName, version: doc.version } : null,
          };
        }),
        ...(found ? { receipt: receipt(found) } : {}),
        files: docs.current.map(receipt),
        errors,
        checkHref: `/projects/${id}/check`,
        supplement: await supplementOf(ctx, p, project, docs.current),
      }),
      { status, hasErrors: errors.length > 0 },
    );
  };

  app.get<{ Params: { id: string }; Querystring: { receipt?: string } }>('/projects/:id/dossier', { config: read, schema: hide }, async (request, reply) =>
    dossierPage(tools.page(request, reply), request, [], typeof request.query.receipt === 'string' && UUID_RE.test(request.query.receipt) ? request.query.receipt : undefined),
  );

  app.post<{ Params: { id: string } }>('/projects/:id/documents', { config: investorWrite, schema: hide }, async (request, reply) => {
    const ctx = tools.page(request, reply);
    const id = projectId(request);
    if (!request.isMultipart()) throw new ValidationError('Send the upload form (multipart/form-data)', {}, 'MULTIPART_REQUIRED');
    const part = await request.file();
    const raw = part?.fields.component;
    const componentField = Array.isArray(raw) ? raw[0] : raw;
    const component = componentField && 'value' in componentField && typeof componentField.value === 'string' ? componentField.value : '';
    if (!part || !part.filename) {
      part?.file.resume();
      return dossierPage(ctx, request, [{ field: `file-${component || 'unknown'}`, message: ctx.t('dossier.fileRequired') }], undefined, 400);
    }
    part.file.once('limit', () => part.file.destroy(new FileTooLargeError(deps.maxUploadBytes)));
    try {
      const result = await documents.upload(sessionPrincipal(request), id, { component, fileName: part.filename, stream: part.file, truncated: () => part.file.truncated }, { requestId: request.id });
      const doc = result.body as { id: string };
      return reply.redirect(`/projects/${id}/dossier?receipt=${doc.id}#receipt`, 303);
    } catch (err) {
      part.file.resume();
      if (err instanceof AppError && err.statusCode < 500 && err.statusCode !== 404 && err.statusCode !== 403) {
        return dossierPage(ctx, request, [{ field: `file-${component}`, message: `${err.message} (${err.code})` }], undefined, err.statusCode);
      }
      throw err;
    }
  });

  // --- pre-submit check (the checklist code the API and the clerk use) and submit
  const checkPage = async (ctx: PageContext, request: FastifyRequest, extra: FieldError[] = [], status = 200) => {
    const p = sessionPrincipal(request);
    const id = projectId(request);
    const [project, docs, decl] = await Promise.all([projects.get(p, id), documents.list(p, id), projects.currentDeclaration(p, id)]);
    const names = await componentTitles(ctx.locale, project);
    const problems: FieldError[] = [
      ...(decl ? [] : [{ field: 'declaration', message: ctx.t('check.missingDeclaration') }]),
      ...docs.checklist.missing.map((c) => ({ field: `missing-${c}`, message: ctx.t('check.missingDocument', { title: names.title(c) }) })),
      ...extra,
    ];
    const action = project.allowedActions.includes('resubmit') ? 'resubmit' : 'submit';
    const allowed = project.allowedActions.includes(action);
    return ctx.render(
      ctx.t('check.title'),
      checkView({
        t: ctx.t,
        project: headerOf(ctx.t, project),
        csrfToken: ctx.csrfToken,
        revision: project.revision,
        idempotencyKey: randomUUID(),
        problems,
        fixHref: (field) => (field === 'declaration' ? `/projects/${id}/technology` : field.startsWith('missing-') ? `/projects/${id}/dossier#item-${field.slice(8)}` : `#${field}`),
        canSubmit: allowed && problems.length === 0,
        blockedReason: allowed ? null : ctx.t('check.notAllowed', { state: ctx.t(`state.${project.state}` as MessageKey) }),
        action: `/projects/${id}/${action}`,
      }),
      { status, hasErrors: problems.length > 0 },
    );
  };
  app.get<{ Params: { id: string } }>('/projects/:id/check', { config: read, schema: hide }, async (request, reply) => checkPage(tools.page(request, reply), request));

  for (const action of ['submit', 'resubmit'] as const) {
    app.post<{ Params: { id: string }; Body: Record<string, string> }>(`/projects/:id/${action}`, { config: investorWrite, schema: hide }, async (request, reply) => {
      const ctx = tools.page(request, reply);
      const id = projectId(request);
      try {
        await projects[action](sessionPrincipal(request), id, {}, formCommandMeta(request, request.body));
      } catch (err) {
        if (err instanceof PreconditionFailedError) return checkPage(ctx, request, [{ field: 'stale', message: ctx.t('project.stale') }], 412);
        if (err instanceof InvalidTransitionError || (err instanceof AppError && err.statusCode === 409)) {
          return checkPage(ctx, request, [{ field: 'submit', message: `${err.message} (${(err as AppError).code})` }], 409);
        }
        throw err;
      }
      return reply.redirect(`/projects/${id}?submitted=1`, 303);
    });
  }

  // --- history (the project's audit events)
  app.get<{ Params: { id: string } }>('/projects/:id/history', { config: read, schema: hide }, async (request, reply: FastifyReply) => {
    const ctx = tools.page(request, reply);
    const p = sessionPrincipal(request);
    const project = await projects.get(p, projectId(request));
    const events = await deps.history(p, project.id);
    return ctx.render(
      ctx.t('history.title'),
      historyView({
        t: ctx.t,
        project: headerOf(ctx.t, project),
        deadlines: deadlineRows(ctx, project),
        appointment: appointmentOf(ctx, project),
        entries: events.map((e) => ({
          at: formatDateTime(ctx.locale, new Date(e.occurredAt)),
          iso: e.occurredAt,
          action: e.toState && e.toState !== e.fromState ? `${e.action} → ${ctx.t(`state.${e.toState}` as MessageKey)}` : e.action,
          detail: [ctx.t('history.by', { actor: e.actor.sub }), e.revision !== null ? ctx.t('history.revision', { revision: e.revision }) : ''].filter(Boolean).join(' · '),
        })),
      }),
    );
  });
}
