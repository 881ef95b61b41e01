import { sql, and, desc, eq, type SQL } from 'drizzle-orm';
import type { Db, Executor } from '../../infra/database';
import { sqlConstraint } from '../../infra/database';
import type { Principal } from '../../auth/token-verifier';
import { ForbiddenError, UnprocessableError, ValidationError, ConflictError } from '../../errors';
import {
  allowedActions,
  APPRAISAL_MACHINE_ID,
  APPRAISAL_MACHINE_VERSION,
  initialPersisted,
  type Action,
  type Facts,
  type PersistedAppraisal,
  type ProjectState,
} from '../../../workflows/appraisal/appraisal.machine';
import { projects, assignments, conflictDeclarations, technologyDeclarations } from '../../../db/schema';
import { appraiserBars, loadKnownPeople, loadPersonFacts } from '../appraisal/assignment-rules';
import type { CommandRunner, RunResult } from '../commands/command-runner';
import { appendAuditEvent } from '../audit/audit-writer';
import { actorFacts, loadRelation, loadVisibleProject, relationColumns, toRelation, visibleProjectsCondition, type ActorRelation, type ProjectRow } from './project-access';
import { openProjectCommand, prefetchProject, type CommandMeta, type PrefetchedProject, type ProjectCommandContext } from './project-command';
import type { RulebookService } from '../rulebook/rulebook-service';
import { componentCodes, environmentalRiskOf } from '../screening/screening';
import type { ProcedureClock } from '../deadlines/procedure-clock';
import type { DeadlineView } from '../deadlines/deadline-service';

export interface NewProject {
  name: string;
  description?: string;
  sector: string;
  location: string;
  capitalVnd: number;
  stage: 'investment_policy' | 'investment_decision';
  group: 'national_key' | 'A' | 'B' | 'C';
  capitalSource: string;
  decidingLevel: string;
  /** Environmental group under the Law on Environmental Protection 2020; the risk flag follows from it. */
  environmentalGroup?: 'I' | 'II' | 'III' | 'IV';
  /** Deprecated: the investor's own flag, accepted only without a group (and must agree with it). */
  environmentalRisk?: boolean;
  technologyAsCapital?: boolean;
  highTechZone?: boolean;
  /** Construction investment project (Art. 13.3): required at the investment-decision stage. */
  construction?: boolean;
}

export interface RulebookRef {
  version: string;
  effectiveFrom: string;
  /** True once the dossier was accepted complete: the project keeps this version. */
  pinned: boolean;
  pinnedAt: string | null;
}

export interface ProjectView {
  id: string;
  code: string;
  organisation: string;
  name: string;
  description: string | null;
  sector: string;
  location: string;
  capitalVnd: number;
  stage: string;
  group: string;
  capitalSource: string;
  decidingLevel: string;
  environmentalGroup: string | null;
  environmentalRisk: boolean;
  environmentalRiskBasis: 'environmental_group' | 'declared';
  technologyAsCapital: boolean;
  highTechZone: boolean;
  construction: boolean | null;
  rulebookVersion: RulebookRef;
  state: ProjectState;
  round: number;
  appraisalMode: 'opinion' | 'council' | null;
  revision: number;
  machine: { id: string; version: number };
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  allowedActions: Action[];
  /** The appointment date of the receipt (Vietnam date): the result step's due date, or the apology's new date. */
  appointmentDate: string | null;
  deadlines: DeadlineView[];
}

export interface ListQuery {
  /** Open deadlines due before this instant. */
  dueBefore?: string;
  /** Only projects with (true) or without (false) an overdue open deadline. */
  overdue?: boolean;
  /** Only projects whose clock is (true) or is not (false) paused. */
  paused?: boolean;
  state?: ProjectState;
  organisation?: string;
  stage?: string;
  q?: string;
  limit: number;
  cursor?: string;
}

/** Extra facts some guards need (dossier, appraisal, findings), supplied by the modules that own them. */
export type FactsProvider = (db: Executor, project: ProjectRow) => Promise<Omit<Facts, 'actor'>>;
/** The same facts for a page of projects in one round trip, keyed by project id (the projects list). */
export type BatchFactsProvider = (db: Executor, projects: readonly ProjectRow[]) => Promise<Map<string, Omit<Facts, 'actor'>>>;
type ClockOf = { deadlines: DeadlineView[]; appointmentDate: string | null };

