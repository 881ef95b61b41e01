import { describe, expect, it } from 'vitest';
import { computeDueDate, deadlineStatusAt } from '../../src/modules/calendar/due-date';
import { calendarOf, addDays, weekday } from '../../src/modules/calendar/calendar-types';
import { SEED_CALENDARS, CALENDAR_2026 } from '../../src/modules/calendar/calendar-seed';
import { calendarYearErrors } from '../../src/modules/calendar/calendar-validation';
import { hungKingsDay, lunarNewYear, proposeCalendarYear } from '../../src/modules/calendar/calendar-proposal';
import { AppError } from '../../src/errors';

const cal = calendarOf(SEED_CALENDARS);
const skippedDates = (r: { skipped: Array<{ date: string; kind: string }> }) => r.skipped.map((s) => `${s.date}:${s.kind}`);

function errorCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof AppError ? err.code : 'not-an-app-error';
  }
  return undefined;
}

describe('working days', () => {
  it('crosses Tết 2026: 16–20 Feb are holidays, 14–15 and 21–22 weekends', () => {
    const r = computeDueDate({ start: '2026-02-12', limit: 5, unit: 'working_days' }, cal);
    // 13 Feb (1), then 23, 24, 25, 26 Feb.
    expect(r.dueDate).toBe('2026-02-26');
    expect(r.due).toBe('2026-02-26T16:59:59.999Z');
    expect(r.calendarVersion).toBe('2026.1');
    expect(skippedDates(r)).toEqual([
      '2026-02-14:weekly_rest',
      '2026-02-15:weekly_rest',
      '2026-02-16:public_holiday',
      '2026-02-17:public_holiday',
      '2026-02-18:public_holiday',
      '2026-02-19:public_holiday',
      '2026-02-20:public_holiday',
      '2026-02-21:weekly_rest',
      '2026-02-22:weekly_rest',
    ]);
    expect(r.skipped[2]!.source).toMatch(/Labour Code 2019/);
  });

  it('crosses National Day 2026 (1–2 Sep)', () => {
    const r = computeDueDate({ start: '2026-08-28', limit: 3, unit: 'working_days' }, cal);
    expect(r.dueDate).toBe('2026-09-04');
    expect(skippedDates(r)).toEqual(['2026-08-29:weekly_rest', '2026-08-30:weekly_rest', '2026-09-01:public_holiday', '2026-09-02:public_holiday']);
  });

  it('skips a compensatory day off (Hùng Kings on Sunday 26 Apr 2026 → Monday 27 Apr off)', () => {
    const r = computeDueDate({ start: '2026-04-24', limit: 2, unit: 'working_days' }, cal);
    expect(r.dueDate).toBe('2026-04-29');
    expect(skippedDates(r)).toEqual(['2026-04-25:weekly_rest', '2026-04-26:public_holiday', '2026-04-27:compensatory_day_off']);
  });

  it('counts a swapped working day (Saturday 8 Feb 2025) and skips the swapped day off', () => {
    const r = computeDueDate({ start: '2025-02-06', limit: 2, unit: 'working_days' }, cal);
    expect(r.dueDate).toBe('2025-02-08');
    expect(r.countedRestDays.map((d) => d.date)).toEqual(['2025-02-08']);
    const tet = computeDueDate({ start: '2025-01-24', limit: 1, unit: 'working_days' }, cal);
    expect(tet.dueDate).toBe('2025-02-03');
    expect(skippedDates(tet)).toContain('2025-01-27:swapped_day_off');
  });

  it('starts on the day after the event (an event on Friday: one working day is Monday)', () => {
    expect(computeDueDate({ start: '2026-03-06', limit: 1, unit: 'working_days' }, cal).dueDate).toBe('2026-03-09');
    expect(computeDueDate({ start: '2026-03-02', limit: 1, unit: 'working_days' }, cal).dueDate).toBe('2026-03-03');
  });

  it('reads an instant as its Vietnamese date (20:00 UTC is 03:00 the next day in Hanoi)', () => {
    expect(computeDueDate({ start: '2026-03-02T20:00:00Z', limit: 1, unit: 'working_days' }, cal).start).toBe('2026-03-03');
    expect(computeDueDate({ start: '2026-03-02T16:59:59Z', limit: 1, unit: 'working_days' }, cal).start).toBe('2026-03-02');
  });

  it('crosses a year end and names both calendar versions', () => {
    const r = computeDueDate({ start: '2025-12-30', limit: 2, unit: 'working_days' }, cal);
    expect(r.dueDate).toBe('2026-01-02');
    expect(r.calendarVersion).toBe('2025.1,2026.1');
  });

  it('refuses to count into a year whose calendar is not published', () => {
    expect(errorCode(() => computeDueDate({ start: '2027-12-28', limit: 10, unit: 'working_days' }, cal))).toBe('CALENDAR_YEAR_NOT_PUBLISHED');
    expect(errorCode(() => computeDueDate({ start: '2024-12-30', limit: 1, unit: 'working_days' }, cal))).toBe('CALENDAR_YEAR_NOT_PUBLISHED');
  });

  it('refuses a limit that is not a whole number from 1', () => {
    for (const limit of [0, -1, 1.5, 4000]) expect(errorCode(() => computeDueDate({ start: '2026-03-02', limit, unit: 'working_days' }, cal))).toBe('LIMIT_OUT_OF_RANGE');
  });

  it('counts 15 working days over Tết as a reviewer would (complete dossier on Mon 9 Feb 2026)', () => {
    const r = computeDueDate({ start: '2026-02-09', limit: 15, unit: 'working_days' }, cal);
    // 10–13 Feb (4), 23–27 Feb (9), 2–6 Mar (14), 9 Mar (15).
    expect(r.dueDate).toBe('2026-03-09');
  });
});

