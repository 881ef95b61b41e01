/**
 * Object-level access: who may see which project.
 * - investors: their own organisation's projects;
 * - appraisers: projects they are (or were) assigned to;
 * - clerks, approvers, auditors, admins: every project.
 * A project the caller may not see answers 404 everywhere (never 403), so its existence does not leak.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Principal } from '../../auth/token-verifier';
import type { Role } from '../../auth/roles';
import type { Executor } from '../../infra/database';
import { NotFoundError } from '../../errors';
import type { Facts } from '../../../workflows/appraisal/appraisal.machine';
import { projects } from '../../../db/schema';

export const STAFF_ROLES: readonly Role[] = ['clerk', 'approver', 'auditor', 'admin'];

export type ProjectRow = typeof projects.$inferSelect;

export const isStaff = (p: Principal) => p.roles.some((r) => STAFF_ROLES.includes(r));
export const isOwner = (p: Principal, project: Pick<ProjectRow, 'organisation'>) =>
  p.roles.includes('investor') && p.org !== null && p.org === project.organisation;

/** SQL condition on `projects` (aliased as the table name) selecting what the caller may see. */
export function visibleProjectsCondition(p: Principal): SQL {
  if (isStaff(p)) return sql`true`;
  const parts: SQL[] = [];
  if (p.roles.includes('investor') && p.org) parts.push(sql`${projects.organisation} = ${p.org}`);
  if (p.roles.includes('appraiser')) {
    parts.push(sql`exists (select 1 from assignments a where a.project_id = ${projects.id} and a.appraiser_sub = ${p.sub})`);
  }
  if (parts.length === 0) return sql`false`;
  return sql`(${sql.join(parts, sql` or `)})`;
}

export interface ActorRelation {
  isOwner: boolean;
  /** Same organisation as the project's investor, whatever the role. */
  inInvestorOrg: boolean;
  /** Active assignment in the project's current round. */
  isAssigned: boolean;
  /** Any assignment, any round (enough to see the project). */
  everAssigned: boolean;
  hasConflict: boolean;
  hasRecordedOpinion: boolean;
}

/** The caller's relation to a project, as SQL columns (one round trip with the project row). */
// Qualified by hand: drizzle writes a single-table select list unqualified ("id"), which inside
// these subqueries would bind to the subquery's own table.
const P_ID = sql.raw('"projects"."id"');
const P_ROUND = sql.raw('"projects"."round"');
export function relationColumns(p: Principal) {
  return {
    isAssigned: sql<boolean>`exists (select 1 from assignments a where a.project_id = ${P_ID} and a.appraiser_sub = ${p.sub}
      and a.round = ${P_ROUND} and a.status = 'active')`,
    everAssigned: sql<boolean>`exists (select 1 from assignments a where a.project_id = ${P_ID} and a.appraiser_sub = ${p.sub})`,
    hasConflict: sql<boolean>`exists (select 1 from conflict_declarations c where c.project_id = ${P_ID} and c.appraiser_sub = ${p.sub})`,
    hasRecordedOpinion: sql<boolean>`exists (select 1 from opinions o where o.project_id = ${P_ID} and o.appraiser_sub = ${p.sub})`,
  };
}

export function toRelation(p: Principal, project: ProjectRow, row: { isAssigned: boolean; everAssigned: boolean; hasConflict: boolean; hasRecordedOpinion: boolean }): ActorRelation {
  return {
    isOwner: isOwner(p, project),
    inInvestorOrg: p.org !== null && p.org === project.organisation,
    isAssigned: row.isAssigned,
    everAssigned: row.everAssigned,
    hasConflict: row.hasConflict,
    hasRecordedOpinion: row.hasRecordedOpinion,
  };
}

export async function loadRelation(db: Executor, p: Principal, project: ProjectRow): Promise<ActorRelation> {
  const [row] = await db.select(relationColumns(p)).from(projects).where(sql`${projects.id} = ${project.id}`);
  return toRelation(p, project, row!);
}

export function canSee(p: Principal, relation: ActorRelation): boolean {
  return isStaff(p) || relation.isOwner || (p.roles.includes('appraiser') && relation.everAssigned);
}

/** Load a project the caller may see, or 404. `forUpdate` is not needed: commands update conditionally on revision. */
export async function loadVisibleProject(db: Executor, p: Principal, id: string): Promise<{ project: ProjectRow; relation: ActorRelation }> {
  const [row] = await db
    .select({ project: projects, ...relationColumns(p) })
    .from(projects)
    .where(sql`${projects.id} = ${id}`);
  if (!row) throw new NotFoundError('Project');
  const relation = toRelation(p, row.project, row);
  if (!canSee(p, relation)) throw new NotFoundError('Project');
  return { project: row.project, relation };
}

export function actorFacts(p: Principal, relation: ActorRelation): Facts['actor'] {
  return {
    roles: p.roles,
    isOwner: relation.isOwner,
    inInvestorOrg: relation.inInvestorOrg,
    isAssigned: relation.isAssigned,
    hasConflict: relation.hasConflict,
    hasRecordedOpinion: relation.hasRecordedOpinion,
  };
}
