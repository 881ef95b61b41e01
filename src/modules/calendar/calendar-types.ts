/**
 * Working-day calendar data (pure types and date helpers; no I/O). A calendar year is published as
 * a version and never edited: a correction is a new version of the same year. Dates are local
 * Vietnamese calendar dates ("YYYY-MM-DD"), never instants.
 */

/** What a dated entry does to the ordinary Monday–Friday week. */
export const DAY_KINDS = ['public_holiday', 'compensatory_day_off', 'swapped_working_day', 'swapped_day_off'] as const;
export type DayKind = (typeof DAY_KINDS)[number];

/** Kinds that make a day a rest day; `swapped_working_day` makes a Saturday or Sunday a working day. */
export const REST_KINDS: ReadonlySet<DayKind> = new Set(['public_holiday', 'compensatory_day_off', 'swapped_day_off']);

export interface CalendarEntry {
  date: string;
  kind: DayKind;
  /** What the day is, in Vietnamese (e.g. "Tết Nguyên đán (mùng 1 Tết)"). */
  name: string;
  /** The legal source of this day (article, decision or notice). */
  source: string;
  /** False when the entry is not confirmed against the official notice; `note` says what to check. */
  verified: boolean;
  note?: string | null;
}

export interface CalendarYearData {
  year: number;
  version: number;
  /** The year's notice(s) the entries come from (Prime Minister / Ministry of Home Affairs). */
  notice: string;
  entries: readonly CalendarEntry[];
}

/** The calendar years a computation may read, by year. */
export interface WorkingCalendar {
  year(year: number): CalendarYearData | undefined;
}

export function calendarOf(years: Iterable<CalendarYearData>): WorkingCalendar {
  const byYear = new Map<number, CalendarYearData>();
  for (const y of years) byYear.set(y.year, y);
  return { year: (y) => byYear.get(y) };
}

export const WEEKLY_REST_SOURCE = 'Saturday and Sunday: weekly rest of state agencies (Decision 188/1999/QĐ-TTg; Labour Code 2019 Art. 111)';

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for a real calendar date written YYYY-MM-DD. */
export function isLocalDate(s: string): boolean {
  const m = DATE_RE.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === s;
}

/** Days since 1970-01-01 of a local date (arithmetic on dates without time zones). */
export function dayNumber(date: string): number {
  const m = DATE_RE.exec(date);
  if (!m) throw new Error(`not a date: ${date}`);
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / 86_400_000;
}

export function dateOfDayNumber(n: number): string {
  return new Date(n * 86_400_000).toISOString().slice(0, 10);
}

export function addDays(date: string, days: number): string {
  return dateOfDayNumber(dayNumber(date) + days);
}

/** 0 = Sunday … 6 = Saturday. */
export function weekday(date: string): number {
  return new Date(dayNumber(date) * 86_400_000).getUTCDay();
}

/** Vietnam has kept UTC+7 without daylight saving since 1975: a fixed offset is exact. */
export const VIETNAM_OFFSET_MINUTES = 7 * 60;

/** The Vietnamese calendar date of an instant. */
export function vietnamDateOf(at: Date): string {
  return new Date(at.getTime() + VIETNAM_OFFSET_MINUTES * 60_000).toISOString().slice(0, 10);
}

/** The instant of a Vietnamese local date and time of day. */
export function vietnamInstant(date: string, hour: number, minute: number, second = 0, ms = 0): Date {
  return new Date(dayNumber(date) * 86_400_000 + (((hour * 60 + minute) * 60 + second) * 1000 + ms) - VIETNAM_OFFSET_MINUTES * 60_000);
}

/** A local date as given, or the Vietnamese date of an ISO instant. */
export function toLocalDate(dateOrInstant: string | Date): string {
  if (dateOrInstant instanceof Date) return vietnamDateOf(dateOrInstant);
  if (DATE_RE.test(dateOrInstant)) return dateOrInstant;
  const at = new Date(dateOrInstant);
  if (Number.isNaN(at.getTime())) throw new Error(`not a date or instant: ${dateOrInstant}`);
  return vietnamDateOf(at);
}
