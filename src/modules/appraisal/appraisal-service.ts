/**
 * The legal substance: screening under the rulebook in force, the appraisal of each round
 * (opinion or council), structured opinions bound to document versions, and the decision.
 * Law 07/2017/QH14 Arts. 13-21; Decision 18/2019/QĐ-TTg. The database enforces the coverage
 * invariant again (db/migrations/0006_coverage_invariant.sql).
 */
import type { ProcedureClock } from '../deadlines/procedure-clock';
import { and, asc, desc, eq, sql } from 'drizzle-orm';
import type { Db, Executor } from '../../infra/database';
import { sqlConstraint } from '../../infra/database';
import type { Principal } from '../../auth/token-verifier';
import { ConflictError, UnprocessableError, ValidationError } from '../../errors';
import { appraisals, assignments, decisions, documents, findings, opinionDocuments, opinions, projects, screenings, technologyDeclarations } from '../../../db/schema';
import type { ProjectCommandContext, CommandMeta } from '../projects/project-command';
import { loadVisibleProject, type ProjectRow } from '../projects/project-access';
import type { FactsProvider, ProjectService } from '../projects/project-service';
import { vietnamYear } from '../projects/project-service';
import type { RulebookService } from '../rulebook/rulebook-service';
import type { RulebookContent } from '../rulebook/rulebook.schema';
import { appraisalRoute, requiredComponents, screen, type Finding, type ScreeningSubject, type TechnologyDeclaration } from '../screening/screening';
import { actorFacts } from '../projects/project-access';
import type { PersistedAppraisal } from '../../../workflows/appraisal/appraisal.machine';
import { approvalBlockedError, conditionsError, decisionOutcomeOptions } from './decision-rules';

export interface OpinionInput {
  criteria: Array<{ criterion: string; verdict: 'meets' | 'does_not_meet' | 'not_applicable'; comment?: string }>;
  recommendation: 'approve' | 'approve_with_conditions' | 'reject';
  conditions?: string[];
  documentsReviewed: Array<{ documentId: string; sha256: string }>;
  /** Required dossier components not reviewed, each with the reason why not. */
  documentsNotReviewed?: Array<{ component: string; reason: string }>;
  /** Why the appraiser recommends rejection; needed when no criterion is does_not_meet. */
  reason?: string;
  conflictOfInterest: { declared: boolean; statement?: string };
}

export interface DecisionInput {
  outcome: 'approved' | 'approved_with_conditions' | 'rejected';
  reasons: Array<{ text: string; findingId?: string; criterion?: string }>;
  conditions?: string[];
}

type AppraisalRow = typeof appraisals.$inferSelect;
type OpinionRow = typeof opinions.$inferSelect;

export const subjectOf = (p: ProjectRow): ScreeningSubject => ({
  stage: p.stage as ScreeningSubject['stage'],
  sector: p.sector,
  group: p.projectGroup as ScreeningSubject['group'],
  capitalSource: p.capitalSource,
  decidingLevel: p.decidingLevel,
  environmentalGroup: p.environmentalGroup as ScreeningSubject['environmentalGroup'],
  environmentalRisk: p.environmentalRisk,
  construction: p.construction,
  highTechZone: p.highTechZone,
  technologyContributedAsCapital: p.technologyAsCapital,
});

/** Map the database's refusals (coverage and separation-of-duties triggers) to clear 409s. */
async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    const constraint = sqlConstraint(err);
    if (constraint && /^(coverage_|sod_)/.test(constraint)) {
      throw new ConflictError(`The database refused this: ${constraint}`, constraint.toUpperCase());
    }
    throw err;
  }
}

export interface AppraisalServiceDeps {
  db: Db;
  projects: ProjectService;
  rulebooks: RulebookService;
  clock: () => Date;
  /** Guard facts of a project (project-facts.ts), shared with the project view. */
  facts: FactsProvider;
  /** Called after a decision commits (signs a checkpoint of the audit chains). */
  afterDecision?: () => Promise<unknown>;
  /** Deadlines and slips of the procedure (deadlines/procedure-clock.ts). */
  procedureClock?: ProcedureClock;
}

