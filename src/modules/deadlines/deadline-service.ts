/**
 * The statutory clock of a project (docs/clock.md "Deadlines"): one `deadlines` row per step of
 * the procedure and round, from the project's pinned rulebook. Every change runs inside the
 * transaction of the command that causes it (the hooks below are called by the project and
 * appraisal services right after the transition), so a deadline never disagrees with the state.
 * The due date comes from the same pure engine as GET /v1/calendar/due-date; the row keeps the
 * inputs (start, unit, limit, extension, pauses, calendar versions) so it can be recomputed later.
 */
import { and, asc, eq, inArray, isNull } from 'drizzle-orm';
import type { Executor, Tx } from '../../infra/database';
import { deadlines } from '../../../db/schema';
import { ConflictError, NotFoundError, UnprocessableError, ValidationError } from '../../errors';
import type { CalendarService } from '../calendar/calendar-service';
import { computeDueDate, deadlineStatusAt, type DeadlineStatus, type Unit } from '../calendar/due-date';
import { vietnamDateOf } from '../calendar/calendar-types';
import type { TimeLimit } from '../rulebook/rulebook.schema';
import type { Rulebook } from '../rulebook/rulebook-service';

export type DeadlineRow = typeof deadlines.$inferSelect;

/** Steps of this service's procedure; the 2026 investment-procedure wrapper steps are another body's acts. */
export const PROCEDURE_STEPS = ['forward_to_reviewer', 'opinion', 'appraisal'] as const;
/** The steps whose end is the result of the procedure (the opinion or the appraisal result). */
export const RESULT_STEPS: ReadonlySet<string> = new Set(['opinion', 'appraisal']);

export interface DeadlineView {
  id: string;
  step: string;
  round: number;
  startedAt: string;
  dueAt: string | null;
  dueDate: string | null;
  unit: Unit;
  limit: number;
  extensionDays: number;
  extensionNotice: string | null;
  status: DeadlineStatus;
  pausedDays: number;
  pauses: Array<{ from: string; to: string | null }>;
  closedAt: string | null;
  late: boolean;
  calendarVersion: string;
  timeLimit: { id: string; rulebookVersion: string; citation: string; verified: boolean };
  apologyDraft: { draftedAt: string; proposedDate: string } | null;
  rescheduledTo: string | null;
}

interface ProjectLike {
  id: string;
  stage: string;
  projectGroup: string;
  capitalSource: string;
  round: number;
}

/** The time limits of the rulebook that apply to a project (stage, group, capital source). */
export function applicableTimeLimits(limits: readonly TimeLimit[], project: Pick<ProjectLike, 'stage' | 'projectGroup' | 'capitalSource'>): TimeLimit[] {
  return limits.filter(
    (l) =>
      (PROCEDURE_STEPS as readonly string[]).includes(l.step) &&
      (!l.appliesTo.stage || l.appliesTo.stage === project.stage) &&
      (!l.appliesTo.group || (l.appliesTo.group as readonly string[]).includes(project.projectGroup)) &&
      (!l.appliesTo.capitalSource || (l.appliesTo.capitalSource as readonly string[]).includes(project.capitalSource)),
  );
}

type Pause = { from: string; to: string | null };
const pausesOf = (row: DeadlineRow): Pause[] => [...((row.pauses as Pause[]) ?? []), ...(row.pausedSince ? [{ from: row.pausedSince.toISOString(), to: null }] : [])];

