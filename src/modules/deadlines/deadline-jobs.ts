/**
 * The time-based work of the clock, done from the database: the open deadline rows ARE the
 * queue (each has its due instant; `deadlines_open_due_idx` finds the ones whose time came).
 * A sweep claims them with FOR UPDATE SKIP LOCKED inside one transaction, so several instances
 * never do the same work twice, nothing is held between transactions (works behind a
 * transaction-pooling PgBouncer, no session-level advisory lock), and nothing is lost on a
 * restart: work that came due while no instance ran is found by the next sweep, because it is a
 * row, not a timer. What each sweep does, once per row (a marker column records it):
 *   - due soon (within DUE_SOON_HOURS): a notification to the clerks through the outbox;
 *   - the apology (Mẫu 04) drafted for the clerk, for a result step still open that close to its
 *     due date, with a proposed new appointment (APOLOGY_SLACK_WORKING_DAYS after the due date);
 *   - past due: the row is marked overdue, a notification, and `deadline.overdue` in the chain.
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../../infra/database';
import { appendAuditEvent } from '../audit/audit-writer';
import { vietnamDateOf } from '../calendar/calendar-types';
import { RESULT_STEPS, type DeadlineService } from './deadline-service';

/** Notify and draft the apology this long before the due instant. */
export const DUE_SOON_HOURS = 48;
/** The apology proposes the result this many working days after the missed due date (the clerk may change it). */
export const APOLOGY_SLACK_WORKING_DAYS = 5;

const SYSTEM_ACTOR = { sub: 'system:deadline-sweeper', roles: [] as never[], org: null };

export interface SweepResult {
  dueSoon: number;
  apologiesDrafted: number;
  overdue: number;
}

interface Claimed {
  id: string;
  project_id: string;
  project_code: string;
  project_state: string;
  step: string;
  due_at: Date | string;
  due_soon_notified_at: Date | string | null;
  apology_drafted_at: Date | string | null;
  status: string;
}

export function createDeadlineJobs(deps: { db: Db; deadlines: DeadlineService; clock: () => Date; batchSize?: number }) {
  const batch = deps.batchSize ?? 200;

  /** One sweep; returns what it did. Safe to call from any number of instances at once. */
  async function sweepOnce(): Promise<SweepResult> {
    const now = deps.clock();
    const soon = new Date(now.getTime() + DUE_SOON_HOURS * 3_600_000);
    return deps.db.transaction(async (tx) => {
      const rows = (await tx.execute(sql`
        select d.id, d.project_id, p.code as project_code, p.state as project_state, d.step, d.due_at, d.due_soon_notified_at, d.apology_drafted_at, d.status
        from deadlines d join projects p on p.id = d.project_id
        where d.closed_at is null and d.paused_since is null and d.due_at <= ${soon.toISOString()}::timestamptz
          and (d.due_soon_notified_at is null or (d.status = 'running' and d.due_at < ${now.toISOString()}::timestamptz)
               or (d.apology_drafted_at is null and d.step in ('opinion', 'appraisal')))
        order by d.due_at
        limit ${batch}
        -- The project row too: its state goes on the audit events, and a project a command holds
        -- now is simply left for the next sweep.
        for update of d, p skip locked
      `)) as unknown as Claimed[];
      const result: SweepResult = { dueSoon: 0, apologiesDrafted: 0, overdue: 0 };
      for (const r of rows) {
        const dueAt = new Date(r.due_at);
        const notify = (kind: string, message: string) =>
          tx.execute(sql`insert into outbox (topic, payload) values ('notification', ${JSON.stringify({ kind, message, recipientRole: 'clerk', projectId: r.project_id, projectCode: r.project_code })}::jsonb)`);
        if (r.status === 'running' && dueAt.getTime() < now.getTime()) {
          await tx.execute(sql`update deadlines set status = 'overdue', overdue_marked_at = ${now.toISOString()}::timestamptz where id = ${r.id}`);
          await notify('deadline.overdue', `Project ${r.project_code}: step ${r.step} is overdue (due ${dueAt.toISOString()})`);
          await appendAuditEvent(tx, { actor: SYSTEM_ACTOR, action: 'deadline.overdue', projectId: r.project_id, fromState: r.project_state, toState: r.project_state, payload: { deadlineId: r.id, step: r.step, dueAt: dueAt.toISOString() }, at: now });
          result.overdue++;
        }
        if (!r.due_soon_notified_at) {
          await tx.execute(sql`update deadlines set due_soon_notified_at = ${now.toISOString()}::timestamptz where id = ${r.id}`);
          if (dueAt.getTime() >= now.getTime()) {
            await notify('deadline.due_soon', `Project ${r.project_code}: step ${r.step} is due ${dueAt.toISOString()}`);
            result.dueSoon++;
          }
        }
        if (!r.apology_drafted_at && RESULT_STEPS.has(r.step)) {
          const proposed = await deps.deadlines.due(dueAt, APOLOGY_SLACK_WORKING_DAYS, 'working_days', []);
          await tx.execute(sql`update deadlines set apology_drafted_at = ${now.toISOString()}::timestamptz, apology_proposed_date = ${proposed.dueDate}::date where id = ${r.id}`);
          await notify(
            'deadline.apology_drafted',
            `Project ${r.project_code}: the result is due ${vietnamDateOf(dueAt)}; an apology slip (Mẫu 04) proposing ${proposed.dueDate} is drafted for you to confirm`,
          );
          await appendAuditEvent(tx, { actor: SYSTEM_ACTOR, action: 'apology.drafted', projectId: r.project_id, fromState: r.project_state, toState: r.project_state, payload: { deadlineId: r.id, step: r.step, dueAt: dueAt.toISOString(), proposedDate: proposed.dueDate }, at: now });
          result.apologiesDrafted++;
        }
      }
      return result;
    });
  }

  return { sweepOnce };
}

export type DeadlineJobs = ReturnType<typeof createDeadlineJobs>;
