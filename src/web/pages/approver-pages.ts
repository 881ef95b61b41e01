import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Value } from '@sinclair/typebox/value';
import { FormatRegistry } from '@sinclair/typebox';
import { AppError, PreconditionFailedError } from '../../errors';
import type { ProjectService, ProjectView } from '../../modules/projects/project-service';
import type { DocumentService } from '../../modules/documents/document-service';
import type { RulebookService } from '../../modules/rulebook/rulebook-service';
import type { AppraisalService, DecisionInput } from '../../modules/appraisal/appraisal-service';
import type { SlipService } from '../../modules/slips/slip-service';
import { DECISION_OUTCOMES, type DecisionOutcome } from '../../modules/appraisal/decision-rules';
import { DecisionBody } from '../../routes/appraisal.routes';
import { formatDateTime, type Translate } from '../i18n/translator';
import type { MessageKey } from '../i18n/catalogue-vi';
import type { PageContext } from '../page-context';
import type { WebTools } from '../web-plugin';
import type { FieldError } from '../views/layout.view';
import type { ProjectHeaderModel } from '../views/project.view';
import { decisionsQueueView, decisionView, type MatrixModel, type OutcomeOptionModel } from '../views/approver.view';
import { UUID_RE, sessionPrincipal, pathUuid, formCommandMeta } from './page-input';

/**
 * The approver's screens: the queue of appraised projects (nearest due first) and the decision
 * page — findings, the opinions matrix with the document versions each opinion rests on, what the
 * approver may and may not decide with the reason the rules give (decision-rules.ts, through the
 * appraisal service), and the decision form (the same command as POST /v1/projects/:id/decision).
 */
export interface ApproverPagesDeps {
  projects: ProjectService;
  appraisal: AppraisalService;
  documents: DocumentService;
  rulebooks: RulebookService;
  slips: SlipService;
}

const hide = { hide: true };
// TypeBox's checker knows no string formats by itself (Fastify's ajv does): the decision body uses uuid.
if (!FormatRegistry.Has('uuid')) FormatRegistry.Set('uuid', (v) => UUID_RE.test(v));
// The decision page is a form: an auditor (read-only whatever role is chosen) may not open it.
const approverWrite = { access: { session: ['approver' as const], write: true } };
const approverRead = { access: { session: ['approver' as const], write: false } };

const STATE_TONE: Record<string, string> = { draft: 'tag--grey', awaiting_supplement: 'tag--yellow', approved: 'tag--green', rejected: 'tag--red', withdrawn: 'tag--grey' };
const DEADLINE_TONE: Record<string, string> = { overdue: 'tag--red', paused: 'tag--grey', running: '', met: 'tag--green' };
const SEVERITY_TONE: Record<string, string> = { prohibited: 'tag--red', outdated: 'tag--red', restricted: 'tag--yellow', info: 'tag--grey' };
const VERDICT_TONE: Record<string, string> = { meets: 'tag--green', does_not_meet: 'tag--red', not_applicable: 'tag--grey' };
const KNOWN_RULES = ['role', 'read_only', 'separation_of_duties', 'independence', 'conflict_of_interest'];

function headerOf(t: Translate, p: ProjectView): ProjectHeaderModel {
  return { code: p.code, name: p.name, state: t(`state.${p.state}` as MessageKey), stateTag: STATE_TONE[p.state] ?? '', href: `/projects/${p.id}` };
}

/** The reason a person reads for a refusal of the decide command (the stable code is shown beside it). */
export function refusalText(t: Translate, err: AppError, state: string): string {
  const d = err.details as { kind?: string; rule?: string; precondition?: string };
  switch (err.code) {
    case 'APPROVAL_BLOCKED':
      return t(d.kind === 'prohibited' ? 'refusal.APPROVAL_BLOCKED.prohibited' : 'refusal.APPROVAL_BLOCKED.outdated');
    case 'CONDITIONS_APPLY':
    case 'CONDITIONS_REQUIRED':
    case 'REASONS_MUST_CITE':
      return t(`refusal.${err.code}`);
    case 'NOT_PERMITTED':
      return t(KNOWN_RULES.includes(d.rule ?? '') ? (`refusal.rule.${d.rule}` as MessageKey) : 'refusal.rule.other');
    case 'INVALID_TRANSITION':
      return d.precondition === 'appraisal_incomplete' || d.precondition === 'blocking_findings' ? t(`refusal.${d.precondition}`) : t('refusal.state', { state: t(`state.${state}` as MessageKey) });
    default:
      return err.message;
  }
}

