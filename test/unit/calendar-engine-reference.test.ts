/**
 * The engine against a deliberately naive reference (a set of rest dates, day by day) for every
 * start date of 2025–2027 and several limits, with and without a pause: the two must agree, and
 * the results must satisfy the rules' invariants.
 */
import { describe, expect, it } from 'vitest';
import { computeDueDate } from '../../src/modules/calendar/due-date';
import { addDays, calendarOf, weekday } from '../../src/modules/calendar/calendar-types';
import { SEED_CALENDARS } from '../../src/modules/calendar/calendar-seed';

const cal = calendarOf(SEED_CALENDARS);
const entries = new Map(SEED_CALENDARS.flatMap((y) => y.entries.map((e) => [e.date, e.kind] as const)));
const working = (d: string) => {
  const k = entries.get(d);
  if (k === 'swapped_working_day') return true;
  if (k) return false;
  return weekday(d) !== 0 && weekday(d) !== 6;
};

function reference(start: string, limit: number, unit: 'working_days' | 'calendar_days', pause?: { from: string; to: string }): string {
  let d = start;
  let n = 0;
  for (;;) {
    d = addDays(d, 1);
    if (pause && d > pause.from && d <= pause.to) continue;
    if (unit === 'calendar_days' || working(d)) n++;
    if (n === limit) break;
  }
  while (!working(d)) d = addDays(d, 1);
  return d;
}

const starts: string[] = [];
for (let d = '2025-01-01'; d <= '2027-10-31'; d = addDays(d, 1)) starts.push(d);

describe('engine = naive reference', () => {
  for (const unit of ['working_days', 'calendar_days'] as const) {
    it(`${unit}: every start 2025-01-01…2027-10-31, limits 1, 3, 5, 10, 15, 20, 30`, { timeout: 60_000 }, () => {
      for (const start of starts) {
        for (const limit of [1, 3, 5, 10, 15, 20, 30]) {
          const r = computeDueDate({ start, limit, unit }, cal);
          expect(r.dueDate, `${start} +${limit}`).toBe(reference(start, limit, unit));
          expect(working(r.dueDate!)).toBe(true);
          expect(r.dueDate! > start).toBe(true);
          // Every day of the period is either counted or listed as skipped, once.
          const days = new Set(r.skipped.map((s) => s.date));
          expect(days.size).toBe(r.skipped.length);
        }
      }
    });
  }

  it('with a pause of 1–9 days placed anywhere in the period', { timeout: 60_000 }, () => {
    for (const start of starts.filter((_, i) => i % 7 === 0)) {
      for (const offset of [0, 1, 4]) {
        for (const length of [1, 3, 9]) {
          const pause = { from: addDays(start, offset), to: addDays(start, offset + length) };
          const r = computeDueDate({ start, limit: 10, unit: 'working_days', pauses: [pause] }, cal);
          expect(r.dueDate, `${start} ${pause.from}/${pause.to}`).toBe(reference(start, 10, 'working_days', pause));
        }
      }
    }
  });

  it('a longer limit never ends earlier, and a pause never makes it earlier', { timeout: 60_000 }, () => {
    for (const start of starts.filter((_, i) => i % 5 === 0)) {
      let previous = start;
      for (let limit = 1; limit <= 25; limit++) {
        const d = computeDueDate({ start, limit, unit: 'working_days' }, cal).dueDate!;
        expect(d > previous).toBe(true);
        previous = d;
        const paused = computeDueDate({ start, limit, unit: 'working_days', pauses: [{ from: start, to: addDays(start, 3) }] }, cal).dueDate!;
        expect(paused >= d).toBe(true);
      }
    }
  });
});
