/**
 * Who may be assigned to appraise a project, and why not: the rules the assignment command
 * (project-service `assign`) enforces, in one place, so the clerk's assignment screen can show
 * every barred person with the rule's reason *before* posting, and the command refuses with the
 * same code after. The database bars conflicted people again (0013_conflict_of_interest_bar.sql).
 *
 * People come from two sources: `principals` (everyone seen in a verified bearer token) and the
 * embedded OpenID provider's `accounts` (web sign-in; unused with OIDC_ISSUER). There is no other
 * directory of appraisers in this service.
 */
import { sql } from 'drizzle-orm';
import type { Db, Executor } from '../../infra/database';
import type { Principal } from '../../auth/token-verifier';
import { ForbiddenError } from '../../errors';
import { accounts, principals } from '../../../db/schema';
import { loadVisibleProject, type ProjectRow } from '../projects/project-access';

export interface KnownPerson {
  sub: string;
  organisation: string | null;
  roles: string[];
  displayName: string | null;
  source: 'token' | 'account';
}

/** Audit actions that are another role's act on the project (clerk, approver): whoever did one may not appraise it. */
export const OTHER_ROLE_ACTIONS = ['completeness.confirmed', 'supplement.requested', 'appraisers.assigned', 'appraisal.escalated', 'decision.recorded', 'deadline.extended', 'apology.issued'] as const;

export type BarCode = 'NOT_AN_APPRAISER' | 'APPRAISER_NOT_INDEPENDENT' | 'APPRAISER_CONFLICTED' | 'APPRAISER_ACTED_IN_OTHER_ROLE';

export interface Bar {
  code: BarCode;
  message: string;
  /** The conflict statement, or the other-role actions the person took on the project. */
  statement?: string;
  actions?: string[];
}

export interface PersonFacts {
  /** The person's conflict-of-interest statement on this project, if they declared one. */
  conflictStatement: string | null;
  /** Other-role actions (OTHER_ROLE_ACTIONS) this person took on this project. */
  otherRoleActions: string[];
}

/** Every rule that bars `person` from appraising `project`, in the order the command checks them. */
export function appraiserBars(person: KnownPerson, project: Pick<ProjectRow, 'organisation'>, facts: PersonFacts): Bar[] {
  const bars: Bar[] = [];
  if (!person.roles.includes('appraiser')) bars.push({ code: 'NOT_AN_APPRAISER', message: `"${person.sub}" does not hold the appraiser role` });
  if (person.organisation && person.organisation === project.organisation) {
    bars.push({ code: 'APPRAISER_NOT_INDEPENDENT', message: `"${person.sub}" belongs to the investor's organisation and may not appraise its project` });
  }
  if (facts.conflictStatement !== null) {
    bars.push({ code: 'APPRAISER_CONFLICTED', message: `"${person.sub}" declared a conflict of interest on this project`, statement: facts.conflictStatement });
  }
  if (facts.otherRoleActions.length > 0) {
    bars.push({
      code: 'APPRAISER_ACTED_IN_OTHER_ROLE',
      message: `"${person.sub}" already acted on this project in another role (${facts.otherRoleActions.join(', ')}) and may not also appraise it`,
      actions: facts.otherRoleActions,
    });
  }
  return bars;
}

/**
 * The people with these subs (all appraisers when `subs` is omitted), from verified tokens first
 * (their claims are the freshest), then the embedded provider's enabled accounts.
 */
export async function loadKnownPeople(x: Executor, subs?: readonly string[]): Promise<KnownPerson[]> {
  if (subs && subs.length === 0) return [];
  const bySubs = (column: typeof principals.sub | typeof accounts.sub) => (subs ? sql`${column} in ${subs}` : sql`true`);
  const fromTokens = await x
    .select({ sub: principals.sub, organisation: principals.organisation, roles: principals.roles, displayName: principals.displayName })
    .from(principals)
    .where(subs ? bySubs(principals.sub) : sql`'appraiser' = any(${principals.roles})`);
  const fromAccounts = await x
    .select({ sub: accounts.sub, organisation: accounts.organisation, roles: accounts.roles, displayName: accounts.displayName })
    .from(accounts)
    .where(sql`not ${accounts.disabled} and ${subs ? bySubs(accounts.sub) : sql`'appraiser' = any(${accounts.roles})`}`);
  const out = new Map<string, KnownPerson>();
  for (const p of fromTokens) out.set(p.sub, { ...p, source: 'token' });
  for (const a of fromAccounts) if (!out.has(a.sub)) out.set(a.sub, { ...a, source: 'account' });
  return [...out.values()].sort((a, b) => a.sub.localeCompare(b.sub));
}

/** Conflict statements and other-role actions of these people on the project (two queries). */
export async function loadPersonFacts(x: Executor, projectId: string, subs: readonly string[]): Promise<Map<string, PersonFacts>> {
  const out = new Map<string, PersonFacts>(subs.map((s) => [s, { conflictStatement: null, otherRoleActions: [] }]));
  if (subs.length === 0) return out;
  const conflicts = (await x.execute(sql`
    select appraiser_sub as sub, statement from conflict_declarations where project_id = ${projectId} and appraiser_sub in ${subs}
  `)) as unknown as Array<{ sub: string; statement: string }>;
  for (const c of conflicts) out.get(c.sub)!.conflictStatement = c.statement;
  const acted = (await x.execute(sql`
    select actor_sub as sub, array_agg(distinct action order by action) as actions from audit_events
    where project_id = ${projectId} and actor_sub in ${subs} and action in ${OTHER_ROLE_ACTIONS as unknown as string[]}
    group by actor_sub
  `)) as unknown as Array<{ sub: string; actions: string[] }>;
  for (const a of acted) out.get(a.sub)!.otherRoleActions = a.actions;
  return out;
}

export interface AssignmentCandidate extends KnownPerson {
  bars: Bar[];
  /** Holds an active assignment in the project's current round. */
  assigned: boolean;
}

/** The clerk's view of who can be assigned to a project, each barred person with the rule's reasons. */
export function createAssignmentCandidates(deps: { db: Db }) {
  async function candidates(principal: Principal, projectId: string): Promise<{ project: ProjectRow; candidates: AssignmentCandidate[] }> {
    if (!principal.roles.includes('clerk') || principal.roles.includes('auditor')) {
      throw new ForbiddenError('Only a clerk assigns appraisers', 'ROLE_NOT_ALLOWED');
    }
    const { project } = await loadVisibleProject(deps.db, principal, projectId);
    const people = await loadKnownPeople(deps.db);
    const subs = people.map((p) => p.sub);
    const facts = await loadPersonFacts(deps.db, project.id, subs);
    const active = subs.length
      ? ((await deps.db.execute(sql`
          select appraiser_sub as sub from assignments where project_id = ${project.id} and round = ${project.round} and status = 'active'
        `)) as unknown as Array<{ sub: string }>)
      : [];
    const assigned = new Set(active.map((a) => a.sub));
    return {
      project,
      candidates: people.map((p) => ({ ...p, bars: appraiserBars(p, project, facts.get(p.sub)!), assigned: assigned.has(p.sub) })),
    };
  }
  return { candidates };
}
export type AssignmentCandidates = ReturnType<typeof createAssignmentCandidates>;
