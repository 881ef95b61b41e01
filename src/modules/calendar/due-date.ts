/**
 * The counting engine: pure (no I/O, no clock). Deadlines and GET /v1/calendar/due-date both call
 * it, so a clerk sees exactly why a date falls where it does.
 *
 * Rules (docs/clock.md):
 * - Civil Code 2015 Art. 147: a period in days starts on the day after the event.
 * - working_days: Monday–Friday, minus public holidays, compensatory days off and swapped days off,
 *   plus swapped working days (a Saturday worked in exchange), from the calendar year's data.
 * - calendar_days: every day counts; a period whose last day is a rest day or a holiday ends on
 *   the next working day (Civil Code 2015 Art. 148).
 * - The due instant is the end of the last day in Vietnam time (UTC+7): 23:59:59.999 local by
 *   default (Civil Code: the last day ends at 24:00), or the office closing time when given (for an
 *   act that must be done at the office during its hours).
 * - A pause (supplementation request) stops the clock: the days after the pause event up to and
 *   including the day of the resume event (the complete dossier) do not count; counting goes on
 *   with what was left, from the day after the resume, as at the start.
 */
import { UnprocessableError } from '../../errors';
import {
  REST_KINDS,
  WEEKLY_REST_SOURCE,
  addDays,
  dayNumber,
  toLocalDate,
  vietnamInstant,
  weekday,
  type CalendarEntry,
  type DayKind,
  type WorkingCalendar,
} from './calendar-types';

export const UNITS = ['working_days', 'calendar_days'] as const;
export type Unit = (typeof UNITS)[number];

/** A pause: from the supplementation request to the complete dossier (null while still paused). */
export interface PauseInterval {
  /** YYYY-MM-DD (Vietnamese date) or an ISO instant. */
  from: string;
  to: string | null;
}

export interface DueDateInput {
  /** The event that starts the period: YYYY-MM-DD (Vietnamese date) or an ISO instant. */
  start: string;
  limit: number;
  unit: Unit;
  pauses?: readonly PauseInterval[];
  /** Office closing time (local) for the last day; default: the end of the day. */
  officeClose?: { hour: number; minute: number };
}

export type SkippedKind = DayKind | 'weekly_rest' | 'paused';

export interface SkippedDay {
  date: string;
  kind: SkippedKind;
  name: string;
  source: string;
  verified?: boolean;
}

export interface DueDateResult {
  start: string;
  limit: number;
  unit: Unit;
  /** The due instant (ISO, UTC), or null while an open pause holds the clock. */
  due: string | null;
  /** The last day of the period (Vietnamese date), or null while paused. */
  dueDate: string | null;
  /** Years and versions of the calendar read, e.g. "2026.1" or "2025.2,2026.1". */
  calendarVersion: string;
  /** Days that did not count (rest days, holidays, paused days) and, for calendar days, the rest days the end moved over. */
  skipped: SkippedDay[];
  /** Saturdays or Sundays that counted because the government swapped them into working days. */
  countedRestDays: SkippedDay[];
  /** Days the clock stood still (paused), up to the due date or the open pause. */
  pausedDays: number;
  /** Units left to count while an open pause holds the clock (0 when the due date is known). */
  remaining: number;
}

/** How far a search may run: the longest statutory period is weeks, not years. */
const MAX_LIMIT = 3650;

interface Normalised {
  start: string;
  pauses: Array<{ from: string; to: string | null }>;
}

function normalise(input: DueDateInput): Normalised {
  if (!Number.isInteger(input.limit) || input.limit < 1 || input.limit > MAX_LIMIT) {
    throw new UnprocessableError(`limit must be a whole number from 1 to ${MAX_LIMIT}`, 'LIMIT_OUT_OF_RANGE');
  }
  const start = toLocalDate(input.start);
  const pauses = (input.pauses ?? []).map((p) => ({ from: toLocalDate(p.from), to: p.to === null ? null : toLocalDate(p.to) }));
  pauses.sort((a, b) => dayNumber(a.from) - dayNumber(b.from));
  for (let i = 0; i < pauses.length; i++) {
    const p = pauses[i]!;
    if (p.to !== null && dayNumber(p.to) < dayNumber(p.from)) {
      throw new UnprocessableError(`a pause ends (${p.to}) before it starts (${p.from})`, 'PAUSE_INVALID');
    }
    if (dayNumber(p.from) < dayNumber(start)) throw new UnprocessableError(`a pause (${p.from}) starts before the period (${start})`, 'PAUSE_INVALID');
    const next = pauses[i + 1];
    if (next && (p.to === null || dayNumber(next.from) < dayNumber(p.to))) {
      throw new UnprocessableError(`pauses overlap (${p.from}…${p.to ?? 'open'} and ${next.from}…)`, 'PAUSE_INVALID');
    }
  }
  return { start, pauses };
}