export function createAppraisalService(deps: AppraisalServiceDeps) {
  const { db } = deps;

  // ---- facts the machine's guards need --------------------------------------------------

  async function latestScreening(x: Executor, projectId: string) {
    const [s] = await x.select().from(screenings).where(eq(screenings.projectId, projectId)).orderBy(desc(screenings.screenedAt)).limit(1);
    return s;
  }

  async function appraisalOf(x: Executor, project: ProjectRow): Promise<AppraisalRow | undefined> {
    const [a] = await x.select().from(appraisals).where(and(eq(appraisals.projectId, project.id), eq(appraisals.round, project.round)));
    return a;
  }

  /** Blocking findings and appraisal completeness: the same facts the project view uses. */
  async function facts(x: Executor, project: ProjectRow) {
    const f = await deps.facts(x, project);
    return { appraisalComplete: f.appraisalComplete === true, prohibitedFindings: f.prohibitedFindings ?? 0, unresolvedOutdatedFindings: f.unresolvedOutdatedFindings ?? 0 };
  }

  // ---- screening (inside submit / resubmit) ---------------------------------------------

  async function screenProject(ctx: ProjectCommandContext): Promise<void> {
    // Before acceptance: the version in force now; after it (a resubmission): the pinned version.
    const rulebook = await deps.rulebooks.forProject(ctx.project, ctx.now, ctx.tx);
    const [decl] = await ctx.tx
      .select()
      .from(technologyDeclarations)
      .where(eq(technologyDeclarations.projectId, ctx.project.id))
      .orderBy(desc(technologyDeclarations.version))
      .limit(1);
    const subject = subjectOf(ctx.project);
    const found: Finding[] = screen({ subject, declaration: decl!.content as TechnologyDeclaration, rulebook: rulebook.content, year: vietnamYear(ctx.now) });
    const route = appraisalRoute({ subject, findings: found, rulebook: rulebook.content, version: rulebook });
    const [s] = await ctx.tx
      .insert(screenings)
      .values({ projectId: ctx.project.id, round: ctx.project.round, rulebookVersion: rulebook.version, declarationVersion: decl!.version, route, screenedAt: ctx.now })
      .returning();
    const inserted =
      found.length === 0
        ? []
        : await ctx.tx
            .insert(findings)
            .values(found.map((f, i) => ({ screeningId: s!.id, projectId: ctx.project.id, ruleId: f.ruleId, severity: f.severity, subject: f.subject, evidence: f.evidence, citation: f.citation, ref: f.ref, verified: f.verified, note: f.note ?? null, position: i })))
            .returning({ id: findings.id, ruleId: findings.ruleId, severity: findings.severity });
    // A clerk's escalation to a council stands; otherwise the law's route sets the mode.
    const mode = ctx.project.appraisalMode === 'council' ? 'council' : route.mode;
    if (mode !== ctx.project.appraisalMode) await ctx.tx.update(projects).set({ appraisalMode: mode }).where(eq(projects.id, ctx.project.id));
    const bySeverity = Object.fromEntries(['prohibited', 'restricted', 'outdated', 'info'].map((sev) => [sev, found.filter((f) => f.severity === sev).length]));
    await ctx.apply('submit', { type: 'SCREENING_COMPLETED', facts: { actor: ctx.actor } }, {
      name: 'screening.completed',
      payload: {
        screeningId: s!.id,
        rulebookVersion: rulebook.version,
        rulebookEffectiveFrom: rulebook.effectiveFrom,
        rulebookPinned: rulebook.pinned,
        declarationVersion: decl!.version,
        findings: inserted.map((f) => ({ id: f.id, ruleId: f.ruleId, severity: f.severity })),
        bySeverity,
        route: { ruleId: route.ruleId, required: route.required, body: route.body, form: route.form, citation: route.citation, verified: route.verified, mode },
      },
    });
  }

  async function getFindings(principal: Principal, projectId: string) {
    const { project } = await loadVisibleProject(db, principal, projectId);
    const s = await latestScreening(db, project.id);
    if (!s) {
      // Not screened yet: say which version the screening will follow.
      const rb = await deps.rulebooks.forProject(project, deps.clock());
      return { projectId: project.id, screened: false, rulebookVersion: null, rulebookEffectiveFrom: null, nextScreeningRulebook: { version: rb.version, effectiveFrom: rb.effectiveFrom, pinned: rb.pinned }, screenedAt: null, route: null, findings: [] };
    }
    const rows = await db.select().from(findings).where(eq(findings.screeningId, s.id)).orderBy(asc(findings.position));
    const rb = await deps.rulebooks.version(s.rulebookVersion);
    const route = s.route as Record<string, unknown>;
    return {
      projectId: project.id,
      screened: true,
      screeningId: s.id,
      rulebookVersion: s.rulebookVersion,
      rulebookEffectiveFrom: rb.effectiveFrom,
      declarationVersion: s.declarationVersion,
      screenedAt: s.screenedAt.toISOString(),
      // Screenings stored before routing was data carry no verification mark: they are unverified.
      route: {
        ...route,
        required: route.required === true,
        body: String(route.body ?? ''),
        // Routes stored before `form` existed: derived from their mode.
        form: typeof route.form === 'string' ? route.form : route.required === true ? (route.mode === 'council' ? 'appraisal' : 'opinion') : 'none',
        citation: String(route.citation ?? ''),
        verified: route.verified === true,
        rulebookVersion: s.rulebookVersion,
        effectiveFrom: rb.effectiveFrom,
      },
      unverified: rows.filter((f) => f.verified !== true).length + (route.verified === true ? 0 : 1),
      findings: rows.map((f) => ({
        id: f.id,
        ruleId: f.ruleId,
        severity: f.severity as Finding['severity'],
        subject: f.subject,
        evidence: f.evidence,
        citation: f.citation,
        verified: f.verified === true,
        ...(f.verified === true ? {} : { note: f.note ?? 'Stored before findings carried a verification mark: confirm against the gazette.' }),
        ref: f.ref as Record<string, unknown>,
      })),
    };
  }

  // ---- appraisal of a round ---------------------------------------------------------------

  /**
   * Entering under_appraisal: open the round's appraisal, or reopen it after a supplementation.
   * The dossier or declaration may have changed since, so earlier opinions of the round become
   * stale and are renewed against what is filed now.
   */
  async function openAppraisal(ctx: ProjectCommandContext): Promise<void> {
    const mode = (ctx.project.appraisalMode ?? 'opinion') as 'opinion' | 'council';
    const existing = await appraisalOf(ctx.tx, ctx.project);
    if (!existing) {
      await ctx.tx.insert(appraisals).values({ projectId: ctx.project.id, round: ctx.project.round, mode });
      return;
    }
    const staled = await ctx.tx
      .update(opinions)
      .set({ stale: true, staleSince: ctx.now })
      .where(and(eq(opinions.appraisalId, existing.id), eq(opinions.stale, false)))
      .returning({ id: opinions.id });
    await guarded(() =>
      ctx.tx.update(appraisals).set({ status: 'open', mode, conclusion: null, requiredOpinions: null, tally: null, concludedAt: null }).where(eq(appraisals.id, existing.id)),
    );
    await ctx.record('appraisal.reopened', { appraisalId: existing.id, round: ctx.project.round, staleOpinions: staled.map((o) => o.id) });
  }

  /** How many current opinions the appraisal needs, and whether it can conclude now. */
  function tally(rb: RulebookContent, a: AppraisalRow, activeAssigned: number, current: OpinionRow[]) {
    const votes = { approve: 0, approve_with_conditions: 0, reject: 0 };
    for (const o of current) votes[o.recommendation as keyof typeof votes]++;
    const submitted = current.length;
    let required: number;
    let conclusion: 'approve' | 'approve_with_conditions' | 'reject' | 'no_majority';
    if (a.mode === 'council') {
      const members = Math.max(activeAssigned, rb.appraisal.council.minMembers);
      required = Math.ceil(rb.appraisal.council.quorumFraction * members - 1e-9);
      const approvals = votes.approve + votes.approve_with_conditions;
      const threshold = rb.appraisal.council.majorityFraction * submitted;
      conclusion =
        approvals > threshold ? (votes.approve_with_conditions > 0 ? 'approve_with_conditions' : 'approve') : votes.reject > threshold ? 'reject' : 'no_majority';
    } else {
      required = Math.max(activeAssigned, rb.appraisal.opinion.minAppraisers);
      conclusion = votes.reject > 0 ? 'reject' : votes.approve_with_conditions > 0 ? 'approve_with_conditions' : 'approve';
    }
    return { required, submitted, votes, conclusion, canConclude: submitted >= required && (a.mode === 'opinion' ? submitted >= activeAssigned : true) };
  }

  async function recordOpinion(principal: Principal, projectId: string, input: OpinionInput, meta: CommandMeta) {
    if (input.conflictOfInterest.declared) {
      throw new UnprocessableError(
        'An appraiser with a conflict of interest cannot give an opinion: declare it with POST /v1/projects/{id}/conflict-of-interest, and the clerk assigns someone else',
        'CONFLICT_OF_INTEREST_DECLARED',
      );
    }
    if (input.recommendation === 'approve_with_conditions' && !(input.conditions?.length)) {
      throw new ValidationError('approve_with_conditions needs at least one condition', {}, 'CONDITIONS_REQUIRED');
    }
    if (input.recommendation === 'reject' && !input.criteria.some((c) => c.verdict === 'does_not_meet') && !input.reason?.trim()) {
      throw new ValidationError('A reject recommendation needs at least one criterion with verdict does_not_meet, or a reason', {}, 'REJECT_REASON_REQUIRED');
    }
    const result = await deps.projects.command(principal, projectId, 'record_opinion', input, meta, async (ctx) => {
      const rb = await deps.rulebooks.forProject(ctx.project, ctx.now, ctx.tx);
      const a = await appraisalOf(ctx.tx, ctx.project);
      // Criteria: those of the project's rulebook version for its stage; one that does not apply
      // to the project (19.1(g) outside high-tech zones) may be left out.
      const stageCriteria = rb.content.criteria[ctx.project.stage as 'investment_policy' | 'investment_decision'];
      const applies = (c: (typeof stageCriteria)[number]) => c.appliesWhen !== 'high_tech_zone' || ctx.project.highTechZone;
      const expected = stageCriteria.map((c) => c.id);
      const given = input.criteria.map((c) => c.criterion);
      const missing = stageCriteria.filter((c) => applies(c) && !given.includes(c.id)).map((c) => c.id);
      const unknown = given.filter((c) => !expected.includes(c));
      if (missing.length || unknown.length || new Set(given).size !== given.length) {
        throw new UnprocessableError(`Give one verdict for each criterion of rulebook ${rb.version} (the project's version)`, 'CRITERIA_MISMATCH', { missing, unknown, expected, rulebookVersion: rb.version });
      }
      // Documents read: each must be the project's current version, with the same SHA-256.
      const current = await ctx.tx.select().from(documents).where(and(eq(documents.projectId, ctx.project.id), eq(documents.status, 'active')));
      const byId = new Map(current.map((d) => [d.id, d]));
      const notCurrent = input.documentsReviewed.filter((r) => byId.get(r.documentId)?.sha256 !== r.sha256);
      if (notCurrent.length > 0) {
        throw new ConflictError('Opinions rest on the current document versions; reload the dossier', 'DOCUMENT_NOT_CURRENT', { documents: notCurrent.map((d) => d.documentId) });
      }
      // Every current required document is reviewed, or the opinion says, per document, why not.
      const reviewedComponents = new Set(input.documentsReviewed.map((r) => byId.get(r.documentId)?.component));
      const excused = new Map((input.documentsNotReviewed ?? []).map((d) => [d.component, d.reason]));
      const required = requiredComponents(rb.content, subjectOf(ctx.project)).map((c) => c.id);
      const unreviewed = required.filter((c) => current.some((d) => d.component === c) && !reviewedComponents.has(c) && !excused.get(c)?.trim());
      if (unreviewed.length > 0) {
        throw new UnprocessableError(
          `The opinion must state it reviewed every current required dossier document, or say per document why not (documentsNotReviewed): ${unreviewed.join(', ')}`,
          'DOCUMENTS_NOT_REVIEWED',
          { components: unreviewed, documents: current.filter((d) => unreviewed.includes(d.component)).map((d) => ({ documentId: d.id, component: d.component, sha256: d.sha256 })) },
        );
      }
      const facts0 = { actor: ctx.actor, ...(await facts(ctx.tx, ctx.project)) };
      // The machine refuses first (state, assignment, conflict), before any row is written.
      ctx.check('record_opinion', { type: 'RECORD_OPINION', facts: { ...facts0, appraisalComplete: false } });
      if (!a || a.status !== 'open') throw new ConflictError('The appraisal of this round is not open', 'APPRAISAL_NOT_OPEN');
      const [opinion] = await guarded(() =>
        ctx.tx
          .insert(opinions)
          .values({
            appraisalId: a!.id,
            projectId: ctx.project.id,
            appraiserSub: principal.sub,
            appraiserOrg: principal.org,
            criteria: input.criteria,
            recommendation: input.recommendation,
            conditions: input.conditions ?? [],
            conflictDeclared: false,
            reason: input.reason ?? null,
            documentsNotReviewed: input.documentsNotReviewed ?? [],
            createdAt: ctx.now,
          })
          .returning(),
      );
      await ctx.tx.insert(opinionDocuments).values(input.documentsReviewed.map((d) => ({ opinionId: opinion!.id, documentId: d.documentId, sha256: d.sha256 })));

      const [{ n: assigned }] = (await ctx.tx.execute(sql`
        select count(*)::int as n from assignments where project_id = ${ctx.project.id} and round = ${ctx.project.round} and status = 'active'
      `)) as unknown as [{ n: number }];
      const currentOpinions = await ctx.tx.select().from(opinions).where(and(eq(opinions.appraisalId, a!.id), eq(opinions.stale, false)));
      const t = tally(rb.content, a!, assigned, currentOpinions);
      if (t.canConclude) {
        await guarded(() =>
          ctx.tx
            .update(appraisals)
            .set({ status: 'concluded', requiredOpinions: t.required, conclusion: t.conclusion, tally: { votes: t.votes, submitted: t.submitted, required: t.required, rulebookVersion: rb.version }, concludedAt: ctx.now })
            .where(eq(appraisals.id, a!.id)),
        );
      }
      await ctx.apply('record_opinion', { type: 'RECORD_OPINION', facts: { ...facts0, appraisalComplete: t.canConclude } }, {
        name: 'opinion.recorded',
        payload: {
          opinionId: opinion!.id,
          appraisalId: a!.id,
          round: ctx.project.round,
          recommendation: input.recommendation,
          conditions: input.conditions ?? [],
          criteria: input.criteria.map((c) => ({ criterion: c.criterion, verdict: c.verdict })),
          documentsReviewed: input.documentsReviewed,
          documentsNotReviewed: input.documentsNotReviewed ?? [],
          reason: input.reason ?? null,
          rulebookVersion: rb.version,
        },
      });
      if (t.canConclude) {
        await ctx.record('appraisal.concluded', {
          appraisalId: a!.id,
          round: ctx.project.round,
          mode: a!.mode,
          conclusion: t.conclusion,
          votes: t.votes,
          required: t.required,
          opinions: currentOpinions.map((o) => o.id),
        });
        await ctx.notify({ kind: 'appraisal.concluded', recipientRole: 'approver', message: `Project ${ctx.project.code} is appraised (${t.conclusion}) and awaits a decision` });
      }
    });
    return result;
  }

  async function escalate(principal: Principal, projectId: string, input: { reason: string }, meta: CommandMeta) {
    return deps.projects.command(principal, projectId, 'escalate_to_council', input, meta, async (ctx) => {
      if (ctx.project.appraisalMode === 'council') throw new ConflictError('The appraisal is already a council appraisal', 'ALREADY_COUNCIL');
      const from = ctx.project.appraisalMode ?? 'opinion';
      ctx.check('escalate_to_council', { type: 'ESCALATE_TO_COUNCIL', facts: { actor: ctx.actor } });
      // Same row, same transaction: the transition's conditional update returns it with the new mode.
      await ctx.tx.update(projects).set({ appraisalMode: 'council' }).where(eq(projects.id, ctx.project.id));
      await ctx.apply('escalate_to_council', { type: 'ESCALATE_TO_COUNCIL', facts: { actor: ctx.actor } }, { name: 'appraisal.escalated', payload: { reason: input.reason, from, to: 'council' } });
      await ctx.tx.update(appraisals).set({ mode: 'council' }).where(and(eq(appraisals.projectId, ctx.project.id), eq(appraisals.round, ctx.project.round), eq(appraisals.status, 'open')));
    });
  }

  async function decide(principal: Principal, projectId: string, input: DecisionInput, meta: CommandMeta) {
    const result = await deps.projects.command(principal, projectId, 'decide', input, meta, async (ctx) => {
      const a = await appraisalOf(ctx.tx, ctx.project);
      const f = await facts(ctx.tx, ctx.project);
      const latest = await latestScreening(ctx.tx, ctx.project.id);
      const projectFindings = latest ? await ctx.tx.select().from(findings).where(eq(findings.screeningId, latest.id)) : [];
      const rb = await deps.rulebooks.forProject(ctx.project, ctx.now, ctx.tx);
      const criteria = new Set(rb.content.criteria[ctx.project.stage as 'investment_policy' | 'investment_decision'].map((c) => c.id));
      const findingIds = new Set(projectFindings.map((x) => x.id));
      for (const r of input.reasons) {
        if (r.findingId && !findingIds.has(r.findingId)) throw new UnprocessableError(`Finding ${r.findingId} is not a finding of this project's latest screening`, 'UNKNOWN_FINDING');
        if (r.criterion && !criteria.has(r.criterion)) throw new UnprocessableError(`"${r.criterion}" is not a criterion of rulebook ${rb.version} (the project's version)`, 'UNKNOWN_CRITERION');
      }
      const approving = input.outcome !== 'rejected';
      const blocked = approvalBlockedError(ctx.project.state, input.outcome, f, projectFindings);
      if (blocked) throw blocked;
      if (!approving && !input.reasons.some((r) => r.findingId || r.criterion)) {
        throw new UnprocessableError('A rejection must cite at least one finding (findingId) or appraisal criterion (criterion)', 'REASONS_MUST_CITE');
      }
      // Conditions of the opinions carry into the decision.
      const current = a ? await ctx.tx.select().from(opinions).where(and(eq(opinions.appraisalId, a.id), eq(opinions.stale, false))) : [];
      const conditions = [...new Set([...current.flatMap((o) => o.conditions as string[]), ...(input.conditions ?? [])])];
      const conditionsRefused = conditionsError(input.outcome, conditions);
      if (conditionsRefused) throw conditionsRefused;
      const decisionFacts = { actor: ctx.actor, ...f };
      ctx.check('decide', { type: 'DECIDE', outcome: input.outcome, facts: decisionFacts });
      let decisionId: string | undefined;
      if (a && ctx.project.state === 'appraised') {
        const [d] = await guarded(() =>
          ctx.tx
            .insert(decisions)
            .values({ projectId: ctx.project.id, appraisalId: a.id, outcome: input.outcome, reasons: input.reasons, conditions, decidedBy: principal.sub, decidedByOrg: principal.org, createdAt: ctx.now })
            .returning({ id: decisions.id }),
        );
        decisionId = d!.id;
      }
      await guarded(() =>
        ctx.apply('decide', { type: 'DECIDE', outcome: input.outcome, facts: decisionFacts }, {
          name: 'decision.recorded',
          payload: {
            decisionId: decisionId ?? null,
            outcome: input.outcome,
            appraisalId: a?.id ?? null,
            appraisalConclusion: a?.conclusion ?? null,
            opinions: current.map((o) => o.id),
            reasons: input.reasons,
            conditions,
            screeningId: latest?.id ?? null,
            rulebookVersion: rb.version,
          },
        }),
      );
      await ctx.notify({ kind: 'decision.recorded', recipientRole: 'investor', recipientOrg: ctx.project.organisation, message: `Project ${ctx.project.code}: ${input.outcome.replace(/_/g, ' ')}` });
      // The result step closes; the process-control slip and the result document (last in the transaction).
      await deps.procedureClock?.decided(ctx, { outcome: input.outcome, reasons: input.reasons.map((r) => r.text), conditions });
    });
    // Signing the chain heads reads every head: it runs after the answer, not before it (the
    // checkpoint service's stop() waits for it on shutdown).
    if (!result.replayed) void deps.afterDecision?.().catch(() => {});
    return result;
  }

  async function reportTechnologyChange(principal: Principal, projectId: string, input: { description: string }, meta: CommandMeta) {
    return deps.projects.command(principal, projectId, 'report_technology_change', input, meta, async (ctx) => {
      await ctx.apply('report_technology_change', { type: 'REPORT_TECHNOLOGY_CHANGE', facts: { actor: ctx.actor } }, {
        name: 'technology_change.reported',
        payload: { description: input.description, previousRound: ctx.project.round, citation: 'Law 07/2017/QH14, Art. 13.4' },
      });
      await ctx.notify({ kind: 'technology_change.reported', recipientRole: 'clerk', message: `Project ${ctx.project.code} reported a change of its approved technology (round ${ctx.project.round})` });
    });
  }

  async function appraisalView(principal: Principal, projectId: string) {
    const { project } = await loadVisibleProject(db, principal, projectId);
    const rows = await db.select().from(appraisals).where(eq(appraisals.projectId, project.id)).orderBy(asc(appraisals.round));
    const out = [];
    for (const a of rows) {
      const ops = await db.select().from(opinions).where(eq(opinions.appraisalId, a.id)).orderBy(asc(opinions.createdAt));
      const docs = await db.select().from(opinionDocuments).where(sql`${opinionDocuments.opinionId} in (select id from opinions where appraisal_id = ${a.id})`);
      const [dec] = await db.select().from(decisions).where(eq(decisions.appraisalId, a.id));
      const assigned = await db.select().from(assignments).where(and(eq(assignments.projectId, project.id), eq(assignments.round, a.round)));
      out.push({
        id: a.id,
        round: a.round,
        mode: a.mode,
        status: a.status,
        requiredOpinions: a.requiredOpinions,
        conclusion: a.conclusion,
        tally: a.tally,
        concludedAt: a.concludedAt?.toISOString() ?? null,
        appraisers: assigned.map((s) => ({ sub: s.appraiserSub, status: s.status })),
        opinions: ops.map((o) => ({
          id: o.id,
          appraiser: o.appraiserSub,
          recommendation: o.recommendation,
          conditions: o.conditions,
          criteria: o.criteria,
          reason: o.reason,
          documentsNotReviewed: o.documentsNotReviewed,
          stale: o.stale,
          recordedAt: o.createdAt.toISOString(),
          documentsReviewed: docs.filter((d) => d.opinionId === o.id).map((d) => ({ documentId: d.documentId, sha256: d.sha256 })),
        })),
        decision: dec ? { id: dec.id, outcome: dec.outcome, reasons: dec.reasons, conditions: dec.conditions, decidedBy: dec.decidedBy, decidedAt: dec.createdAt.toISOString() } : null,
      });
    }
    return { projectId: project.id, appraisals: out };
  }

  /**
   * What the caller may decide now: per outcome, the refusal the decide command would answer
   * (decision-rules.ts, the same functions decide() throws from), the opinions' conditions that
   * carry into the decision, and the project's revision for If-Match.
   */
  async function decisionOptions(principal: Principal, projectId: string) {
    const { project, relation } = await loadVisibleProject(db, principal, projectId);
    const f = await deps.facts(db, project);
    const latest = await latestScreening(db, project.id);
    const projectFindings = latest ? await db.select().from(findings).where(eq(findings.screeningId, latest.id)) : [];
    const a = await appraisalOf(db, project);
    const current = a ? await db.select().from(opinions).where(and(eq(opinions.appraisalId, a.id), eq(opinions.stale, false))) : [];
    const opinionConditions = [...new Set(current.flatMap((o) => o.conditions as string[]))];
    const options = decisionOutcomeOptions({
      snapshot: project.snapshot as PersistedAppraisal,
      state: project.state,
      facts: { actor: actorFacts(principal, relation), ...f },
      findings: projectFindings,
      opinionConditions,
    });
    return { projectId: project.id, state: project.state, revision: project.revision, opinionConditions, options };
  }

  return { screenProject, openAppraisal, getFindings, recordOpinion, escalate, decide, reportTechnologyChange, appraisalView, decisionOptions };
}
export type AppraisalService = ReturnType<typeof createAppraisalService>;