describe('calendar days (Civil Code: a period ending on a rest day ends on the next working day)', () => {
  it('a period ending on Saturday ends on Monday', () => {
    const r = computeDueDate({ start: '2026-03-03', limit: 4, unit: 'calendar_days' }, cal);
    expect(r.dueDate).toBe('2026-03-09');
    expect(skippedDates(r)).toEqual(['2026-03-07:weekly_rest', '2026-03-08:weekly_rest']);
  });

  it('holidays inside the period count; a period ending in Tết ends after it', () => {
    expect(computeDueDate({ start: '2026-02-10', limit: 15, unit: 'calendar_days' }, cal).dueDate).toBe('2026-02-25');
    const r = computeDueDate({ start: '2026-02-06', limit: 10, unit: 'calendar_days' }, cal);
    expect(r.dueDate).toBe('2026-02-23');
    expect(r.skipped.map((s) => s.date)).toEqual(['2026-02-16', '2026-02-17', '2026-02-18', '2026-02-19', '2026-02-20', '2026-02-21', '2026-02-22']);
  });

  it('a period ending on a working day is not moved', () => {
    const r = computeDueDate({ start: '2026-03-02', limit: 10, unit: 'calendar_days' }, cal);
    expect(r.dueDate).toBe('2026-03-12');
    expect(r.skipped).toEqual([]);
  });

  it('a period ending on a swapped working Saturday ends that Saturday', () => {
    expect(computeDueDate({ start: '2025-02-01', limit: 7, unit: 'calendar_days' }, cal).dueDate).toBe('2025-02-08');
  });
});

describe('pauses (supplementation request → complete dossier)', () => {
  it('stops the clock and goes on with what was left', () => {
    // Mon 2 Mar: complete; 3, 4 Mar count (request sent on the 4th); 5–10 Mar paused; 11, 12, 13 count.
    const r = computeDueDate({ start: '2026-03-02', limit: 5, unit: 'working_days', pauses: [{ from: '2026-03-04', to: '2026-03-10' }] }, cal);
    expect(r.dueDate).toBe('2026-03-13');
    expect(r.pausedDays).toBe(6);
    expect(r.skipped.filter((s) => s.kind === 'paused').map((s) => s.date)).toEqual(['2026-03-05', '2026-03-06', '2026-03-07', '2026-03-08', '2026-03-09', '2026-03-10']);
  });

  it('an open pause has no due date, only what remains', () => {
    const r = computeDueDate({ start: '2026-03-02', limit: 5, unit: 'working_days', pauses: [{ from: '2026-03-04', to: null }] }, cal);
    expect(r.due).toBeNull();
    expect(r.remaining).toBe(3);
  });

  it('two pauses add up; a pause in calendar days extends the period', () => {
    const r = computeDueDate(
      { start: '2026-03-02', limit: 10, unit: 'calendar_days', pauses: [{ from: '2026-03-03', to: '2026-03-05' }, { from: '2026-03-09T02:00:00Z', to: '2026-03-10T03:00:00Z' }] },
      cal,
    );
    // 3 counts, 4–5 paused, 6,7,8,9 count, 10 paused, 11..15 count → day 10 is 15 Mar (Sunday) → Mon 16 Mar.
    expect(r.pausedDays).toBe(3);
    expect(r.dueDate).toBe('2026-03-16');
  });

  it('refuses pauses that overlap, end before they start or precede the period', () => {
    const run = (pauses: Array<{ from: string; to: string | null }>) => () => computeDueDate({ start: '2026-03-02', limit: 5, unit: 'working_days', pauses }, cal);
    expect(errorCode(run([{ from: '2026-03-05', to: '2026-03-04' }]))).toBe('PAUSE_INVALID');
    expect(errorCode(run([{ from: '2026-03-03', to: null }, { from: '2026-03-05', to: '2026-03-06' }]))).toBe('PAUSE_INVALID');
    expect(errorCode(run([{ from: '2026-03-01', to: '2026-03-03' }]))).toBe('PAUSE_INVALID');
  });
});

describe('due instant', () => {
  it('is the end of the day in Vietnam by default, or the office closing time', () => {
    const r = computeDueDate({ start: '2026-03-02', limit: 1, unit: 'working_days', officeClose: { hour: 17, minute: 0 } }, cal);
    expect(r.due).toBe('2026-03-03T10:00:00.000Z');
  });
});

