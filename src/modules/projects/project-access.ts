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
  /** Active assignment in the project's current round. */
  isAssigned: boolean;
  /** Any assignment, any round (enough to see the project). */
  everAssigned: boolean;
  hasConflict: boolean;
  hasRecordedOpinion: boolean;
}

export async function loadRelation(db: Executor, p: Principal, project: ProjectRow): Promise<ActorRelation> {
  const [row] = (await db.execute(sql`
    select
      exists (select 1 from assignments a where a.project_id = ${project.id} and a.appraiser_sub = ${p.sub}
              and a.round = ${project.round} and a.status = 'active') as is_assigned,
      exists (select 1 from assignments a where a.project_id = ${project.id} and a.appraiser_sub = ${p.sub}) as ever_assigned,
      exists (select 1 from conflict_declarations c where c.project_id = ${project.id} and c.appraiser_sub = ${p.sub}) as has_conflict
  `)) as unknown as Array<{ is_assigned: boolean; ever_assigned: boolean; has_conflict: boolean }>;
  return {
    isOwner: isOwner(p, project),
    isAssigned: row!.is_assigned,
    everAssigned: row!.ever_assigned,
    hasConflict: row!.has_conflict,
    hasRecordedOpinion: false,
  };
}

export function canSee(p: Principal, relation: ActorRelation): boolean {
  return isStaff(p) || relation.isOwner || (p.roles.includes('appraiser') && relation.everAssigned);
}

/** Load a project the caller may see, or 404. `forUpdate` is not needed: commands update conditionally on revision. */
export async function loadVisibleProject(db: Executor, p: Principal, id: string): Promise<{ project: ProjectRow; relation: ActorRelation }> {
  const [project] = await db.select().from(projects).where(sql`${projects.id} = ${id}`);
  if (!project) throw new NotFoundError('Project');
  const relation = await loadRelation(db, p, project);
  if (!canSee(p, relation)) throw new NotFoundError('Project');
  return { project, relation };
}

export function actorFacts(p: Principal, relation: ActorRelation): Facts['actor'] {
  return {
    roles: p.roles,
    isOwner: relation.isOwner,
    isAssigned: relation.isAssigned,
    hasConflict: relation.hasConflict,
    hasRecordedOpinion: relation.hasRecordedOpinion,
  };
}
