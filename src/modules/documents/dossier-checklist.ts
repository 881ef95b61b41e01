import { and, eq } from 'drizzle-orm';
import type { Executor } from '../../infra/database';
import { documents } from '../../../db/schema';
import type { ProjectRow } from '../projects/project-access';
import type { RulebookService } from '../rulebook/rulebook-service';
import type { RulebookContent } from '../rulebook/rulebook.schema';
import { requiredComponents } from '../screening/screening';

export interface DossierChecklist {
  rulebookVersion: string;
  required: Array<{ component: string; title: string; present: boolean }>;
  missing: string[];
}

/** The required components of the project's stage (Art. 16) under a rulebook, given those present. */
export function checklistOf(rulebook: { version: string; content: RulebookContent }, project: ProjectRow, present: ReadonlySet<string>): DossierChecklist {
  const required = requiredComponents(rulebook.content, {
    stage: project.stage as 'investment_policy' | 'investment_decision',
    environmentalRisk: project.environmentalRisk,
    technologyContributedAsCapital: project.technologyAsCapital,
  });
  return {
    rulebookVersion: rulebook.version,
    required: required.map((c) => ({ component: c.id, title: c.title, present: present.has(c.id) })),
    missing: required.filter((c) => !present.has(c.id)).map((c) => c.id),
  };
}

/** The checklist under the rulebook in force at `at`, from the project's active documents. */
export async function dossierChecklist(db: Executor, rulebooks: RulebookService, project: ProjectRow, at: Date): Promise<DossierChecklist> {
  const rb = await rulebooks.inForce(at, db);
  const active = await db
    .select({ component: documents.component })
    .from(documents)
    .where(and(eq(documents.projectId, project.id), eq(documents.status, 'active')));
  return checklistOf(rb, project, new Set(active.map((r) => r.component)));
}
