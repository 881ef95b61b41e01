/**
 * "Tỷ lệ hồ sơ đúng hạn": per step and overall, the deadlines opened in a period and how they
 * stand at `now`: closed on time, closed late, still running, past due while open, paused.
 * Rows closed by a withdrawal are counted apart (the step was never done). The rate is on time
 * over closed (on time + late), null when nothing closed.
 */
import { sql } from 'drizzle-orm';
import type { Executor } from '../../infra/database';

export interface OnTimeCounts {
  total: number;
  onTime: number;
  late: number;
  running: number;
  overdue: number;
  paused: number;
  withdrawn: number;
  onTimeRate: number | null;
}

export async function onTimeReport(x: Executor, from: Date, to: Date, now: Date) {
  const rows = (await x.execute(sql`
    select step,
      count(*) filter (where closed_by is distinct from 'project.withdrawn')::int as total,
      count(*) filter (where closed_at is not null and closed_by <> 'project.withdrawn' and closed_at <= due_at)::int as on_time,
      count(*) filter (where closed_at is not null and closed_by <> 'project.withdrawn' and closed_at > due_at)::int as late,
      count(*) filter (where closed_at is null and paused_since is null and due_at >= ${now.toISOString()}::timestamptz)::int as running,
      count(*) filter (where closed_at is null and paused_since is null and due_at < ${now.toISOString()}::timestamptz)::int as overdue,
      count(*) filter (where closed_at is null and paused_since is not null)::int as paused,
      count(*) filter (where closed_by = 'project.withdrawn')::int as withdrawn
    from deadlines
    where started_at >= ${from.toISOString()}::timestamptz and started_at < ${to.toISOString()}::timestamptz
    group by step order by step
  `)) as unknown as Array<{ step: string; total: number; on_time: number; late: number; running: number; overdue: number; paused: number; withdrawn: number }>;
  const counts = (r: Omit<OnTimeCounts, 'onTimeRate'>): OnTimeCounts => ({ ...r, onTimeRate: r.onTime + r.late > 0 ? r.onTime / (r.onTime + r.late) : null });
  const steps = rows.map((r) => ({ step: r.step, ...counts({ total: r.total, onTime: r.on_time, late: r.late, running: r.running, overdue: r.overdue, paused: r.paused, withdrawn: r.withdrawn }) }));
  const sum = (k: keyof Omit<OnTimeCounts, 'onTimeRate'>) => steps.reduce((n, s) => n + s[k], 0);
  const overall = counts({ total: sum('total'), onTime: sum('onTime'), late: sum('late'), running: sum('running'), overdue: sum('overdue'), paused: sum('paused'), withdrawn: sum('withdrawn') });
  return { from: from.toISOString(), to: to.toISOString(), at: now.toISOString(), steps, overall };
}
