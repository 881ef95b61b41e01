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
import { projects, principals, assignments, conflictDeclarations, technologyDeclarations } from '../../../db/schema';
import type { CommandRunner, RunResult } from '../commands/command-runner';
import { appendAuditEvent } from '../audit/audit-writer';
import { actorFacts, loadRelation, loadVisibleProject, visibleProjectsCondition, type ActorRelation, type ProjectRow } from './project-access';
import { openProjectCommand, type CommandMeta, type ProjectCommandContext } from './project-command';

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
  environmentalRisk: boolean;
  technologyAsCapital?: boolean;
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
  environmentalRisk: boolean;
  technologyAsCapital: boolean;
  state: ProjectState;
  round: number;
  appraisalMode: 'opinion' | 'council' | null;
  revision: number;
  machine: { id: string; version: number };
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  allowedActions: Action[];
}

export interface ListQuery {
  state?: ProjectState;
  organisation?: string;
  stage?: string;
  q?: string;
  limit: number;
  cursor?: string;
}

/** Extra facts some guards need (dossier, appraisal, findings), supplied by the modules that own them. */
export type FactsProvider = (db: Executor, project: ProjectRow) => Promise<Omit<Facts, 'actor'>>;

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
  runner: CommandRunner;
  trackingCodePrefix: string;
  clock: () => Date;
  /** Dossier, appraisal and finding facts for the machine's guards (project-facts.ts). */
  facts: FactsProvider;
  /** Screening inside submit/resubmit: must end by sending SCREENING_COMPLETED. */
  screen?: (ctx: ProjectCommandContext) => Promise<void>;
  /** Called in the transaction that moves a project into under_appraisal (opens the round's appraisal). */
  enteredAppraisal?: (ctx: ProjectCommandContext) => Promise<void>;
}

export function createProjectService(deps: ProjectServiceDeps) {
  const { db, runner, clock } = deps;

  const factsFor = deps.facts;

  async function fullFacts(x: Executor, project: ProjectRow, principal: Principal, relation: ActorRelation): Promise<Facts> {
    return { actor: actorFacts(principal, relation), ...(await factsFor(x, project)) };
  }

  async function view(x: Executor, project: ProjectRow, principal: Principal, relation?: ActorRelation): Promise<ProjectView> {
    const rel = relation ?? (await loadRelation(x, principal, project));
    const facts = await fullFacts(x, project, principal, rel);
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
      environmentalRisk: project.environmentalRisk,
      technologyAsCapital: project.technologyAsCapital,
      state: project.state as ProjectState,
      round: project.round,
      appraisalMode: project.appraisalMode as ProjectView['appraisalMode'],
      revision: project.revision,
      machine: { id: project.machineId, version: project.machineVersion },
      createdBy: project.createdBy,
      createdAt: project.createdAt.toISOString(),
      updatedAt: project.updatedAt.toISOString(),
      allowedActions: allowedActions(project.snapshot as PersistedAppraisal, facts),
    };
  }

  async function create(principal: Principal, input: NewProject, meta: CommandMeta): Promise<RunResult> {
    if (!principal.org) throw new ForbiddenError('Your token names no organisation (claim "org"); projects belong to an organisation', 'ORGANISATION_REQUIRED');
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
          environmentalRisk: input.environmentalRisk,
          technologyAsCapital: input.technologyAsCapital ?? false,
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
        payload: { code, name: input.name, stage: input.stage, group: input.group, sector: input.sector },
        at: now,
      });
      return { status: 201, body: await view(tx, project!, principal) };
    });
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
    if (q.q) {
      const like = `%${q.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      conditions.push(sql`(${projects.name} ilike ${like} or ${projects.code} ilike ${like})`);
    }
    if (q.cursor) {
      const [at, id] = decodeCursor(q.cursor);
      conditions.push(sql`(${projects.createdAt}, ${projects.id}) < (${at}::timestamptz, ${id}::uuid)`);
    }
    const rows = await db
      .select()
      .from(projects)
      .where(and(...conditions))
      .orderBy(desc(projects.createdAt), desc(projects.id))
      .limit(q.limit + 1);
    const page = rows.slice(0, q.limit);
    const items = await Promise.all(page.map((p) => view(db, p, principal)));
    const last = page.at(-1);
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
    return runner.run<Awaited<ReturnType<typeof loadVisibleProject>>>(
      principal,
      idem,
      async (tx, loaded) => {
        const ctx = await openProjectCommand(tx, principal, projectId, meta, clock(), loaded);
        const own = await handler(ctx);
        return own ?? { status: 200, body: await view(tx, ctx.project, principal, ctx.relation) };
      },
      (tx) => loadVisibleProject(tx, principal, projectId),
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
    const type = kind === 'submit' ? 'SUBMIT' : 'RESUBMIT';
    await ctx.apply(kind, { type, facts }, { name: kind === 'submit' ? 'project.submitted' : 'project.resubmitted', payload: note ? { note } : {} });
    await screen(ctx);
    await ctx.notify({ kind: `project.${kind}ted`, recipientRole: 'clerk', message: `Project ${ctx.project.code} was ${kind}ted and awaits the completeness check` });
  };

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
    input: { result: 'complete' | 'incomplete'; missing?: string[]; note?: string },
    meta: CommandMeta,
  ) {
    if (input.result === 'incomplete' && !(input.missing?.length || input.note)) {
      throw new ValidationError('An incomplete result must say what is missing (missing and/or note)', {}, 'SUPPLEMENT_REASON_REQUIRED');
    }
    return command(principal, id, 'completeness', input, meta, async (ctx) => {
      const facts = await factsOf(ctx);
      await ctx.apply('completeness', { type: 'COMPLETENESS', result: input.result, facts }, {
        name: input.result === 'complete' ? 'completeness.confirmed' : 'supplement.requested',
        payload: { result: input.result, missing: input.missing ?? [], note: input.note ?? null },
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
    });
  }

  async function assign(principal: Principal, id: string, input: { appraisers: string[]; mode?: 'opinion' | 'council' }, meta: CommandMeta) {
    return command(principal, id, 'assign', input, meta, async (ctx) => {
      const subs = [...new Set(input.appraisers)];
      const known = await ctx.tx.select().from(principals).where(sql`${principals.sub} in ${subs}`);
      const bySub = new Map(known.map((k) => [k.sub, k]));
      for (const sub of subs) {
        const person = bySub.get(sub);
        if (!person) throw new UnprocessableError(`"${sub}" has never signed in; only known appraisers can be assigned`, 'APPRAISER_UNKNOWN', { appraiser: sub });
        if (!person.roles.includes('appraiser')) throw new UnprocessableError(`"${sub}" does not hold the appraiser role`, 'NOT_AN_APPRAISER', { appraiser: sub });
        if (person.organisation && person.organisation === ctx.project.organisation) {
          throw new UnprocessableError(`"${sub}" belongs to the investor's organisation and may not appraise its project`, 'APPRAISER_NOT_INDEPENDENT', { appraiser: sub });
        }
      }
      const conflicts = await ctx.tx
        .select({ sub: conflictDeclarations.appraiserSub })
        .from(conflictDeclarations)
        .where(sql`${conflictDeclarations.projectId} = ${ctx.project.id} and ${conflictDeclarations.appraiserSub} in ${subs}`);
      if (conflicts.length > 0) {
        throw new UnprocessableError(`${conflicts.map((c) => `"${c.sub}"`).join(', ')} declared a conflict of interest on this project`, 'APPRAISER_CONFLICTED', {
          appraisers: conflicts.map((c) => c.sub),
        });
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
  };
}

export type ProjectService = ReturnType<typeof createProjectService>;
