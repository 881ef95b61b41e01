/**
 * The clerk's SLA board: every open deadline of the open projects the caller may see, overdue
 * first, then by nearest due instant, paused clocks last (they have no due instant while the
 * investor supplements). Reads the deadlines table (deadlines_open_due_idx), the same rows the
 * project view shows; the live status (overdue before the sweeper marks it) comes from toView.
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../../infra/database';
import type { Principal } from '../../auth/token-verifier';
import { ForbiddenError } from '../../errors';
import { deadlines, projects } from '../../../db/schema';
import { visibleProjectsCondition } from '../projects/project-access';
import { vietnamDateOf } from '../calendar/calendar-types';
import type { DeadlineService, DeadlineView } from './deadline-service';

/** Projects in these states have no running procedure. */
const FINAL_STATES = ['approved', 'rejected', 'withdrawn'];

export interface BoardRow {
  project: { id: string; code: string; name: string; state: string };
  deadline: DeadlineView;
  /** Calendar days from today (Vietnam date) to the due date; negative when overdue; null while paused. */
  daysLeft: number | null;
}

/** Calendar days from the Vietnam date of `now` to the Vietnam date of `due`. */
export function calendarDaysLeft(now: Date, due: Date): number {
  const day = (d: Date) => Date.parse(`${vietnamDateOf(d)}T00:00:00Z`) / 86_400_000;
  return Math.round(day(due) - day(now));
}

export function createSlaBoard(deps: { db: Db; deadlines: DeadlineService; clock: () => Date }) {
  async function board(principal: Principal, opts: { limit?: number } = {}): Promise<{ at: string; rows: BoardRow[]; overdue: number; paused: number }> {
    if (!principal.roles.some((r) => r === 'clerk' || r === 'approver' || r === 'auditor' || r === 'admin')) {
      throw new ForbiddenError('The SLA board is for the one-stop desk', 'ROLE_NOT_ALLOWED');
    }
    const now = deps.clock();
    const limit = Math.min(Math.max(opts.limit ?? 200, 1), 500);
    const rows = await deps.db
      .select({ d: deadlines, id: projects.id, code: projects.code, name: projects.name, state: projects.state })
      .from(deadlines)
      .innerJoin(projects, sql`${projects.id} = ${deadlines.projectId} and ${projects.round} = ${deadlines.round}`)
      .where(sql`${deadlines.closedAt} is null and ${projects.state} not in ${FINAL_STATES} and ${visibleProjectsCondition(principal)}`)
      .orderBy(sql`(${deadlines.dueAt} < ${now.toISOString()}::timestamptz) desc nulls last`, sql`${deadlines.dueAt} asc nulls last`, projects.code)
      .limit(limit);
    const out = rows.map((r) => {
      const view = deps.deadlines.toView(r.d, now);
      return { project: { id: r.id, code: r.code, name: r.name, state: r.state }, deadline: view, daysLeft: r.d.dueAt ? calendarDaysLeft(now, r.d.dueAt) : null };
    });
    return { at: now.toISOString(), rows: out, overdue: out.filter((r) => r.deadline.status === 'overdue').length, paused: out.filter((r) => r.deadline.status === 'paused').length };
  }
  return { board };
}
export type SlaBoard = ReturnType<typeof createSlaBoard>;
