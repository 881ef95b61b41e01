import { and, eq } from 'drizzle-orm';
import type { Executor } from '../../infra/database';
import { documents } from '../../../db/schema';
import type { ProjectRow } from '../projects/project-access';
import type { RulebookService } from '../rulebook/rulebook-service';
import { requiredComponents } from '../screening/screening';

export interface DossierChecklist {
  rulebookVersion: string;
  required: Array<{ component: string; title: string; present: boolean }>;
  missing: string[];
}

/** The required components of the project's stage (Art. 16) under the rulebook in force, present or missing. */
export async function dossierChecklist(db: Executor, rulebooks: RulebookService, project: ProjectRow, at: Date): Promise<DossierChecklist> {
  const rb = await rulebooks.inForce(at, db);
  const active = await db
    .select({ component: documents.component })
    .from(documents)
    .where(and(eq(documents.projectId, project.id), eq(documents.status, 'active')));
  const present = new Set(active.map((r) => r.component));
  const required = requiredComponents(rb.content, {
    stage: project.stage as 'investment_policy' | 'investment_decision',
    environmentalRisk: project.environmentalRisk,
    technologyContributedAsCapital: project.technologyAsCapital,
  });
  return {
    rulebookVersion: rb.version,
    required: required.map((c) => ({ component: c.id, title: c.title, present: present.has(c.id) })),
    missing: required.filter((c) => !present.has(c.id)).map((c) => c.id),
  };
}
