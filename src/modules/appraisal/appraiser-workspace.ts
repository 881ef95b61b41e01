/**
 * The appraiser's side of the appraisal: "waiting on me" (the projects where this appraiser's
 * opinion is awaited, nearest due first) and the review workspace (the current dossier versions
 * an opinion binds to, the criteria of the project's rulebook version, this appraiser's last
 * opinion and which documents changed since it). Reads only; the opinion itself is recorded by
 * appraisal-service `recordOpinion` (POST /v1/projects/:id/opinions).
 */
import { and, desc, eq, sql } from 'drizzle-orm';
import type { Db } from '../../infra/database';
import type { Principal } from '../../auth/token-verifier';
import { ForbiddenError } from '../../errors';
import { deadlines, documents, opinionDocuments, opinions, projects } from '../../../db/schema';
import { loadVisibleProject } from '../projects/project-access';
import type { ProjectService } from '../projects/project-service';
import type { RulebookService } from '../rulebook/rulebook-service';
import type { DeadlineService, DeadlineView } from '../deadlines/deadline-service';
import { RESULT_STEPS } from '../deadlines/deadline-service';
import { calendarDaysLeft } from '../deadlines/sla-board';
import { requiredComponents } from '../screening/screening';
import { subjectOf } from './appraisal-service';

export interface InboxRow {
  project: { id: string; code: string; name: string; state: string; appraisalMode: string | null };
  /** The open result step (opinion or appraisal) of the round, if the clock runs for it. */
  deadline: DeadlineView | null;
  daysLeft: number | null;
  /** This appraiser gave an opinion earlier that became stale (a document changed, or the dossier was supplemented). */
  renewal: boolean;
}

export interface WorkspaceDocument {
  id: string;
  component: string;
  version: number;
  sha256: string;
  size: number;
  mediaType: string;
  originalName: string;
  uploadedAt: string;
  required: boolean;
}

export interface RecordedOpinion {
  id: string;
  recordedAt: string;
  stale: boolean;
  recommendation: string;
  conditions: string[];
  reason: string | null;
  criteria: Array<{ criterion: string; verdict: string; comment?: string }>;
  documentsReviewed: Array<{ documentId: string; sha256: string; component: string | null; version: number | null; originalName: string | null }>;
  documentsNotReviewed: Array<{ component: string; reason: string }>;
}