// Built once: constructing an Intl formatter costs far more than using one.
const VIETNAM_YEAR = new Intl.DateTimeFormat('en', { timeZone: 'Asia/Ho_Chi_Minh', year: 'numeric' });

/** The calendar year in Vietnam's time zone (UTC+7): tracking codes and machine ages count by it. */
export function vietnamYear(now: Date): number {
  return Number(VIETNAM_YEAR.format(now));
}

function encodeCursor(createdAt: Date, id: string): string {
  return Buffer.from(JSON.stringify([createdAt.toISOString(), id])).toString('base64url');
}
function decodeCursor(cursor: string): [string, string] {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && !Number.isNaN(Date.parse(v[0])) && typeof v[1] === 'string' && /^[0-9a-f-]{36}$/.test(v[1])) {
      return [v[0], v[1]];
    }
  } catch {
    /* fall through */
  }
  throw new ValidationError('The cursor is not one this service issued', {}, 'INVALID_CURSOR');
}

export interface ProjectServiceDeps {
  db: Db;
  /** Sectors, environmental groups, component codes and the version a project follows. */
  rulebooks: RulebookService;
  runner: CommandRunner;
  trackingCodePrefix: string;
  clock: () => Date;
  /** Dossier, appraisal and finding facts for the machine's guards (project-facts.ts). */
  facts: FactsProvider;
  /** Screening inside submit/resubmit: must end by sending SCREENING_COMPLETED. */
  screen?: (ctx: ProjectCommandContext) => Promise<void>;
  /** Called in the transaction that moves a project into under_appraisal (opens the round's appraisal). */
  enteredAppraisal?: (ctx: ProjectCommandContext) => Promise<void>;
  /** Deadlines and slips of the procedure, called last in a command's transaction (deadlines/procedure-clock.ts). */
  procedureClock?: ProcedureClock;
  /** The project's deadlines and appointment date for the view. */
  deadlinesOf?: (x: Executor, project: ProjectRow) => Promise<{ deadlines: DeadlineView[]; appointmentDate: string | null }>;
  /**
   * The list's batched reads: with both, a page of the list costs a constant number of queries
   * (the page with each caller relation, then the facts and the deadlines of the whole page).
   */
  factsMany?: BatchFactsProvider;
  deadlinesOfMany?: (x: Executor, projects: readonly ProjectRow[]) => Promise<Map<string, ClockOf>>;
}