export function createDeadlineService(deps: { calendars: CalendarService; clock: () => Date }) {
  const { calendars } = deps;

  async function due(start: Date, limit: number, unit: Unit, pauses: Pause[]) {
    return computeDueDate({ start: start.toISOString(), limit, unit, pauses }, await calendars.current());
  }

  async function openRows(x: Executor, projectId: string): Promise<DeadlineRow[]> {
    return x.select().from(deadlines).where(and(eq(deadlines.projectId, projectId), isNull(deadlines.closedAt))).orderBy(asc(deadlines.startedAt), asc(deadlines.step));
  }

  /**
   * The dossier was accepted complete: paused rows of the round resume (the clock starts again);
   * with none open, the round's steps are opened from the pinned rulebook. Returns the open rows.
   */
  async function accepted(tx: Tx, project: ProjectLike, rulebook: Rulebook, now: Date): Promise<DeadlineRow[]> {
    const open = await openRows(tx, project.id);
    if (open.length > 0) {
      for (const row of open) {
        if (!row.pausedSince) continue;
        const pauses = [...((row.pauses as Pause[]) ?? []), { from: row.pausedSince.toISOString(), to: now.toISOString() }];
        const r = await due(row.startedAt, row.periodLimit + row.extensionDays, row.unit as Unit, pauses);
        await tx
          .update(deadlines)
          .set({ pauses, pausedSince: null, dueAt: new Date(r.due!), calendarVersion: r.calendarVersion, status: Date.parse(r.due!) < now.getTime() ? 'overdue' : 'running', dueSoonNotifiedAt: null, apologyDraftedAt: null, apologyProposedDate: null })
          .where(eq(deadlines.id, row.id));
      }
      return openRows(tx, project.id);
    }
    const limits = applicableTimeLimits(rulebook.content.timeLimits, project);
    for (const l of limits) {
      const r = await due(now, l.limit, l.unit, []);
      await tx.insert(deadlines).values({
        projectId: project.id,
        round: project.round,
        step: l.step,
        rulebookVersion: rulebook.version,
        timeLimitId: l.id,
        citation: l.citation,
        verified: l.verified,
        unit: l.unit,
        periodLimit: l.limit,
        startedAt: now,
        dueAt: new Date(r.due!),
        calendarVersion: r.calendarVersion,
        status: 'running',
      });
    }
    return openRows(tx, project.id);
  }

  /** A supplementation request stops every open clock of the project. */
  async function paused(tx: Tx, projectId: string, now: Date): Promise<void> {
    await tx
      .update(deadlines)
      .set({ pausedSince: now, dueAt: null, status: 'paused' })
      .where(and(eq(deadlines.projectId, projectId), isNull(deadlines.closedAt), isNull(deadlines.pausedSince)));
  }

  /** A step was done: close its open row, met if on time, overdue (late) if not. */
  async function closed(tx: Tx, projectId: string, steps: readonly string[] | 'all', now: Date, by: string): Promise<DeadlineRow[]> {
    const rows = (await openRows(tx, projectId)).filter((r) => steps === 'all' || steps.includes(r.step));
    const out: DeadlineRow[] = [];
    for (const row of rows) {
      let dueAt = row.dueAt;
      let calendarVersion = row.calendarVersion;
      let pauses = (row.pauses as Pause[]) ?? [];
      if (row.pausedSince) {
        // Closed while paused (withdrawn during supplementation): the pause ends now.
        pauses = [...pauses, { from: row.pausedSince.toISOString(), to: now.toISOString() }];
        const r = await due(row.startedAt, row.periodLimit + row.extensionDays, row.unit as Unit, pauses);
        dueAt = new Date(r.due!);
        calendarVersion = r.calendarVersion;
      }
      const status = now.getTime() <= dueAt!.getTime() ? 'met' : 'overdue';
      const [updated] = await tx
        .update(deadlines)
        .set({ pauses, pausedSince: null, dueAt, calendarVersion, closedAt: now, closedBy: by, status })
        .where(eq(deadlines.id, row.id))
        .returning();
      out.push(updated!);
    }
    return out;
  }

  /**
   * Extend a decision-stage period once by at most its limit (Art. 18.1(d)), with the written
   * notice and its reasons. Refused when the rulebook gives the step no extension.
   */
  async function extend(tx: Tx, projectId: string, step: string, days: number, notice: string, by: string, limits: readonly TimeLimit[], now: Date): Promise<DeadlineRow> {
    const row = (await openRows(tx, projectId)).find((r) => r.step === step);
    if (!row) throw new ConflictError(`No open deadline for step "${step}" on this project`, 'DEADLINE_NOT_OPEN');
    const limit = limits.find((l) => l.id === row.timeLimitId);
    if (!limit?.extension) throw new UnprocessableError(`The time limit ${row.timeLimitId} (${row.citation}) allows no extension`, 'EXTENSION_NOT_ALLOWED');
    if (row.extensionDays > 0) throw new ConflictError('This deadline was already extended; the law allows one extension', 'ALREADY_EXTENDED');
    if (!Number.isInteger(days) || days < 1 || days > limit.extension.maxDays) {
      throw new ValidationError(`An extension is 1 to ${limit.extension.maxDays} days (${limit.citation})`, { maxDays: limit.extension.maxDays }, 'EXTENSION_TOO_LONG');
    }
    let dueAt: Date | null = null;
    let calendarVersion = row.calendarVersion;
    if (!row.pausedSince) {
      const r = await due(row.startedAt, row.periodLimit + days, row.unit as Unit, (row.pauses as Pause[]) ?? []);
      dueAt = new Date(r.due!);
      calendarVersion = r.calendarVersion;
    }
    const status = row.pausedSince ? 'paused' : dueAt!.getTime() < now.getTime() ? 'overdue' : 'running';
    const [updated] = await tx
      .update(deadlines)
      .set({ extensionDays: days, extensionNotice: notice, extendedAt: now, extendedBy: by, dueAt, calendarVersion, status, dueSoonNotifiedAt: null, apologyDraftedAt: null, apologyProposedDate: null })
      .where(eq(deadlines.id, row.id))
      .returning();
    return updated!;
  }

  function toView(row: DeadlineRow, at: Date): DeadlineView {
    const pauses = pausesOf(row);
    // The live status: an open row past its due instant is overdue even before the job marks it.
    let status = row.status as DeadlineStatus;
    if (!row.closedAt && row.dueAt && at.getTime() > row.dueAt.getTime()) status = 'overdue';
    const pausedDays = pauses.reduce((n, p) => n + pausedDaysBetween(p.from, p.to ?? at.toISOString()), 0);
    return {
      id: row.id,
      step: row.step,
      round: row.round,
      startedAt: row.startedAt.toISOString(),
      dueAt: row.dueAt?.toISOString() ?? null,
      dueDate: row.dueAt ? vietnamDateOf(row.dueAt) : null,
      unit: row.unit as Unit,
      limit: row.periodLimit,
      extensionDays: row.extensionDays,
      extensionNotice: row.extensionNotice,
      status,
      pausedDays,
      pauses,
      closedAt: row.closedAt?.toISOString() ?? null,
      late: row.closedAt !== null && row.dueAt !== null && row.closedAt.getTime() > row.dueAt.getTime(),
      calendarVersion: row.calendarVersion,
      timeLimit: { id: row.timeLimitId, rulebookVersion: row.rulebookVersion, citation: row.citation, verified: row.verified },
      apologyDraft: row.apologyDraftedAt && row.apologyProposedDate ? { draftedAt: row.apologyDraftedAt.toISOString(), proposedDate: row.apologyProposedDate } : null,
      rescheduledTo: row.rescheduledTo,
    };
  }

  /** The project's deadlines of its current round, in the order they were opened. */
  async function ofProject(x: Executor, project: { id: string; round: number }, at: Date = deps.clock()): Promise<{ deadlines: DeadlineView[]; appointmentDate: string | null }> {
    const rows = await x.select().from(deadlines).where(and(eq(deadlines.projectId, project.id), eq(deadlines.round, project.round))).orderBy(asc(deadlines.startedAt), asc(deadlines.step));
    const views = rows.map((r) => toView(r, at));
    return { deadlines: views, appointmentDate: appointmentOf(views) };
  }

  /** `ofProject` for a page of projects in one query (the projects list): keyed by project id. */
  async function ofProjects(x: Executor, projects: ReadonlyArray<{ id: string; round: number }>, at: Date = deps.clock()): Promise<Map<string, { deadlines: DeadlineView[]; appointmentDate: string | null }>> {
    const out = new Map<string, { deadlines: DeadlineView[]; appointmentDate: string | null }>();
    if (projects.length === 0) return out;
    const rows = await x
      .select()
      .from(deadlines)
      .where(inArray(deadlines.projectId, projects.map((p) => p.id)))
      .orderBy(asc(deadlines.startedAt), asc(deadlines.step));
    for (const project of projects) {
      const views = rows.filter((r) => r.projectId === project.id && r.round === project.round).map((r) => toView(r, at));
      out.set(project.id, { deadlines: views, appointmentDate: appointmentOf(views) });
    }
    return out;
  }

  /**
   * The status of a row as it stood at an instant, recomputed from its stored inputs with the
   * calendar versions it was computed with (the as-of view).
   */
  async function asOf(x: Executor, id: string, at: Date) {
    const [row] = await x.select().from(deadlines).where(eq(deadlines.id, id));
    if (!row) throw new NotFoundError('Deadline');
    const versions = row.calendarVersion.split(',').map((v) => {
      const [year, version] = v.split('.');
      return { year: Number(year), version: Number(version) };
    });
    const calendar = await calendars.pinned(versions, x);
    return deadlineStatusAt(
      {
        start: row.startedAt.toISOString(),
        // An extension counts from the moment it was granted: before that the period was the original one.
        limit: row.periodLimit + (row.extendedAt && row.extendedAt.getTime() <= at.getTime() ? row.extensionDays : 0),
        unit: row.unit as Unit,
        pauses: pausesOf(row),
        closedAt: row.closedAt?.toISOString() ?? null,
      },
      calendar,
      at,
    );
  }

  return { accepted, paused, closed, extend, ofProject, ofProjects, openRows, toView, asOf, due };
}

/** The appointment date printed on the receipt: the result step's due date, or the new one an apology gave. */
export function appointmentOf(views: readonly DeadlineView[]): string | null {
  const result = views.filter((v) => RESULT_STEPS.has(v.step));
  const last = result.at(-1);
  if (!last) return null;
  return last.rescheduledTo ?? last.dueDate;
}

/** Days after the pause's first (Vietnamese) day up to and including its last: the days that did not count. */
function pausedDaysBetween(from: string, to: string): number {
  const a = Date.parse(`${vietnamDateOf(new Date(from))}T00:00:00Z`);
  const b = Date.parse(`${vietnamDateOf(new Date(to))}T00:00:00Z`);
  return Math.max(0, Math.round((b - a) / 86_400_000));
}

export type DeadlineService = ReturnType<typeof createDeadlineService>;