export function createAppraiserWorkspace(deps: { db: Db; projects: ProjectService; rulebooks: RulebookService; deadlines: DeadlineService; clock: () => Date }) {
  const { db } = deps;

  const requireAppraiser = (principal: Principal) => {
    if (!principal.roles.includes('appraiser')) throw new ForbiddenError('This is the appraisers\' inbox', 'ROLE_NOT_ALLOWED');
  };

  /** Projects under appraisal where this appraiser holds an active assignment and has no current opinion. */
  async function inbox(principal: Principal): Promise<InboxRow[]> {
    requireAppraiser(principal);
    const now = deps.clock();
    const rows = await db
      .select({ p: { id: projects.id, code: projects.code, name: projects.name, state: projects.state, appraisalMode: projects.appraisalMode }, d: deadlines, renewal: sql<boolean>`exists (select 1 from opinions o where o.project_id = ${projects.id} and o.appraiser_sub = ${principal.sub} and o.stale)` })
      .from(projects)
      .leftJoin(deadlines, sql`${deadlines.projectId} = ${projects.id} and ${deadlines.round} = ${projects.round} and ${deadlines.closedAt} is null and ${deadlines.step} in ${[...RESULT_STEPS]}`)
      .where(sql`${projects.state} = 'under_appraisal'
        and exists (select 1 from assignments a where a.project_id = ${projects.id} and a.round = ${projects.round} and a.status = 'active' and a.appraiser_sub = ${principal.sub})
        and not exists (select 1 from opinions o join appraisals ap on ap.id = o.appraisal_id where o.project_id = ${projects.id} and ap.round = ${projects.round} and o.appraiser_sub = ${principal.sub} and not o.stale)`)
      .orderBy(sql`${deadlines.dueAt} asc nulls last`, projects.code)
      .limit(200);
    return rows.map((r) => ({
      project: r.p,
      deadline: r.d ? deps.deadlines.toView(r.d, now) : null,
      daysLeft: r.d?.dueAt ? calendarDaysLeft(now, r.d.dueAt) : null,
      renewal: r.renewal === true,
    }));
  }

  /** This appraiser's opinions on the project, newest first, with the document versions each rests on. */
  async function myOpinions(principal: Principal, projectId: string): Promise<RecordedOpinion[]> {
    const { project } = await loadVisibleProject(db, principal, projectId);
    const ops = await db.select().from(opinions).where(and(eq(opinions.projectId, project.id), eq(opinions.appraiserSub, principal.sub))).orderBy(desc(opinions.createdAt));
    if (ops.length === 0) return [];
    const read = await db
      .select({ opinionId: opinionDocuments.opinionId, documentId: opinionDocuments.documentId, sha256: opinionDocuments.sha256, component: documents.component, version: documents.version, originalName: documents.originalName })
      .from(opinionDocuments)
      .leftJoin(documents, eq(documents.id, opinionDocuments.documentId))
      .where(sql`${opinionDocuments.opinionId} in ${ops.map((o) => o.id)}`);
    return ops.map((o) => ({
      id: o.id,
      recordedAt: o.createdAt.toISOString(),
      stale: o.stale,
      recommendation: o.recommendation,
      conditions: o.conditions as string[],
      reason: o.reason,
      criteria: o.criteria as RecordedOpinion['criteria'],
      documentsReviewed: read.filter((d) => d.opinionId === o.id).map((d) => ({ documentId: d.documentId, sha256: d.sha256, component: d.component, version: d.version, originalName: d.originalName })),
      documentsNotReviewed: o.documentsNotReviewed as RecordedOpinion['documentsNotReviewed'],
    }));
  }

  /**
   * Everything the review screen shows: the project (with its allowed actions and revision), the
   * current document versions, the criteria to give a verdict on, the open result deadline, this
   * appraiser's last opinion and the documents that changed since it (a new version uploaded
   * after the opinion, or one it read that is no longer current).
   */
  async function workspace(principal: Principal, projectId: string) {
    requireAppraiser(principal);
    const { project: row } = await loadVisibleProject(db, principal, projectId);
    const project = await deps.projects.get(principal, projectId);
    const rb = await deps.rulebooks.forProject(row, deps.clock());
    const required = new Set(requiredComponents(rb.content, subjectOf(row)).map((c) => c.id));
    const current = await db
      .select()
      .from(documents)
      .where(and(eq(documents.projectId, row.id), eq(documents.status, 'active')))
      .orderBy(documents.component);
    const docs: WorkspaceDocument[] = current.map((d) => ({
      id: d.id,
      component: d.component,
      version: d.version!,
      sha256: d.sha256!,
      size: d.sizeBytes!,
      mediaType: d.mediaType!,
      originalName: d.originalName,
      uploadedAt: d.committedAt!.toISOString(),
      required: required.has(d.component),
    }));
    const criteria = rb.content.criteria[row.stage as 'investment_policy' | 'investment_decision'].filter((c) => c.appliesWhen !== 'high_tech_zone' || row.highTechZone);
    const components = Object.fromEntries(Object.values(rb.content.dossierComponents).flat().map((c) => [c.id, { title: c.title, titleVi: (c as { titleVi?: string }).titleVi ?? null }]));
    const [last] = await myOpinions(principal, projectId);
    const readIds = new Set(last?.documentsReviewed.map((d) => d.documentId) ?? []);
    const changedSinceOpinion = last
      ? docs.filter((d) => !readIds.has(d.id) && Date.parse(d.uploadedAt) > Date.parse(last.recordedAt)).map((d) => {
          const before = last.documentsReviewed.find((r) => r.component === d.component);
          return { component: d.component, version: d.version, uploadedAt: d.uploadedAt, originalName: d.originalName, previousVersion: before?.version ?? null };
        })
      : [];
    const deadline = project.deadlines.find((d) => RESULT_STEPS.has(d.step) && d.closedAt === null) ?? null;
    return {
      project,
      rulebookVersion: rb.version,
      criteria: criteria.map((c) => ({ id: c.id, title: c.title, titleVi: c.titleVi ?? null, citation: c.citation })),
      components,
      documents: docs,
      deadline,
      daysLeft: deadline?.dueAt ? calendarDaysLeft(deps.clock(), new Date(deadline.dueAt)) : null,
      lastOpinion: last ?? null,
      changedSinceOpinion,
      canRecord: project.allowedActions.includes('record_opinion'),
    };
  }

  return { inbox, workspace, myOpinions };
}
export type AppraiserWorkspace = ReturnType<typeof createAppraiserWorkspace>;