describe('status at an instant', () => {
  const input = { start: '2026-03-02', limit: 5, unit: 'working_days' as const };
  it('running before the due instant, overdue after it', () => {
    expect(deadlineStatusAt(input, cal, new Date('2026-03-09T16:59:59.999Z')).status).toBe('running');
    expect(deadlineStatusAt(input, cal, new Date('2026-03-09T17:00:00.000Z')).status).toBe('overdue');
  });
  it('met when closed on time, overdue when closed late', () => {
    expect(deadlineStatusAt({ ...input, closedAt: '2026-03-05T03:00:00Z' }, cal, new Date('2026-04-01T00:00:00Z'))).toMatchObject({ status: 'met', late: false });
    expect(deadlineStatusAt({ ...input, closedAt: '2026-03-10T03:00:00Z' }, cal, new Date('2026-04-01T00:00:00Z'))).toMatchObject({ status: 'overdue', late: true });
    // Before the closing instant the step was still running.
    expect(deadlineStatusAt({ ...input, closedAt: '2026-03-05T03:00:00Z' }, cal, new Date('2026-03-04T00:00:00Z')).status).toBe('running');
  });
  it('paused while a pause is open at that instant, running again after it ended', () => {
    const paused = { ...input, pauses: [{ from: '2026-03-04T02:00:00Z', to: '2026-03-10T02:00:00Z' }] };
    expect(deadlineStatusAt(paused, cal, new Date('2026-03-06T00:00:00Z'))).toMatchObject({ status: 'paused', due: null });
    expect(deadlineStatusAt(paused, cal, new Date('2026-03-03T00:00:00Z'))).toMatchObject({ status: 'running', due: '2026-03-09T16:59:59.999Z' });
    expect(deadlineStatusAt(paused, cal, new Date('2026-03-11T00:00:00Z'))).toMatchObject({ status: 'running', due: '2026-03-13T16:59:59.999Z' });
  });
});

describe('seed calendars', () => {
  it('are valid and unverified entries say what to check', () => {
    for (const y of SEED_CALENDARS) expect(calendarYearErrors({ year: y.year, notice: y.notice, entries: [...y.entries] }), String(y.year)).toEqual([]);
  });
  it('hold Tết 2026 for civil servants, Mon 16 – Fri 20 Feb, verified', () => {
    const tet = CALENDAR_2026.entries.filter((e) => e.date >= '2026-02-14' && e.date <= '2026-02-22');
    expect(tet.map((e) => e.date)).toEqual(['2026-02-16', '2026-02-17', '2026-02-18', '2026-02-19', '2026-02-20']);
    expect(tet.every((e) => e.kind === 'public_holiday' && e.verified)).toBe(true);
  });
  it('the validator refuses a swapped working day on a weekday, a duplicate and a date of another year', () => {
    const errors = calendarYearErrors({
      year: 2026,
      notice: 'x',
      entries: [
        { date: '2026-03-02', kind: 'swapped_working_day', name: 'a', source: 's', verified: true },
        { date: '2026-03-02', kind: 'public_holiday', name: 'a', source: 's', verified: true },
        { date: '2027-01-01', kind: 'public_holiday', name: 'a', source: 's', verified: false },
      ],
    });
    expect(errors.join('\n')).toMatch(/Saturday or Sunday/);
    expect(errors.join('\n')).toMatch(/second entry/);
    expect(errors.join('\n')).toMatch(/not in 2026/);
    expect(errors.join('\n')).toMatch(/needs a note/);
  });
});

describe('lunar dates are computed', () => {
  it('Tết and Hùng Kings for 2025–2027 agree with the seeded notices', () => {
    expect([2025, 2026, 2027].map(lunarNewYear)).toEqual(['2025-01-29', '2026-02-17', '2027-02-06']);
    expect([2025, 2026, 2027].map(hungKingsDay)).toEqual(['2025-04-07', '2026-04-26', '2027-04-16']);
  });
  it('a proposal for 2026 has the five Tết days, Hùng Kings with its compensatory Monday, and all unverified', () => {
    const p = proposeCalendarYear(2026);
    const dates = p.entries.map((e) => `${e.date}:${e.kind}`);
    for (const d of ['2026-02-16', '2026-02-17', '2026-02-18', '2026-02-19', '2026-02-20', '2026-04-26', '2026-04-30', '2026-05-01', '2026-09-02']) {
      expect(dates).toContain(`${d}:public_holiday`);
    }
    expect(dates).toContain('2026-04-27:compensatory_day_off');
    expect(p.entries.every((e) => !e.verified && e.note)).toBe(true);
    expect(calendarYearErrors({ year: 2026, notice: p.notice, entries: p.entries })).toEqual([]);
  });
  it('compensates weekend holidays on the next free weekday (2027: Tết on Sat/Sun)', () => {
    const p = proposeCalendarYear(2027);
    const comp = p.entries.filter((e) => e.kind === 'compensatory_day_off').map((e) => e.date);
    expect(comp).toEqual(expect.arrayContaining(['2027-02-10', '2027-02-11', '2027-05-03']));
    for (const d of comp) expect([1, 2, 3, 4, 5]).toContain(weekday(d));
    expect(addDays('2027-02-28', 1)).toBe('2027-03-01');
  });
});