/** Which form field a refusal belongs to (the error summary links there). */
function fieldOfRefusal(code: string): string {
  if (code === 'CONDITIONS_REQUIRED') return 'conditions';
  if (code === 'REASONS_MUST_CITE' || code === 'UNKNOWN_FINDING' || code === 'UNKNOWN_CRITERION') return 'cite';
  return 'outcome';
}

interface FormValues {
  outcome: string;
  reason: string;
  cite: string;
  conditions: string;
}

export function registerApproverPages(app: FastifyInstance, tools: WebTools, deps: ApproverPagesDeps) {
  const { projects, appraisal, documents, rulebooks, slips } = deps;

  app.get('/decisions', { config: approverRead, schema: hide }, async (request, reply) => {
    const ctx = tools.page(request, reply);
    const page = await projects.list(sessionPrincipal(request), { state: 'appraised', limit: 100 });
    const nextDue = (p: ProjectView) => p.deadlines.filter((d) => d.closedAt === null && d.dueAt).sort((a, b) => a.dueAt!.localeCompare(b.dueAt!))[0];
    const rows = page.items
      .map((p) => ({ p, due: nextDue(p) }))
      .sort((a, b) => (a.due?.dueAt ?? '\uffff').localeCompare(b.due?.dueAt ?? '\uffff') || a.p.code.localeCompare(b.p.code))
      .map(({ p, due }) => ({
        href: `/projects/${p.id}/decision`,
        code: p.code,
        name: p.name,
        due: due?.dueAt ? formatDateTime(ctx.locale, new Date(due.dueAt)) : ctx.t('decisions.noDue'),
        dueIso: due?.dueAt ?? null,
        dueStatus: due ? ctx.t(`deadline.${due.status}` as MessageKey) : '',
        dueTone: due ? (DEADLINE_TONE[due.status] ?? '') : '',
      }));
    return ctx.render(ctx.t('decisions.title'), decisionsQueueView({ t: ctx.t, rows }));
  });

  const page = async (ctx: PageContext, request: FastifyRequest, values: FormValues, errors: FieldError[], status = 200, decided: DecisionOutcome | null = null) => {
    const { t, locale } = ctx;
    const p = sessionPrincipal(request);
    const id = pathUuid(request);
    const [project, findings, rounds, docs, options, issued] = await Promise.all([
      projects.get(p, id),
      appraisal.getFindings(p, id),
      appraisal.appraisalView(p, id),
      documents.list(p, id),
      appraisal.decisionOptions(p, id),
      slips.list(p, id),
    ]);
    const rb = await rulebooks.version(project.rulebookVersion.version);
    const criteria = rb.content.criteria[project.stage as 'investment_policy' | 'investment_decision'] ?? [];
    const titleOf = (c: { title: string; titleVi?: string }) => (locale === 'vi' ? (c.titleVi ?? c.title) : c.title);
    const components = new Map(Object.values(rb.content.dossierComponents).flat().map((c) => [c.id, c]));
    const componentTitle = (id: string) => (components.get(id) ? titleOf(components.get(id)!) : id);
    const allDocs = new Map([...docs.current, ...docs.history].map((d) => [d.id, d]));
    const round = rounds.appraisals.find((a) => (a as { round: number }).round === project.round) as
      | {
          round: number;
          mode: string;
          status: string;
          requiredOpinions: number | null;
          conclusion: string | null;
          opinions: Array<{ appraiser: string; recommendation: string; conditions: string[]; criteria: Array<{ criterion: string; verdict: string; comment?: string }>; stale: boolean; recordedAt: string; documentsReviewed: Array<{ documentId: string; sha256: string }> }>;
          decision: { outcome: string; reasons: Array<{ text: string }>; conditions: string[]; decidedBy: string; decidedAt: string } | null;
        }
      | undefined;
    const opinions = round?.opinions ?? [];
    const matrix: MatrixModel = {
      columns: opinions.map((o) => ({ appraiser: o.appraiser, recommendation: t(`recommendation.${o.recommendation}` as MessageKey), stale: o.stale, recordedAt: formatDateTime(locale, new Date(o.recordedAt)) })),
      rows: criteria.map((c) => ({
        criterion: titleOf(c),
        cells: opinions.map((o) => {
          const v = o.criteria.find((x) => x.criterion === c.id);
          return v ? { verdict: t(`verdict.${v.verdict}` as MessageKey), tone: VERDICT_TONE[v.verdict] ?? '', comment: v.comment ?? '' } : { verdict: t('verdict.none'), tone: 'tag--grey', comment: '' };
        }),
      })),
      conditions: options.opinionConditions,
      documents: opinions.map((o) => ({
        appraiser: `${o.appraiser} — ${t('decision.documentsSeen')}`,
        items: o.documentsReviewed.map((r) => {
          const d = allDocs.get(r.documentId);
          return { component: d ? componentTitle(d.component) : r.documentId, name: d?.originalName ?? '', version: d ? t('decision.version', { version: d.version }) : '', sha256: r.sha256.slice(0, 16), current: d?.status === 'active' };
        }),
      })),
    };
    const outcomeOptions: OutcomeOptionModel[] = options.options.map((o) => ({
      outcome: o.outcome,
      label: t(`outcome.${o.outcome}` as MessageKey),
      allowed: o.refusal === null,
      reason: o.refusal ? refusalText(t, o.refusal, project.state) : '',
      code: o.refusal?.code ?? '',
    }));
    const route = findings.route as { form?: string; body?: string; citation?: string } | null;
    const model = {
      t,
      project: headerOf(t, project),
      // Only a decision that is on record is announced (the query string alone proves nothing).
      notice: decided && round?.decision?.outcome === decided ? t('decision.decided', { outcome: t(`outcome.${decided}`) }) : null,
      findings: {
        screened: findings.screened,
        intro: t('decision.findingsIntro', { version: findings.rulebookVersion ?? '', at: findings.screenedAt ? formatDateTime(locale, new Date(findings.screenedAt)) : '' }),
        route: route ? t('decision.route', { form: route.form ?? '', body: route.body ?? '', citation: route.citation ?? '' }) : null,
        rows: findings.findings.map((f) => ({ severity: t(`severity.${f.severity}` as MessageKey), tone: SEVERITY_TONE[f.severity] ?? '', subject: f.subject, evidence: f.evidence, citation: f.citation, unverified: !f.verified })),
      },
      appraisalSummary: round
        ? t('decision.appraisal', { round: round.round, mode: round.mode, status: round.status, required: round.requiredOpinions ?? '—', conclusion: round.conclusion ? t(`recommendation.${round.conclusion}` as MessageKey) : '—' })
        : null,
      matrix,
      options: outcomeOptions,
      form: {
        action: `/projects/${id}/decision`,
        csrfToken: ctx.csrfToken,
        revision: options.revision,
        idempotencyKey: randomUUID(),
        open: outcomeOptions.some((o) => o.allowed),
        values,
        citeOptions: [
          ...findings.findings.map((f) => ({ value: `finding:${f.id}`, text: t('decision.citeFinding', { text: `${t(`severity.${f.severity}` as MessageKey)} — ${f.subject}` }) })),
          ...criteria.map((c) => ({ value: `criterion:${c.id}`, text: t('decision.citeCriterion', { text: titleOf(c) }) })),
        ],
        opinionConditions: options.opinionConditions,
      },
      recorded: round?.decision
        ? {
            text: t('decision.decidedBy', { outcome: t(`outcome.${round.decision.outcome}` as MessageKey), by: round.decision.decidedBy, at: formatDateTime(locale, new Date(round.decision.decidedAt)) }),
            reasons: round.decision.reasons.map((r) => r.text),
            conditions: round.decision.conditions,
          }
        : null,
      slips: issued.map((s) => ({ href: `/projects/${id}/decision/slips/${s.id}`, label: t('decision.slipDownload', { form: s.formLabel ?? (s.form === 'result' ? t('decision.resultDocument') : s.form), number: s.numberLabel }), code: t('decision.slipCode', { code: s.verificationCode }) })),
      errors,
    };
    return ctx.render(t('decision.title'), decisionView(model), { status, hasErrors: errors.length > 0 });
  };

  const empty: FormValues = { outcome: '', reason: '', cite: '', conditions: '' };

  app.get<{ Querystring: { decided?: string } }>('/projects/:id/decision', { config: approverWrite, schema: hide }, async (request, reply) => {
    const ctx = tools.page(request, reply);
    const decided = DECISION_OUTCOMES.find((o) => o === request.query.decided);
    return page(ctx, request, empty, [], 200, decided ?? null);
  });

  app.post<{ Body: Record<string, string | string[] | undefined> }>('/projects/:id/decision', { config: approverWrite, schema: hide }, async (request, reply) => {
    const ctx = tools.page(request, reply);
    const { t } = ctx;
    const b = request.body ?? {};
    const str = (k: string) => (typeof b[k] === 'string' ? (b[k] as string) : '');
    const values: FormValues = { outcome: str('outcome'), reason: str('reason').trim(), cite: str('cite'), conditions: str('conditions') };
    const errors: FieldError[] = [];
    const outcome = DECISION_OUTCOMES.find((o) => o === values.outcome) as DecisionOutcome | undefined;
    if (!outcome) errors.push({ field: 'outcome', message: t('decision.outcomeRequired') });
    if (!values.reason) errors.push({ field: 'reason', message: t('decision.reasonRequired') });
    const cite = /^finding:([0-9a-f-]{36})$/i.exec(values.cite) ?? null;
    const criterion = /^criterion:([a-z0-9_.-]{1,100})$/i.exec(values.cite) ?? null;
    const conditions = values.conditions.split(/\r?\n/).map((c) => c.trim()).filter(Boolean);
    const input: DecisionInput = {
      outcome: outcome ?? 'approved',
      reasons: [{ text: values.reason, ...(cite ? { findingId: cite[1]!.toLowerCase() } : {}), ...(criterion ? { criterion: criterion[1]! } : {}) }],
      ...(conditions.length ? { conditions } : {}),
    };
    // The API's own schema: lengths and counts (the first problem per field).
    for (const e of Value.Errors(DecisionBody, input)) {
      const field = e.path.startsWith('/conditions') ? 'conditions' : e.path.startsWith('/reasons') ? 'reason' : 'outcome';
      if (errors.some((x) => x.field === field)) continue;
      errors.push({ field, message: t('field.invalid', { message: e.message }) });
    }
    if (errors.length) return page(ctx, request, values, errors, 400);
    const id = pathUuid(request);
    try {
      await appraisal.decide(sessionPrincipal(request), id, input, formCommandMeta(request, b));
    } catch (err) {
      if (err instanceof PreconditionFailedError) return page(ctx, request, values, [{ field: 'outcome', message: `${t('project.stale')} (${err.code})` }], 412);
      if (err instanceof AppError && err.statusCode < 500 && err.statusCode !== 404) {
        const project = await projects.get(sessionPrincipal(request), id);
        return page(ctx, request, values, [{ field: fieldOfRefusal(err.code), message: `${refusalText(t, err, project.state)} (${err.code})` }], err.statusCode);
      }
      throw err;
    }
    return reply.redirect(`/projects/${id}/decision?decided=${input.outcome}#recorded`, 303);
  });

  // The issued slips and the result document, for the signed-in approver (the API's download needs a bearer token).
  app.get('/projects/:id/decision/slips/:slipId', { config: approverRead, schema: hide }, async (request, reply) => {
    const id = pathUuid(request);
    const { slip, stream } = await slips.content(sessionPrincipal(request), pathUuid(request, 'slipId'));
    if (slip.projectId !== id) throw new AppError(404, 'NOT_FOUND', 'Not found');
    return reply
      .header('content-type', 'application/pdf')
      .header('content-disposition', `attachment; filename="${slip.form}-${slip.year}-${slip.number}.pdf"`)
      .header('x-content-sha256', slip.sha256)
      .header('cache-control', 'private, no-store')
      .send(stream);
  });
}
