import { and, eq } from 'drizzle-orm';
import type { Executor } from '../../infra/database';
import { documents } from '../../../db/schema';
import type { ProjectRow } from '../projects/project-access';
import type { RulebookService } from '../rulebook/rulebook-service';
import type { RulebookContent } from '../rulebook/rulebook.schema';
import { requiredComponents } from '../screening/screening';

export interface DossierChecklist {
  rulebookVersion: string;
  rulebookEffectiveFrom: string;
  /** True once the dossier was accepted complete: the checklist no longer changes under the investor. */
  rulebookPinned: boolean;
  required: Array<{ component: string; title: string; present: boolean; citation: string; verified: boolean; note?: string }>;
  missing: string[];
}

/** The required components of the project's stage (Art. 16) under a rulebook, given those present. */
export function checklistOf(
  rulebook: { version: string; effectiveFrom: string; content: RulebookContent; pinned?: boolean },
  project: ProjectRow,
  present: ReadonlySet<string>,
): DossierChecklist {
  const required = requiredComponents(rulebook.content, {
    stage: project.stage as 'investment_policy' | 'investment_decision',
    environmentalGroup: project.environmentalGroup as 'I' | null,
    environmentalRisk: project.environmentalRisk,
    technologyContributedAsCapital: project.technologyAsCapital,
  });
  return {
    rulebookVersion: rulebook.version,
    rulebookEffectiveFrom: rulebook.effectiveFrom,
    rulebookPinned: rulebook.pinned === true,
    required: required.map((c) => ({ component: c.id, title: c.title, present: present.has(c.id), citation: c.citation, verified: c.verified, ...(c.note ? { note: c.note } : {}) })),
    missing: required.filter((c) => !present.has(c.id)).map((c) => c.id),
  };
}

/** The checklist under the project's rulebook version (pinned, or in force at `at`), from its active documents. */
export async function dossierChecklist(db: Executor, rulebooks: RulebookService, project: ProjectRow, at: Date): Promise<DossierChecklist> {
  const rb = await rulebooks.forProject(project, at, db);
  const active = await db
    .select({ component: documents.component })
    .from(documents)
    .where(and(eq(documents.projectId, project.id), eq(documents.status, 'active')));
  return checklistOf(rb, project, new Set(active.map((r) => r.component)));
}