/** Reads day facts from the calendar, remembering which year versions it used. */
function dayReader(calendar: WorkingCalendar) {
  const used = new Map<number, number>();
  const byDate = new Map<string, CalendarEntry>();
  function entry(date: string): CalendarEntry | undefined {
    const year = Number(date.slice(0, 4));
    if (!used.has(year)) {
      const data = calendar.year(year);
      if (!data) {
        throw new UnprocessableError(
          `The working-day calendar for ${year} is not published; an admin publishes it (POST /v1/calendars)`,
          'CALENDAR_YEAR_NOT_PUBLISHED',
          { year },
        );
      }
      used.set(year, data.version);
      for (const e of data.entries) byDate.set(e.date, e);
    }
    return byDate.get(date);
  }
  return {
    entry,
    isWorking(date: string): boolean {
      const e = entry(date);
      if (e) return !REST_KINDS.has(e.kind);
      const wd = weekday(date);
      return wd !== 0 && wd !== 6;
    },
    /** Why a day is not a working day. */
    restReason(date: string): SkippedDay {
      const e = entry(date);
      if (e && REST_KINDS.has(e.kind)) return { date, kind: e.kind, name: e.name, source: e.source, verified: e.verified };
      return { date, kind: 'weekly_rest', name: weekday(date) === 6 ? 'Thứ Bảy' : 'Chủ nhật', source: WEEKLY_REST_SOURCE };
    },
    version(): string {
      return [...used.entries()].sort(([a], [b]) => a - b).map(([y, v]) => `${y}.${v}`).join(',');
    },
  };
}

/** The due date of a period (see the rules at the top of this file). */
export function computeDueDate(input: DueDateInput, calendar: WorkingCalendar): DueDateResult {
  const { start, pauses } = normalise(input);
  const days = dayReader(calendar);
  const skipped: SkippedDay[] = [];
  const countedRestDays: SkippedDay[] = [];
  let pausedDays = 0;
  let counted = 0;
  let pauseIndex = 0;
  const base = { start, limit: input.limit, unit: input.unit };

  // Whether a day falls inside a pause: (from, to]. An open pause holds every later day.
  const pausedOn = (date: string): 'paused' | 'open' | false => {
    while (pauseIndex < pauses.length && pauses[pauseIndex]!.to !== null && dayNumber(pauses[pauseIndex]!.to!) < dayNumber(date)) pauseIndex++;
    const p = pauses[pauseIndex];
    if (!p || dayNumber(date) <= dayNumber(p.from)) return false;
    return p.to === null ? 'open' : 'paused';
  };

  let day = start;
  let last: string | undefined;
  for (let guard = 0; guard < MAX_LIMIT * 3 + 400; guard++) {
    day = addDays(day, 1);
    const pause = pausedOn(day);
    if (pause === 'open') {
      // The calendar of the open pause's start is still needed to say which version was read.
      days.entry(day);
      return { ...base, due: null, dueDate: null, calendarVersion: days.version(), skipped, countedRestDays, pausedDays, remaining: input.limit - counted };
    }
    if (pause === 'paused') {
      pausedDays++;
      skipped.push({ date: day, kind: 'paused', name: 'Tạm dừng tính thời hạn (yêu cầu bổ sung hồ sơ)', source: 'Supplementation request: the period runs from the complete dossier' });
      continue;
    }
    if (input.unit === 'working_days') {
      if (!days.isWorking(day)) {
        skipped.push(days.restReason(day));
        continue;
      }
      const e = days.entry(day);
      if (e?.kind === 'swapped_working_day') countedRestDays.push({ date: day, kind: e.kind, name: e.name, source: e.source, verified: e.verified });
    }
    counted++;
    if (counted === input.limit) {
      last = day;
      break;
    }
  }
  if (!last) throw new Error('due-date search did not end');
  // Civil Code: a period (in calendar days) that ends on a rest day or holiday ends on the next working day.
  while (!days.isWorking(last)) {
    skipped.push(days.restReason(last));
    last = addDays(last, 1);
  }
  const close = input.officeClose;
  const due = close ? vietnamInstant(last, close.hour, close.minute) : vietnamInstant(last, 23, 59, 59, 999);
  return { ...base, due: due.toISOString(), dueDate: last, calendarVersion: days.version(), skipped, countedRestDays, pausedDays, remaining: 0 };
}

export type DeadlineStatus = 'running' | 'paused' | 'met' | 'overdue';

export interface StatusInput extends DueDateInput {
  /** When the step was done (the handing-over event), if it was. */
  closedAt?: string | null;
}

export interface StatusResult {
  status: DeadlineStatus;
  /** The due instant as known at `at` (null while paused). */
  due: string | null;
  /** True when the step was closed after its due instant. */
  late: boolean;
  pausedDays: number;
}

/**
 * The status of a deadline at an instant, from what was known then: pauses that began later are
 * ignored; a pause that ended later is still open at `at`. Closed on time → met; closed late or
 * open past its due instant → overdue.
 */
export function deadlineStatusAt(input: StatusInput, calendar: WorkingCalendar, at: Date): StatusResult {
  const atMs = at.getTime();
  const instant = (s: string) => (/^\d{4}-\d{2}-\d{2}$/.test(s) ? vietnamInstant(s, 0, 0).getTime() : new Date(s).getTime());
  const closedAt = input.closedAt && instant(input.closedAt) <= atMs ? instant(input.closedAt) : null;
  const known = closedAt ?? atMs;
  const pauses = (input.pauses ?? [])
    .filter((p) => instant(p.from) <= known)
    .map((p) => ({ from: p.from, to: p.to !== null && instant(p.to) <= known ? p.to : null }));
  const result = computeDueDate({ ...input, pauses }, calendar);
  const open = pauses.some((p) => p.to === null);
  if (closedAt !== null) {
    const late = result.due !== null && closedAt > Date.parse(result.due);
    return { status: late ? 'overdue' : 'met', due: result.due, late, pausedDays: result.pausedDays };
  }
  if (open) return { status: 'paused', due: null, late: false, pausedDays: result.pausedDays };
  const overdue = atMs > Date.parse(result.due!);
  return { status: overdue ? 'overdue' : 'running', due: result.due, late: false, pausedDays: result.pausedDays };
}