export function createProjectService(deps: ProjectServiceDeps) {
  const { db, runner, clock } = deps;

  const factsFor = deps.facts;

  async function fullFacts(x: Executor, project: ProjectRow, principal: Principal, relation: ActorRelation): Promise<Facts> {
    return { actor: actorFacts(principal, relation), ...(await factsFor(x, project)) };
  }

  async function view(x: Executor, project: ProjectRow, principal: Principal, relation?: ActorRelation): Promise<ProjectView> {
    const rel = relation ?? (await loadRelation(x, principal, project));
    // Independent reads, issued together: one round trip on the transaction's connection.
    const [facts, rb, clockOf] = await Promise.all([
      fullFacts(x, project, principal, rel),
      deps.rulebooks.forProject(project, clock(), x),
      deps.deadlinesOf ? deps.deadlinesOf(x, project) : Promise.resolve({ deadlines: [], appointmentDate: null }),
    ]);
    return viewOf(x, project, facts, clockOf, rb);
  }

  /** The view from what was read: the same fields whether one project or a page was read. */
  async function viewOf(x: Executor, project: ProjectRow, facts: Facts, clockOf: ClockOf, readRulebook?: Awaited<ReturnType<RulebookService['forProject']>>): Promise<ProjectView> {
    const rb = readRulebook ?? (await deps.rulebooks.forProject(project, clock(), x));
    const env = environmentalRiskOf(rb.content, { environmentalGroup: project.environmentalGroup as 'I' | null, environmentalRisk: project.environmentalRisk });
    return {
      id: project.id,
      code: project.code,
      organisation: project.organisation,
      name: project.name,
      description: project.description,
      sector: project.sector,
      location: project.location,
      capitalVnd: Number(project.capitalVnd),
      stage: project.stage,
      group: project.projectGroup,
      capitalSource: project.capitalSource,
      decidingLevel: project.decidingLevel,
      environmentalGroup: project.environmentalGroup,
      environmentalRisk: env.risk,
      environmentalRiskBasis: env.basis,
      technologyAsCapital: project.technologyAsCapital,
      highTechZone: project.highTechZone,
      construction: project.construction,
      rulebookVersion: { version: rb.version, effectiveFrom: rb.effectiveFrom, pinned: rb.pinned, pinnedAt: rb.pinnedAt },
      state: project.state as ProjectState,
      round: project.round,
      appraisalMode: project.appraisalMode as ProjectView['appraisalMode'],
      revision: project.revision,
      machine: { id: project.machineId, version: project.machineVersion },
      createdBy: project.createdBy,
      createdAt: project.createdAt.toISOString(),
      updatedAt: project.updatedAt.toISOString(),
      allowedActions: allowedActions(project.snapshot as PersistedAppraisal, facts),
      appointmentDate: clockOf.appointmentDate,
      deadlines: clockOf.deadlines,
    };
  }

  async function create(principal: Principal, input: NewProject, meta: CommandMeta): Promise<RunResult> {
    if (!principal.org) throw new ForbiddenError('Your token names no organisation (claim "org"); projects belong to an organisation', 'ORGANISATION_REQUIRED');
    const rb = await deps.rulebooks.inForce(clock());
    const sectors = rb.content.sectors.map((x) => x.code);
    if (!sectors.includes(input.sector)) {
      throw new ValidationError(`Unknown sector "${input.sector}": use one of the codes of rulebook ${rb.version}`, { sectors, rulebookVersion: rb.version }, 'UNKNOWN_SECTOR');
    }
    if (input.environmentalGroup === undefined && input.environmentalRisk === undefined) {
      throw new ValidationError('Give environmentalGroup (I–IV under the Law on Environmental Protection 2020): the environmental risk follows from it', { groups: rb.content.environmentalGroups.map((g) => ({ group: g.group, risk: g.risk, description: g.description })) }, 'ENVIRONMENTAL_GROUP_REQUIRED');
    }
    const env = environmentalRiskOf(rb.content, { environmentalGroup: input.environmentalGroup ?? null, environmentalRisk: input.environmentalRisk });
    if (input.environmentalGroup !== undefined && input.environmentalRisk !== undefined && input.environmentalRisk !== env.risk) {
      throw new ValidationError(`environmentalRisk ${input.environmentalRisk} contradicts environmental group ${input.environmentalGroup} (risk: ${env.risk}); omit environmentalRisk, it follows from the group`, {}, 'ENVIRONMENTAL_RISK_CONTRADICTS_GROUP');
    }
    if (input.stage === 'investment_decision' && input.construction === undefined) {
      throw new ValidationError('At the investment-decision stage say whether this is a construction investment project (construction: true|false): Art. 13.3 reviews construction projects only', {}, 'CONSTRUCTION_REQUIRED');
    }
    return runner.run(principal, meta.idempotencyKey ? { key: meta.idempotencyKey, fingerprint: ['POST /v1/projects', input] } : undefined, async (tx) => {
      const now = clock();
      const year = vietnamYear(now);
      const [counter] = (await tx.execute(sql`
        insert into tracking_code_counters (prefix, year, last_number) values (${deps.trackingCodePrefix}, ${year}, 1)
        on conflict (prefix, year) do update set last_number = tracking_code_counters.last_number + 1
        returning last_number
      `)) as unknown as Array<{ last_number: number }>;
      const code = `${deps.trackingCodePrefix}-${year}-${String(counter!.last_number).padStart(6, '0')}`;
      const snapshot = initialPersisted();
      const [project] = await tx
        .insert(projects)
        .values({
          code,
          organisation: principal.org!,
          name: input.name,
          description: input.description ?? null,
          sector: input.sector,
          location: input.location,
          capitalVnd: BigInt(input.capitalVnd),
          stage: input.stage,
          projectGroup: input.group,
          capitalSource: input.capitalSource,
          decidingLevel: input.decidingLevel,
          environmentalGroup: input.environmentalGroup ?? null,
          environmentalRisk: env.risk,
          technologyAsCapital: input.technologyAsCapital ?? false,
          highTechZone: input.highTechZone ?? false,
          construction: input.construction ?? null,
          state: snapshot.state,
          snapshot,
          machineId: APPRAISAL_MACHINE_ID,
          machineVersion: APPRAISAL_MACHINE_VERSION,
          createdBy: principal.sub,
          createdAt: now,
          updatedAt: now,
        })
        .returning();
      await appendAuditEvent(tx, {
        actor: principal,
        action: 'project.created',
        projectId: project!.id,
        fromState: null,
        toState: project!.state,
        revision: project!.revision,
        machine: { id: APPRAISAL_MACHINE_ID, version: APPRAISAL_MACHINE_VERSION },
        requestId: meta.requestId,
        idempotencyKey: meta.idempotencyKey ?? null,
        payload: { code, name: input.name, stage: input.stage, group: input.group, sector: input.sector, environmentalGroup: input.environmentalGroup ?? null, environmentalRisk: env.risk, environmentalRiskBasis: env.basis, construction: input.construction ?? null, highTechZone: input.highTechZone ?? false, rulebookInForce: rb.version },
        at: now,
      });
      return { status: 201, body: await view(tx, project!, principal) };
    }, undefined, 'create_project');
  }

  async function get(principal: Principal, id: string): Promise<ProjectView> {
    const { project, relation } = await loadVisibleProject(db, principal, id);
    return view(db, project, principal, relation);
  }

  async function list(principal: Principal, q: ListQuery): Promise<{ items: ProjectView[]; nextCursor: string | null }> {
    const conditions: SQL[] = [visibleProjectsCondition(principal)];
    if (q.state) conditions.push(eq(projects.state, q.state));
    if (q.stage) conditions.push(eq(projects.stage, q.stage));
    if (q.organisation) conditions.push(eq(projects.organisation, q.organisation));
    // Deadline filters read the open rows (deadlines_open_due_idx); "overdue" is live: past due now.
    if (q.dueBefore) conditions.push(sql`exists (select 1 from deadlines d where d.project_id = ${projects.id} and d.closed_at is null and d.due_at < ${q.dueBefore}::timestamptz)`);
    if (q.overdue !== undefined) {
      const overdue = sql`exists (select 1 from deadlines d where d.project_id = ${projects.id} and d.closed_at is null and d.due_at < ${clock().toISOString()}::timestamptz)`;
      conditions.push(q.overdue ? overdue : sql`not ${overdue}`);
    }
    if (q.paused !== undefined) {
      const paused = sql`exists (select 1 from deadlines d where d.project_id = ${projects.id} and d.closed_at is null and d.paused_since is not null)`;
      conditions.push(q.paused ? paused : sql`not ${paused}`);
    }
    if (q.q) {
      // Every word must occur in the name or tracking code, ignoring case and diacritics: the
      // stored search_text and the pattern go through the same search_normalise() (trigram index).
      const words = q.q.split(/\s+/).filter(Boolean).slice(0, 10);
      for (const word of words) {
        const like = `%${word.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        conditions.push(sql`${projects.searchText} like search_normalise(${like})`);
      }
    }
    if (q.cursor) {
      const [at, id] = decodeCursor(q.cursor);
      conditions.push(sql`(${projects.createdAt}, ${projects.id}) < (${at}::timestamptz, ${id}::uuid)`);
    }
    // One query for the page and the caller's relation to each row; then the facts and the
    // deadlines of the whole page, one query each: a page costs the same whatever its size.
    const rows = await db
      .select({ project: projects, ...relationColumns(principal) })
      .from(projects)
      .where(and(...conditions))
      .orderBy(desc(projects.createdAt), desc(projects.id))
      .limit(q.limit + 1);
    const page = rows.slice(0, q.limit);
    const pageRows = page.map((r) => r.project);
    const [factsById, clocksById] = await Promise.all([
      deps.factsMany ? deps.factsMany(db, pageRows) : null,
      deps.deadlinesOfMany ? deps.deadlinesOfMany(db, pageRows) : null,
    ]);
    const items = await Promise.all(
      page.map(async (r) => {
        const relation = toRelation(principal, r.project, r);
        const facts: Facts = { actor: actorFacts(principal, relation), ...(factsById?.get(r.project.id) ?? (await factsFor(db, r.project))) };
        const clockOf = clocksById?.get(r.project.id) ?? (deps.deadlinesOf ? await deps.deadlinesOf(db, r.project) : { deadlines: [], appointmentDate: null });
        return viewOf(db, r.project, facts, clockOf);
      }),
    );
    const last = page.at(-1)?.project;
    return { items, nextCursor: rows.length > q.limit && last ? encodeCursor(last.createdAt, last.id) : null };
  }

  /**
   * Run a command on a project: the runner gives the transaction, idempotency and retries;
   * openProjectCommand loads and checks the project; the handler sends events.
   */
  async function command(
    principal: Principal,
    projectId: string,
    action: string,
    input: unknown,
    meta: CommandMeta,
    /** May return the response to send (and store for idempotent replays) instead of the project view. */
    handler: (ctx: ProjectCommandContext) => Promise<void | { status: number; body: unknown }>,
  ): Promise<RunResult> {
    const idem = meta.idempotencyKey ? { key: meta.idempotencyKey, fingerprint: [action, projectId, input] } : undefined;
    return runner.run<PrefetchedProject>(
      principal,
      idem,
      async (tx, loaded) => {
        const ctx = await openProjectCommand(tx, principal, projectId, meta, clock(), loaded);
        const own = await handler(ctx);
        return own ?? { status: 200, body: await view(tx, ctx.project, principal, ctx.relation) };
      },
      (tx) => prefetchProject(tx, principal, projectId),
      action,
    );
  }

  const factsOf = (ctx: ProjectCommandContext) => fullFacts(ctx.tx, ctx.project, ctx.principal, ctx.relation);

  // ---- commands of the contract ------------------------------------------------------------

  const submitLike = (kind: 'submit' | 'resubmit') => async (ctx: ProjectCommandContext, note?: string) => {
    const facts = await factsOf(ctx);
    if (!facts.declarationPresent) {
      throw new UnprocessableError('Declare the technology and machinery (PUT /v1/projects/{id}/technology) before submitting', 'DECLARATION_MISSING');
    }
    if (facts.missingComponents && facts.missingComponents.length > 0 && ctx.actor.isOwner) {
      throw new UnprocessableError(`The dossier is incomplete: ${facts.missingComponents.length} required component(s) missing`, 'DOSSIER_INCOMPLETE', {
        missing: facts.missingComponents,
      });
    }
    if (kind === 'resubmit') await requireChangeSinceSupplementRequest(ctx);
    const type = kind === 'submit' ? 'SUBMIT' : 'RESUBMIT';
    await ctx.apply(kind, { type, facts }, { name: kind === 'submit' ? 'project.submitted' : 'project.resubmitted', payload: note ? { note } : {} });
    await screen(ctx);
    await ctx.notify({ kind: `project.${kind}ted`, recipientRole: 'clerk', message: `Project ${ctx.project.code} was ${kind}ted and awaits the completeness check` });
  };

  /**
   * A resubmission answers the latest supplementation request: a new version of a component it
   * named (any component, when it named none) or a changed technology declaration since then.
   */
  async function requireChangeSinceSupplementRequest(ctx: ProjectCommandContext): Promise<void> {
    const [req] = (await ctx.tx.execute(sql`
      select occurred_at, payload from audit_events
      where project_id = ${ctx.project.id} and action in ('supplement.requested', 'technology_change.reported')
      order by seq desc limit 1
    `)) as unknown as Array<{ occurred_at: Date | string; payload: { missing?: string[] } }>;
    if (!req) return;
    const since = new Date(req.occurred_at);
    const requested = Array.isArray(req.payload?.missing) ? req.payload.missing : [];
    const [changed] = (await ctx.tx.execute(sql`
      select
        (select coalesce(array_agg(distinct component), '{}') from documents
          where project_id = ${ctx.project.id} and status in ('active', 'superseded') and committed_at > ${since.toISOString()}::timestamptz) as components,
        exists (select 1 from technology_declarations where project_id = ${ctx.project.id} and created_at > ${since.toISOString()}::timestamptz) as declaration_changed
    `)) as unknown as Array<{ components: string[]; declaration_changed: boolean }>;
    const newComponents = changed?.components ?? [];
    const answered = changed?.declaration_changed === true || (requested.length === 0 ? newComponents.length > 0 : requested.some((c) => newComponents.includes(c)));
    if (!answered) {
      throw new UnprocessableError(
        requested.length > 0
          ? `Nothing answers the supplementation request: upload a new version of ${requested.join(', ')} or change the technology declaration, then resubmit`
          : 'Nothing changed since the supplementation request: upload a new document version or change the technology declaration, then resubmit',
        'NOTHING_CHANGED_SINCE_SUPPLEMENT_REQUEST',
        { requested, requestedAt: since.toISOString() },
      );
    }
  }

  /** Screening runs inside the submission, under the rulebook in force (see the screening module). */
  const screen =
    deps.screen ??
    (async (ctx: ProjectCommandContext) => {
      await ctx.apply('submit', { type: 'SCREENING_COMPLETED', facts: await factsOf(ctx) }, { name: 'screening.completed', payload: { findings: [] } });
    });

  async function submit(principal: Principal, id: string, input: { note?: string }, meta: CommandMeta) {
    return command(principal, id, 'submit', input, meta, (ctx) => submitLike('submit')(ctx, input.note));
  }
  async function resubmit(principal: Principal, id: string, input: { note?: string }, meta: CommandMeta) {
    return command(principal, id, 'resubmit', input, meta, (ctx) => submitLike('resubmit')(ctx, input.note));
  }

  async function completeness(
    principal: Principal,
    id: string,
    input: { result: 'complete' | 'incomplete'; missing?: string[]; note?: string; reasons?: Record<string, string> },
    meta: CommandMeta,
  ) {
    if (input.result === 'incomplete' && !(input.missing?.length || input.note)) {
      throw new ValidationError('An incomplete result must say what is missing (missing and/or note)', {}, 'SUPPLEMENT_REASON_REQUIRED');
    }
    return command(principal, id, 'completeness', input, meta, async (ctx) => {
      const rb = await deps.rulebooks.forProject(ctx.project, ctx.now, ctx.tx);
      // Missing items are checklist component codes of the version the project follows.
      const codes = componentCodes(rb.content, ctx.project.stage as 'investment_policy');
      const unknown = (input.missing ?? []).filter((c) => !codes.includes(c));
      if (unknown.length > 0) {
        throw new ValidationError(`Unknown dossier component code(s): ${unknown.join(', ')}; name checklist components (put anything else in note)`, { unknown, components: codes, rulebookVersion: rb.version }, 'UNKNOWN_COMPONENT');
      }
      const facts = await factsOf(ctx);
      // Accepted complete: the project keeps this rulebook version from now on (transitional rule).
      // Written before the transition so that its conditional update returns the pinned row.
      const pinning = input.result === 'complete' && !rb.pinned;
      if (pinning) {
        ctx.check('completeness', { type: 'COMPLETENESS', result: input.result, facts });
        // Conditional on the revision read: a concurrent command that got there first makes this a 409.
        const pinned = await ctx.tx
          .update(projects)
          .set({ rulebookVersion: rb.version, rulebookPinnedAt: ctx.now })
          .where(and(eq(projects.id, ctx.project.id), eq(projects.revision, ctx.project.revision), sql`${projects.rulebookVersion} is null`))
          .returning({ id: projects.id });
        if (pinned.length === 0) throw new ConflictError('The project was changed by another request; reload it and retry', 'REVISION_CONFLICT');
      }
      await ctx.apply('completeness', { type: 'COMPLETENESS', result: input.result, facts }, {
        name: input.result === 'complete' ? 'completeness.confirmed' : 'supplement.requested',
        payload: { result: input.result, missing: input.missing ?? [], note: input.note ?? null, rulebookVersion: rb.version, rulebookEffectiveFrom: rb.effectiveFrom, ...(pinning ? { rulebookPinned: true } : {}) },
      });
      if (ctx.project.state === 'under_appraisal') await deps.enteredAppraisal?.(ctx);
      if (input.result === 'incomplete') {
        await ctx.notify({
          kind: 'supplement.requested',
          recipientOrg: ctx.project.organisation,
          recipientRole: 'investor',
          message: `Project ${ctx.project.code}: supplementation requested${input.missing?.length ? ` (missing: ${input.missing.join(', ')})` : ''}`,
        });
      }
      // The statutory clock and the slip (receipt or supplementation request), last in the transaction.
      if (input.result === 'complete') await deps.procedureClock?.accepted(ctx, rb);
      else await deps.procedureClock?.supplementRequested(ctx, rb, input);
    });
  }

  async function assign(principal: Principal, id: string, input: { appraisers: string[]; mode?: 'opinion' | 'council' }, meta: CommandMeta) {
    return command(principal, id, 'assign', input, meta, async (ctx) => {
      const subs = [...new Set(input.appraisers)];
      // The rules live in appraisal/assignment-rules.ts (the clerk's screen shows the same bars before posting).
      const known = await loadKnownPeople(ctx.tx, subs);
      const bySub = new Map(known.map((k) => [k.sub, k]));
      const personFacts = await loadPersonFacts(ctx.tx, ctx.project.id, subs);
      for (const sub of subs) {
        const person = bySub.get(sub);
        if (!person) throw new UnprocessableError(`"${sub}" is not a known person (never signed in, no account); only known appraisers can be assigned`, 'APPRAISER_UNKNOWN', { appraiser: sub });
        const [bar] = appraiserBars(person, ctx.project, personFacts.get(sub)!);
        if (bar) throw new UnprocessableError(bar.message, bar.code, { appraiser: sub, appraisers: [sub] });
      }
      const facts = await factsOf(ctx);
      if (input.mode && input.mode !== ctx.project.appraisalMode) {
        // Same row, same transaction: the transition's conditional update below returns it.
        await ctx.tx.update(projects).set({ appraisalMode: input.mode }).where(eq(projects.id, ctx.project.id));
      }
      await ctx.apply('assign', { type: 'ASSIGN', facts }, { name: 'appraisers.assigned', payload: { appraisers: subs, mode: input.mode ?? ctx.project.appraisalMode ?? 'opinion', round: ctx.project.round } });
      const existing = await ctx.tx
        .select({ sub: assignments.appraiserSub })
        .from(assignments)
        .where(sql`${assignments.projectId} = ${ctx.project.id} and ${assignments.round} = ${ctx.project.round} and ${assignments.status} = 'active'`);
      const already = new Set(existing.map((e) => e.sub));
      const fresh = subs.filter((s) => !already.has(s));
      if (fresh.length > 0) {
        try {
          await ctx.tx.insert(assignments).values(
            fresh.map((s) => ({ projectId: ctx.project.id, round: ctx.project.round, appraiserSub: s, appraiserOrg: bySub.get(s)!.organisation, assignedBy: principal.sub })),
          );
        } catch (err) {
          const constraint = sqlConstraint(err);
          if (constraint?.startsWith('assignments_')) throw new ConflictError('The database refused the assignment: ' + constraint, constraint.toUpperCase());
          throw err;
        }
      }
      for (const s of fresh) await ctx.notify({ kind: 'appraisal.assigned', recipientSub: s, message: `You are assigned to appraise project ${ctx.project.code}` });
      // The dossier reached the reviewers: the forwarding step is done.
      await deps.procedureClock?.assigned(ctx);
    });
  }

  async function declareConflict(principal: Principal, id: string, input: { statement: string }, meta: CommandMeta) {
    return command(principal, id, 'declare_conflict', input, meta, async (ctx) => {
      const facts = await factsOf(ctx);
      await ctx.apply('declare_conflict', { type: 'DECLARE_CONFLICT', facts }, { name: 'conflict.declared', payload: { appraiser: principal.sub, statement: input.statement } });
      await ctx.tx.insert(conflictDeclarations).values({ projectId: ctx.project.id, appraiserSub: principal.sub, statement: input.statement });
      await ctx.tx
        .update(assignments)
        .set({ status: 'recused' })
        .where(sql`${assignments.projectId} = ${ctx.project.id} and ${assignments.appraiserSub} = ${principal.sub} and ${assignments.status} = 'active'`);
      Object.assign(ctx.relation, { hasConflict: true, isAssigned: false });
      await ctx.notify({ kind: 'conflict.declared', recipientRole: 'clerk', message: `An appraiser recused from project ${ctx.project.code}; assign a replacement` });
    });
  }

  async function withdraw(principal: Principal, id: string, input: { reason?: string }, meta: CommandMeta) {
    return command(principal, id, 'withdraw', input, meta, async (ctx) => {
      await ctx.apply('withdraw', { type: 'WITHDRAW', facts: await factsOf(ctx) }, { name: 'project.withdrawn', payload: { reason: input.reason ?? null } });
      await ctx.notify({ kind: 'project.withdrawn', recipientRole: 'clerk', message: `Project ${ctx.project.code} was withdrawn by the investor` });
      await deps.procedureClock?.withdrawn(ctx);
    });
  }

  async function declareTechnology(principal: Principal, id: string, input: Record<string, unknown>, meta: CommandMeta) {
    return command(principal, id, 'declare_technology', input, meta, async (ctx) => {
      // Only the caller's relation matters to this guard: no dossier facts needed. The declaration
      // row goes out in the same round trip as the transition (pipelined on the transaction's
      // connection, after it): if the transition is refused, the whole transaction rolls back.
      const event = { type: 'DECLARE_TECHNOLOGY', facts: { actor: ctx.actor } } as const;
      ctx.check('declare_technology', event);
      await Promise.all([
        ctx.apply('declare_technology', event, { name: 'technology.declared', payload: { declaration: input } }),
        ctx.tx.execute(sql`
          insert into technology_declarations (project_id, version, content, declared_by)
          select ${ctx.project.id}, coalesce(max(version), 0) + 1, ${JSON.stringify(input)}::jsonb, ${principal.sub}
          from technology_declarations where project_id = ${ctx.project.id}
        `),
      ]);
    });
  }

  /** Extend a deadline with its written notice (Art. 18.1(d)); changes no state, audited in the chain. */
  async function extendDeadline(principal: Principal, id: string, input: { step: string; days: number; notice: string }, meta: CommandMeta) {
    return command(principal, id, 'deadline_extension', input, meta, async (ctx) => {
      if (!deps.procedureClock) throw new ConflictError('The statutory clock is not configured', 'CLOCK_UNAVAILABLE');
      await deps.procedureClock.extend(ctx, await deps.rulebooks.forProject(ctx.project, ctx.now, ctx.tx), input);
    });
  }

  /** Issue the apology (Mẫu 04) with a new appointment date; changes no state, audited in the chain. */
  async function issueApology(principal: Principal, id: string, input: { step?: string; newAppointmentDate?: string; reason: string }, meta: CommandMeta) {
    return command(principal, id, 'apology', input, meta, async (ctx) => {
      if (!deps.procedureClock) throw new ConflictError('The statutory clock is not configured', 'CLOCK_UNAVAILABLE');
      await deps.procedureClock.apologise(ctx, input);
    });
  }

  async function currentDeclaration(principal: Principal, id: string) {
    const { project } = await loadVisibleProject(db, principal, id);
    const [decl] = await db
      .select()
      .from(technologyDeclarations)
      .where(eq(technologyDeclarations.projectId, project.id))
      .orderBy(desc(technologyDeclarations.version))
      .limit(1);
    return decl ? { version: decl.version, declaredBy: decl.declaredBy, declaredAt: decl.createdAt.toISOString(), ...(decl.content as object) } : null;
  }

  return {
    create,
    get,
    list,
    view,
    command,
    factsOf,
    submit,
    resubmit,
    completeness,
    assign,
    declareConflict,
    withdraw,
    declareTechnology,
    currentDeclaration,
    extendDeadline,
    issueApology,
  };
}

export type ProjectService = ReturnType<typeof createProjectService>;
