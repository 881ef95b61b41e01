/**
 * The calendar years seeded at first start (version 1 of 2025, 2026 and 2027), typed in from the
 * yearly notices as far as this project could confirm them. Entries not confirmed against the
 * published notice say so (`verified: false` and a note): an admin checks them and publishes a new
 * version of the year (POST /v1/calendars), which supersedes this one.
 *
 * Not taken from a generic holiday package (their Vietnamese data was found outdated: no
 * compensatory days, a rigid Tết block, National Day as one day).
 */
import type { CalendarEntry, CalendarYearData } from './calendar-types';

const LC = 'Labour Code 2019 (Law 45/2019/QH14) Art. 112.1';
const LC_COMP = 'Labour Code 2019 Art. 112.3 (a holiday on a weekly rest day is compensated on the next working day)';
const LC_SWAP = 'Labour Code 2019 Art. 112; Decree 145/2020/NĐ-CP Art. 63 (swapping working days, with the Prime Minister\'s agreement)';

const holiday = (date: string, name: string, source: string, verified: boolean, note?: string): CalendarEntry => ({ date, kind: 'public_holiday', name, source, verified, note: note ?? null });

const Y2025_NOTICE = 'Notices of the Ministry of Labour, Invalids and Social Affairs on the Tết and National Day holidays of 2025 for civil servants and public employees (number to be recorded when checked)';
const Y2025_NOTE = 'Working-day effect as reported for civil servants; the notice number and the split into holiday / swapped days are to be checked against the notice';
export const CALENDAR_2025: CalendarYearData = {
  year: 2025,
  version: 1,
  notice: Y2025_NOTICE,
  entries: [
    holiday('2025-01-01', 'Tết Dương lịch', LC, true),
    { date: '2025-01-27', kind: 'swapped_day_off', name: 'Nghỉ hoán đổi dịp Tết Nguyên đán (làm bù thứ Bảy 08/02/2025)', source: `${LC_SWAP}; ${Y2025_NOTICE}`, verified: false, note: Y2025_NOTE },
    holiday('2025-01-28', 'Tết Nguyên đán (29 tháng Chạp)', `${LC}; ${Y2025_NOTICE}`, false, Y2025_NOTE),
    holiday('2025-01-29', 'Tết Nguyên đán (mùng 1 Tết)', `${LC}; ${Y2025_NOTICE}`, true),
    holiday('2025-01-30', 'Tết Nguyên đán (mùng 2 Tết)', `${LC}; ${Y2025_NOTICE}`, true),
    holiday('2025-01-31', 'Tết Nguyên đán (mùng 3 Tết)', `${LC}; ${Y2025_NOTICE}`, true),
    holiday('2025-02-01', 'Tết Nguyên đán (mùng 4 Tết)', `${LC}; ${Y2025_NOTICE}`, false, Y2025_NOTE),
    { date: '2025-02-08', kind: 'swapped_working_day', name: 'Làm bù cho ngày nghỉ 27/01/2025', source: `${LC_SWAP}; ${Y2025_NOTICE}`, verified: false, note: Y2025_NOTE },
    holiday('2025-04-07', 'Giỗ Tổ Hùng Vương (10/3 âm lịch)', LC, true),
    holiday('2025-04-30', 'Ngày Chiến thắng (30/4)', LC, true),
    holiday('2025-05-01', 'Ngày Quốc tế lao động (1/5)', LC, true),
    { date: '2025-05-02', kind: 'swapped_day_off', name: 'Nghỉ hoán đổi dịp 30/4–1/5 (làm bù thứ Bảy 26/04/2025)', source: LC_SWAP, verified: false, note: 'Swap of Fri 2 May with Sat 26 Apr as reported; check the Prime Minister\'s agreement' },
    { date: '2025-04-26', kind: 'swapped_working_day', name: 'Làm bù cho ngày nghỉ 02/05/2025', source: LC_SWAP, verified: false, note: 'See 2025-05-02' },
    holiday('2025-09-01', 'Quốc khánh (ngày liền kề)', `${LC}; ${Y2025_NOTICE}`, false, 'The adjacent National Day holiday was Mon 1 Sep as reported; check the notice'),
    holiday('2025-09-02', 'Quốc khánh (2/9)', LC, true),
  ],
};

