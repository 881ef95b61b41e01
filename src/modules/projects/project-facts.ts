import { sql } from 'drizzle-orm';
import type { Executor } from '../../infra/database';
import type { RulebookService } from '../rulebook/rulebook-service';
import { checklistOf } from '../documents/dossier-checklist';
import type { FactsProvider } from './project-service';

/**
 * Everything the machine's guards need about a project besides the caller, in one query:
 * declaration present, dossier components present (against the project's rulebook version), blocking
 * findings of the latest screening, and whether the round's appraisal is complete. It runs for
 * every project view and every command, so it stays a single round trip.
 */
export function createProjectFacts(deps: { rulebooks: RulebookService; clock: () => Date }): FactsProvider {
  return async (x: Executor, project) => {
    const [row] = (await x.execute(sql`
      select
        exists (select 1 from technology_declarations d where d.project_id = ${project.id}) as declaration_present,
        coalesce((select array_agg(distinct c.component) from documents c where c.project_id = ${project.id} and c.status = 'active'), '{}') as components,
        coalesce(f.prohibited, 0)::int as prohibited,
        coalesce(f.outdated, 0)::int as outdated,
        a.status as appraisal_status,
        a.required_opinions,
        case when a.id is null then 0 else appraisal_current_opinions(a.id) end::int as current_opinions
      from (select 1) as one
      left join lateral (
        select count(*) filter (where severity = 'prohibited') as prohibited, count(*) filter (where severity = 'outdated') as outdated
        from findings where screening_id = (select s.id from screenings s where s.project_id = ${project.id} order by s.screened_at desc limit 1)
      ) f on true
      left join appraisals a on a.project_id = ${project.id} and a.round = ${project.round}
    `)) as unknown as Array<{
      declaration_present: boolean;
      components: string[];
      prohibited: number;
      outdated: number;
      appraisal_status: string | null;
      required_opinions: number | null;
      current_opinions: number;
    }>;
    // The pinned version once accepted complete, the version in force before (transitional rule).
    const rb = await deps.rulebooks.forProject(project, deps.clock(), x);
    return {
      declarationPresent: row!.declaration_present,
      missingComponents: checklistOf(rb, project, new Set(row!.components)).missing,
      prohibitedFindings: row!.prohibited,
      unresolvedOutdatedFindings: row!.outdated,
      appraisalComplete: row!.appraisal_status === 'concluded' && row!.current_opinions >= (row!.required_opinions ?? 1),
    };
  };
}
