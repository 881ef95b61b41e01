import { sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../../infra/database';
import type { RulebookService } from '../rulebook/rulebook-service';
import { checklistOf } from '../documents/dossier-checklist';
import type { BatchFactsProvider, FactsProvider } from './project-service';
import type { ProjectRow } from './project-access';

type FactsRow = {
  id: string;
  declaration_present: boolean;
  components: string[];
  prohibited: number;
  outdated: number;
  appraisal_status: string | null;
  required_opinions: number | null;
  current_opinions: number;
};

/**
 * The facts' columns for the projects of `source`, a relation with columns `id` (uuid) and
 * `round` (int): one row per project, whether `source` holds one project or a page of them.
 */
function factsQuery(source: SQL): SQL {
  return sql`
    select
      p.id,
      exists (select 1 from technology_declarations d where d.project_id = p.id) as declaration_present,
      coalesce((select array_agg(distinct c.component) from documents c where c.project_id = p.id and c.status = 'active'), '{}') as components,
      coalesce(f.prohibited, 0)::int as prohibited,
      coalesce(f.outdated, 0)::int as outdated,
      a.status as appraisal_status,
      a.required_opinions,
      case when a.id is null then 0 else appraisal_current_opinions(a.id) end::int as current_opinions
    from ${source}
    left join lateral (
      select count(*) filter (where severity = 'prohibited') as prohibited, count(*) filter (where severity = 'outdated') as outdated
      from findings where screening_id = (select s.id from screenings s where s.project_id = p.id order by s.screened_at desc limit 1)
    ) f on true
    left join appraisals a on a.project_id = p.id and a.round = p.round
  `;
}

/**
 * Everything the machine's guards need about a project besides the caller, in one query:
 * declaration present, dossier components present (against the project's rulebook version), blocking
 * findings of the latest screening, and whether the round's appraisal is complete. It runs for
 * every project view and every command, so it stays a single round trip; `many` gives a page of
 * projects their facts in one round trip too (the projects list).
 */
export function createProjectFacts(deps: { rulebooks: RulebookService; clock: () => Date }): FactsProvider & { many: BatchFactsProvider } {
  const toFacts = async (x: Executor, project: ProjectRow, row: FactsRow) => {
    // The pinned version once accepted complete, the version in force before (transitional rule).
    const rb = await deps.rulebooks.forProject(project, deps.clock(), x);
    return {
      declarationPresent: row.declaration_present,
      missingComponents: checklistOf(rb, project, new Set(row.components)).missing,
      prohibitedFindings: row.prohibited,
      unresolvedOutdatedFindings: row.outdated,
      appraisalComplete: row.appraisal_status === 'concluded' && row.current_opinions >= (row.required_opinions ?? 1),
    };
  };
  const one: FactsProvider = async (x, project) => {
    const [row] = (await x.execute(factsQuery(sql`(select ${project.id}::uuid as id, ${project.round}::int as round) as p`))) as unknown as FactsRow[];
    return toFacts(x, project, row!);
  };
  const many: BatchFactsProvider = async (x, rows) => {
    const out = new Map<string, Awaited<ReturnType<FactsProvider>>>();
    if (rows.length === 0) return out;
    const ids = `{${rows.map((r) => r.id).join(',')}}`;
    const rounds = `{${rows.map((r) => r.round).join(',')}}`;
    const found = (await x.execute(factsQuery(sql`unnest(${ids}::uuid[], ${rounds}::int[]) as p(id, round)`))) as unknown as FactsRow[];
    const byId = new Map(found.map((r) => [r.id, r]));
    for (const project of rows) out.set(project.id, await toFacts(x, project, byId.get(project.id)!));
    return out;
  };
  return Object.assign(one, { many });
}