const Y2026_NOTICE = 'Notice of the Ministry of Home Affairs on the Tết Bính Ngọ and National Day holidays of 2026 for civil servants and public employees, with the Prime Minister\'s agreement (number to be recorded when checked). Not confirmed here: whether a working day was swapped around New Year 2026, and which day adjoins 2 September';
export const CALENDAR_2026: CalendarYearData = {
  year: 2026,
  version: 1,
  notice: Y2026_NOTICE,
  entries: [
    holiday('2026-01-01', 'Tết Dương lịch', LC, true),
    holiday('2026-02-16', 'Tết Nguyên đán (ngày cuối năm Ất Tỵ)', `${LC}; ${Y2026_NOTICE}`, true, 'Civil servants off Mon 16 – Fri 20 Feb 2026 (with weekends 14–22 Feb)'),
    holiday('2026-02-17', 'Tết Nguyên đán (mùng 1 Tết Bính Ngọ)', `${LC}; ${Y2026_NOTICE}`, true),
    holiday('2026-02-18', 'Tết Nguyên đán (mùng 2 Tết)', `${LC}; ${Y2026_NOTICE}`, true),
    holiday('2026-02-19', 'Tết Nguyên đán (mùng 3 Tết)', `${LC}; ${Y2026_NOTICE}`, true),
    holiday('2026-02-20', 'Tết Nguyên đán (mùng 4 Tết)', `${LC}; ${Y2026_NOTICE}`, true),
    holiday('2026-04-26', 'Giỗ Tổ Hùng Vương (10/3 âm lịch, Chủ nhật)', LC, true),
    { date: '2026-04-27', kind: 'compensatory_day_off', name: 'Nghỉ bù Giỗ Tổ Hùng Vương (trùng Chủ nhật 26/4)', source: LC_COMP, verified: true, note: 'Follows from Art. 112.3; no swap announced as far as this project knows' },
    holiday('2026-04-30', 'Ngày Chiến thắng (30/4)', LC, true),
    holiday('2026-05-01', 'Ngày Quốc tế lao động (1/5)', LC, true),
    holiday('2026-09-01', 'Quốc khánh (ngày liền kề)', `${LC}; ${Y2026_NOTICE}`, false, 'Which adjacent day (Tue 1 or Thu 3 Sep) the notice fixed is not confirmed here'),
    holiday('2026-09-02', 'Quốc khánh (2/9)', LC, true),
  ],
};

const Y2027_NOTICE = 'Not yet confirmed: the 2027 entries follow Labour Code Art. 112 with lunar dates computed; the Tết Đinh Mùi and National Day schedules for civil servants must be checked against the notice';
const Y2027_NOTE = 'Proposal: the Prime Minister fixes the Tết days and any swap each year';
export const CALENDAR_2027: CalendarYearData = {
  year: 2027,
  version: 1,
  notice: Y2027_NOTICE,
  entries: [
    holiday('2027-01-01', 'Tết Dương lịch', LC, true),
    holiday('2027-02-05', 'Tết Nguyên đán (ngày cuối năm Bính Ngọ)', LC, false, Y2027_NOTE),
    holiday('2027-02-06', 'Tết Nguyên đán (mùng 1 Tết Đinh Mùi, thứ Bảy)', LC, false, Y2027_NOTE),
    holiday('2027-02-07', 'Tết Nguyên đán (mùng 2 Tết, Chủ nhật)', LC, false, Y2027_NOTE),
    holiday('2027-02-08', 'Tết Nguyên đán (mùng 3 Tết)', LC, false, Y2027_NOTE),
    holiday('2027-02-09', 'Tết Nguyên đán (mùng 4 Tết)', LC, false, Y2027_NOTE),
    { date: '2027-02-10', kind: 'compensatory_day_off', name: 'Nghỉ bù Tết (mùng 1 trùng thứ Bảy)', source: LC_COMP, verified: false, note: Y2027_NOTE },
    { date: '2027-02-11', kind: 'compensatory_day_off', name: 'Nghỉ bù Tết (mùng 2 trùng Chủ nhật)', source: LC_COMP, verified: false, note: Y2027_NOTE },
    holiday('2027-04-16', 'Giỗ Tổ Hùng Vương (10/3 âm lịch)', LC, true),
    holiday('2027-04-30', 'Ngày Chiến thắng (30/4)', LC, true),
    holiday('2027-05-01', 'Ngày Quốc tế lao động (1/5, thứ Bảy)', LC, true),
    { date: '2027-05-03', kind: 'compensatory_day_off', name: 'Nghỉ bù ngày 1/5 (trùng thứ Bảy)', source: LC_COMP, verified: true, note: 'Follows from Art. 112.3' },
    holiday('2027-09-02', 'Quốc khánh (2/9)', LC, true),
    holiday('2027-09-03', 'Quốc khánh (ngày liền kề)', LC, false, 'Which adjacent day (Wed 1 or Fri 3 Sep) is fixed by the notice: not confirmed'),
  ],
};

export const SEED_CALENDARS: readonly CalendarYearData[] = [CALENDAR_2025, CALENDAR_2026, CALENDAR_2027];

/** Said in the year notes and the report: a planned holiday not seeded until confirmed. */
export const PLANNED_NOT_SEEDED = '24/11 (Vietnam Culture Day) is planned as a new holiday: not in the seed until its legal basis is confirmed';
