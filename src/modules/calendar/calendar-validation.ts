/** Checks a calendar year before it is published (pure). The route's schema checks the shape; this checks the meaning. */
import { DAY_KINDS, isLocalDate, weekday, type CalendarEntry, type DayKind } from './calendar-types';

export interface CalendarYearInput {
  year: number;
  notice: string;
  entries: CalendarEntry[];
}

export function calendarYearErrors(input: CalendarYearInput): string[] {
  const errors: string[] = [];
  if (!Number.isInteger(input.year) || input.year < 2000 || input.year > 2100) errors.push(`year ${input.year} is outside 2000–2100`);
  if (!input.notice.trim()) errors.push('notice: say which official notice(s) the year comes from');
  const seen = new Set<string>();
  input.entries.forEach((e, i) => {
    const at = `entries[${i}] (${e.date})`;
    if (!isLocalDate(e.date)) {
      errors.push(`${at}: not a date (YYYY-MM-DD)`);
      return;
    }
    if (!e.date.startsWith(`${input.year}-`)) errors.push(`${at}: not in ${input.year}`);
    if (seen.has(e.date)) errors.push(`${at}: a second entry for the same date`);
    seen.add(e.date);
    if (!(DAY_KINDS as readonly string[]).includes(e.kind)) errors.push(`${at}: kind must be one of ${DAY_KINDS.join(', ')}`);
    if (!e.name.trim()) errors.push(`${at}: name is empty`);
    if (!e.source.trim()) errors.push(`${at}: source (the legal basis) is empty`);
    if (!e.verified && !e.note?.trim()) errors.push(`${at}: an unverified entry needs a note saying what to check`);
    const weekend = weekday(e.date) === 0 || weekday(e.date) === 6;
    const kind = e.kind as DayKind;
    if (kind === 'swapped_working_day' && !weekend) errors.push(`${at}: a swapped working day must be a Saturday or Sunday`);
    if ((kind === 'swapped_day_off' || kind === 'compensatory_day_off') && weekend) errors.push(`${at}: a ${kind} must be a weekday`);
  });
  return errors;
}
