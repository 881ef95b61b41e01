import { sql } from 'drizzle-orm';
import type { Db } from '../../infra/database';
import { ValidationError } from '../../errors';
import { transitionAllowed } from '../../../workflows/appraisal/appraisal.replay';

/**
 * "100% of projects appraised", as an auditor can check it for a period: counts from the audit
 * log, and the violations — every decision in the period that does not rest on a complete
 * appraisal, every decided project without a matching decision, and every project whose log
 * does not replay to its stored state. Violations must be empty.
 *
 * Built to stay fast on large logs: counts and checks are set-based SQL; the machine validates
 * the distinct recorded transitions (a handful) rather than every event.
 */
export async function coverageReport(db: Db, from: Date, to: Date) {
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || from >= to) {
    throw new ValidationError('from and to must be ISO-8601 date-times with from < to', {}, 'INVALID_PERIOD');
  }
  const f = from.toISOString();
  const t = to.toISOString();
  const started = performance.now();

  const [counts] = (await db.execute(sql`
    select
      count(distinct project_id) filter (where action = 'project.submitted') as submitted,
      count(distinct project_id) filter (where action = 'decision.recorded') as decided,
      count(distinct project_id) filter (where action = 'decision.recorded' and payload->>'outcome' in ('approved','approved_with_conditions')) as approved,
      count(distinct project_id) filter (where action = 'decision.recorded' and payload->>'outcome' = 'rejected') as rejected,
      count(distinct project_id) filter (where action = 'appraisal.concluded') as appraised
    from audit_events
    where occurred_at >= ${f}::timestamptz and occurred_at < ${t}::timestamptz
      and action in ('project.submitted','decision.recorded','appraisal.concluded')
  `)) as unknown as Array<Record<string, string>>;

  // Decisions in the period whose appraisal is not complete (possible only around the triggers).
  const incomplete = (await db.execute(sql`
    select p.id as project_id, p.code, d.id as decision_id, d.outcome, a.id as appraisal_id, a.status, a.required_opinions,
      case when a.id is null then 0 else appraisal_current_opinions(a.id) end as current_opinions
    from decisions d
    join projects p on p.id = d.project_id
    left join appraisals a on a.id = d.appraisal_id
    where d.created_at >= ${f}::timestamptz and d.created_at < ${t}::timestamptz
      and (a.id is null or a.status <> 'concluded' or appraisal_current_opinions(a.id) < coalesce(a.required_opinions, 1))
  `)) as unknown as Array<Record<string, unknown>>;

  // Projects decided in the period (by the log) in a decided state without a matching decision row.
  const undecided = (await db.execute(sql`
    select p.id as project_id, p.code, p.state, p.round
    from projects p
    where p.state in ('approved','rejected')
      and exists (select 1 from audit_events e where e.project_id = p.id and e.action = 'decision.recorded'
                  and e.occurred_at >= ${f}::timestamptz and e.occurred_at < ${t}::timestamptz)
      and not exists (select 1 from decisions d join appraisals a on a.id = d.appraisal_id
                      where d.project_id = p.id and a.round = p.round and a.status = 'concluded'
                        and ((p.state = 'approved' and d.outcome in ('approved','approved_with_conditions')) or (p.state = 'rejected' and d.outcome = 'rejected')))
  `)) as unknown as Array<Record<string, unknown>>;

  // Replay: in projects active in the period, each event starts where the previous ended, the
  // last one ends where the row stands, and every recorded transition is one the machine allows.
  const scope = sql`(select distinct project_id from audit_events where occurred_at >= ${f}::timestamptz and occurred_at < ${t}::timestamptz and project_id is not null)`;
  const triples = (await db.execute(sql`
    select distinct action, from_state, to_state from audit_events where project_id in ${scope}
  `)) as unknown as Array<{ action: string; from_state: string | null; to_state: string | null }>;
  const invalid = triples.filter((x) => !transitionAllowed(x.action, x.from_state, x.to_state));
  const replayProblems = (await db.execute(sql`
    with ev as (
      select project_id, seq, action, from_state, to_state,
             lag(to_state) over (partition by project_id order by chain_seq) as prev_to,
             row_number() over (partition by project_id order by chain_seq desc) as from_end
      from audit_events where project_id in ${scope}
    )
    select ev.project_id, p.code, ev.seq, ev.action, ev.from_state, ev.to_state, ev.prev_to, p.state as stored_state,
      case
        when ev.prev_to is not null and ev.from_state is distinct from ev.prev_to then 'does not start where the previous event ended'
        when ev.from_end = 1 and ev.to_state is distinct from p.state then 'the last event does not end in the stored state'
        else 'a transition the machine does not allow'
      end as problem
    from ev join projects p on p.id = ev.project_id
    where (ev.prev_to is not null and ev.from_state is distinct from ev.prev_to)
       or (ev.from_end = 1 and ev.to_state is distinct from p.state)
       or (ev.action, coalesce(ev.from_state, ''), coalesce(ev.to_state, '')) in (
            select * from unnest(${`{${invalid.map((x) => JSON.stringify(x.action)).join(',')}}`}::text[],
                                 ${`{${invalid.map((x) => JSON.stringify(x.from_state ?? '')).join(',')}}`}::text[],
                                 ${`{${invalid.map((x) => JSON.stringify(x.to_state ?? '')).join(',')}}`}::text[]))
    order by ev.seq
    limit 1000
  `)) as unknown as Array<Record<string, unknown>>;

  const n = (k: string) => Number(counts?.[k] ?? 0);
  const decided = n('decided');
  const violations = [
    ...incomplete.map((v) => ({ kind: 'decision_without_complete_appraisal', ...v })),
    ...undecided.map((v) => ({ kind: 'decided_state_without_decision', ...v })),
    ...replayProblems.map((v) => ({ kind: 'replay_disagrees', ...v })),
  ];
  const uncovered = new Set([...incomplete, ...undecided].map((v) => v.project_id));
  return {
    from: f,
    to: t,
    submitted: n('submitted'),
    decided,
    approved: n('approved'),
    rejected: n('rejected'),
    appraised: n('appraised'),
    coveragePercent: decided === 0 ? 100 : Math.round(((decided - uncovered.size) / decided) * 10000) / 100,
    violations,
    generatedInMs: Math.round(performance.now() - started),
  };
}
