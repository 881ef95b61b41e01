import { sql } from 'drizzle-orm';
import type { Db } from '../../infra/database';
import { NotFoundError, ValidationError } from '../../errors';
import { replay } from '../../../workflows/appraisal/appraisal.replay';

/**
 * A project as it stood at an instant, rebuilt by replaying its audit events (up to that
 * instant) through the machine, with what the dossier held then. `consistent` is false when the
 * replay disagrees with the log, or (for an instant after the last event) with the project row.
 */
export async function projectAsOf(db: Db, projectId: string, at: Date) {
  if (Number.isNaN(at.getTime())) throw new ValidationError('at must be an ISO-8601 date-time', {}, 'INVALID_AT');
  const [project] = (await db.execute(sql`
    select id, code, organisation, name, state, revision, round, created_at from projects where id = ${projectId}
  `)) as unknown as Array<{ id: string; code: string; organisation: string; name: string; state: string; revision: number; round: number; created_at: Date }>;
  if (!project) throw new NotFoundError('Project');
  const events = (await db.execute(sql`
    select seq, action, from_state, to_state, revision, machine_version, occurred_at, actor_sub
    from audit_events where chain_id = ${projectId} and occurred_at <= ${at.toISOString()}::timestamptz order by chain_seq
  `)) as unknown as Array<{ seq: string; action: string; from_state: string | null; to_state: string | null; revision: number | null; machine_version: number | null; occurred_at: Date; actor_sub: string }>;
  if (events.length === 0) {
    return { projectId, code: project.code, at: at.toISOString(), existed: false, state: null, round: null, revision: null, lastEvent: null, consistent: true, problems: [], documents: [], declarationVersion: null, screening: null };
  }
  const result = replay(events.map((e) => ({ seq: Number(e.seq), action: e.action, fromState: e.from_state, toState: e.to_state, machineVersion: e.machine_version })));
  const last = events.at(-1)!;
  const revision = [...events].reverse().find((e) => e.revision !== null)?.revision ?? null;
  const problems = [...result.problems];
  const [{ later }] = (await db.execute(sql`select count(*)::int as later from audit_events where chain_id = ${projectId} and occurred_at > ${at.toISOString()}::timestamptz`)) as unknown as [{ later: number }];
  if (later === 0) {
    // Nothing happened since: the replay must match the row as it stands.
    if (result.state !== project.state) problems.push({ seq: Number(last.seq), action: 'projects row', detail: `the database holds "${project.state}", the replay gives "${result.state}"` });
    if (revision !== project.revision) problems.push({ seq: Number(last.seq), action: 'projects row', detail: `the database holds revision ${project.revision}, the log ${revision}` });
    if (result.round !== project.round) problems.push({ seq: Number(last.seq), action: 'projects row', detail: `the database holds round ${project.round}, the replay ${result.round}` });
  }
  const documents = (await db.execute(sql`
    select id, component, version, sha256, size_bytes, media_type, original_name, committed_at
    from documents
    where project_id = ${projectId} and committed_at <= ${at.toISOString()}::timestamptz
      and (superseded_at is null or superseded_at > ${at.toISOString()}::timestamptz)
    order by component
  `)) as unknown as Array<{ id: string; component: string; version: number; sha256: string; size_bytes: string; media_type: string; original_name: string; committed_at: Date }>;
  const [decl] = (await db.execute(sql`
    select max(version)::int as v from technology_declarations where project_id = ${projectId} and created_at <= ${at.toISOString()}::timestamptz
  `)) as unknown as [{ v: number | null }];
  const [screening] = (await db.execute(sql`
    select s.id, s.rulebook_version, s.screened_at,
      (select count(*)::int from findings f where f.screening_id = s.id and f.severity = 'prohibited') as prohibited,
      (select count(*)::int from findings f where f.screening_id = s.id and f.severity = 'outdated') as outdated
    from screenings s where s.project_id = ${projectId} and s.screened_at <= ${at.toISOString()}::timestamptz order by s.screened_at desc limit 1
  `)) as unknown as Array<{ id: string; rulebook_version: string; screened_at: Date; prohibited: number; outdated: number }>;
  return {
    projectId,
    code: project.code,
    at: at.toISOString(),
    existed: true,
    state: result.state,
    round: result.round,
    revision,
    lastEvent: { seq: Number(last.seq), action: last.action, occurredAt: new Date(last.occurred_at).toISOString(), actor: last.actor_sub },
    consistent: problems.length === 0,
    problems,
    documents: documents.map((d) => ({ id: d.id, component: d.component, version: d.version, sha256: d.sha256, size: Number(d.size_bytes), mediaType: d.media_type, originalName: d.original_name })),
    declarationVersion: decl?.v ?? null,
    screening: screening
      ? { id: screening.id, rulebookVersion: screening.rulebook_version, screenedAt: new Date(screening.screened_at).toISOString(), prohibited: screening.prohibited, outdated: screening.outdated }
      : null,
  };
}
