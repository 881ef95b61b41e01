/**
 * A draft calendar year for an admin to check and publish: the fixed solar holidays of Labour Code
 * 2019 Art. 112, the lunar ones computed (not typed in) with the Vietnamese lunisolar calendar at
 * UTC+7 (date-chinese's CalendarVietnamese, an astronomical computation), and compensatory days
 * for holidays that fall on a weekend. The government's own choices (which Tết days, the adjacent
 * National Day, swapped days) are not knowable in advance: every entry is `verified: false`.
 */
// The package ships its types as an ambient module that its "exports" map hides from the resolver.
/// <reference path="../../../node_modules/date-chinese/types/index.d.ts" />
import { CalendarVietnamese } from 'date-chinese';
import { addDays, weekday, type CalendarEntry } from './calendar-types';

const LC = 'Labour Code 2019 Art. 112.1';
const LC_COMP = 'Labour Code 2019 Art. 112.3';
const PROPOSAL_NOTE = 'Computed proposal: check against the year\'s notice before publishing';

const iso = (g: { year: number; month: number; day: number }) => `${g.year}-${String(g.month).padStart(2, '0')}-${String(g.day).padStart(2, '0')}`;

/** The Gregorian date of lunar new year (mùng 1 Tết) in a Gregorian year. */
export function lunarNewYear(year: number): string {
  const cal = new CalendarVietnamese();
  cal.fromJDE(cal.newYear(year));
  return iso(cal.toGregorian(year));
}

/** The Gregorian date of the 10th day of the 3rd lunar month (Hùng Kings) in a Gregorian year. */
export function hungKingsDay(year: number): string {
  const cal = new CalendarVietnamese();
  cal.fromJDE(cal.newYear(year));
  const [cycle, lunarYear] = cal.get() as [number, number];
  return iso(new CalendarVietnamese(cycle, lunarYear, 3, 0, 10).toGregorian(year));
}

export interface CalendarProposal {
  year: number;
  proposal: true;
  notice: string;
  entries: CalendarEntry[];
}

export function proposeCalendarYear(year: number): CalendarProposal {
  const tet = lunarNewYear(year);
  const hung = hungKingsDay(year);
  const holidays: Array<[string, string]> = [
    [`${year}-01-01`, 'Tết Dương lịch'],
    [addDays(tet, -1), 'Tết Nguyên đán (ngày cuối năm âm lịch)'],
    [tet, 'Tết Nguyên đán (mùng 1 Tết)'],
    [addDays(tet, 1), 'Tết Nguyên đán (mùng 2 Tết)'],
    [addDays(tet, 2), 'Tết Nguyên đán (mùng 3 Tết)'],
    [addDays(tet, 3), 'Tết Nguyên đán (mùng 4 Tết)'],
    [hung, 'Giỗ Tổ Hùng Vương (10/3 âm lịch)'],
    [`${year}-04-30`, 'Ngày Chiến thắng (30/4)'],
    [`${year}-05-01`, 'Ngày Quốc tế lao động (1/5)'],
    [`${year}-09-02`, 'Quốc khánh (2/9)'],
    // The adjacent day is the Prime Minister's choice; propose the one that joins a weekend if any.
    [weekday(`${year}-09-02`) <= 2 ? `${year}-09-01` : `${year}-09-03`, 'Quốc khánh (ngày liền kề)'],
  ];
  const entries: CalendarEntry[] = holidays
    .filter(([date]) => date.startsWith(`${year}-`))
    .map(([date, name]) => ({ date, kind: 'public_holiday', name, source: LC, verified: false, note: PROPOSAL_NOTE }));
  const taken = new Set(entries.map((e) => e.date));
  // A holiday on Saturday or Sunday is compensated on the next working day (Art. 112.3).
  for (const e of [...entries].sort((a, b) => a.date.localeCompare(b.date))) {
    const wd = weekday(e.date);
    if (wd !== 0 && wd !== 6) continue;
    let d = addDays(e.date, 1);
    while (weekday(d) === 0 || weekday(d) === 6 || taken.has(d)) d = addDays(d, 1);
    if (!d.startsWith(`${year}-`)) continue;
    taken.add(d);
    entries.push({ date: d, kind: 'compensatory_day_off', name: `Nghỉ bù (${e.name} trùng ngày nghỉ hằng tuần)`, source: LC_COMP, verified: false, note: PROPOSAL_NOTE });
  }
  entries.sort((a, b) => a.date.localeCompare(b.date));
  return { year, proposal: true, notice: `Proposal computed for ${year}: ${PROPOSAL_NOTE}`, entries };
}
