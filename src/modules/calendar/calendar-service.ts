/**
 * Calendar years in the database: list, read, publish (audited in the system chain), seed, and
 * the due-date calculator over the current versions. Published versions are immutable (DB
 * triggers); a publication of a year is its next version.
 */
import { and, asc, desc, eq, sql } from 'drizzle-orm';
import type { Db, Executor } from '../../infra/database';
import { sqlState } from '../../infra/database';
import type { Principal } from '../../auth/token-verifier';
import { ConflictError, NotFoundError, UnprocessableError } from '../../errors';
import { calendarEntries, calendarVersions } from '../../../db/schema';
import { appendAuditEvent } from '../audit/audit-writer';
import { calendarOf, type CalendarEntry, type CalendarYearData, type DayKind, type WorkingCalendar } from './calendar-types';
import { calendarYearErrors, type CalendarYearInput } from './calendar-validation';
import { computeDueDate, type DueDateInput, type DueDateResult } from './due-date';
import { SEED_CALENDARS } from './calendar-seed';
import { proposeCalendarYear, type CalendarProposal } from './calendar-proposal';

export interface CalendarVersionSummary {
  id: string;
  year: number;
  version: number;
  /** True for the year's latest version (the one due dates are computed with). */
  current: boolean;
  notice: string;
  supersedesId: string | null;
  publishedBy: string;
  publishedAt: string;
  entryCount: number;
  unverifiedCount: number;
}

export interface CalendarYearView extends CalendarVersionSummary {
  entries: CalendarEntry[];
}

type VersionRow = typeof calendarVersions.$inferSelect;
type EntryRow = typeof calendarEntries.$inferSelect;

const toEntry = (e: EntryRow): CalendarEntry => ({ date: e.date, kind: e.kind as DayKind, name: e.name, source: e.source, verified: e.verified, note: e.note });

async function insertYear(tx: Executor, input: CalendarYearInput, publishedBy: string, previous: VersionRow | undefined): Promise<VersionRow> {
  const [row] = await tx
    .insert(calendarVersions)
    .values({ year: input.year, version: (previous?.version ?? 0) + 1, notice: input.notice, supersedesId: previous?.id ?? null, publishedBy })
    .returning();
  if (input.entries.length > 0) {
    await tx.insert(calendarEntries).values(
      input.entries.map((e) => ({ calendarVersionId: row!.id, date: e.date, kind: e.kind, name: e.name, source: e.source, verified: e.verified, note: e.note ?? null })),
    );
  }
  return row!;
}

/** Seed version 1 of the years in calendar-seed.ts that have no version yet. Idempotent. */
export async function seedCalendars(db: Db): Promise<void> {
  for (const y of SEED_CALENDARS) {
    await db.transaction(async (tx) => {
      // Serialise concurrent seeders (several instances starting at once).
      await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${'calendar-seed:' + y.year}, 0))`);
      const [existing] = await tx.select({ id: calendarVersions.id }).from(calendarVersions).where(eq(calendarVersions.year, y.year)).limit(1);
      if (existing) return;
      await insertYear(tx, { year: y.year, notice: y.notice, entries: [...y.entries] }, 'system:seed', undefined);
    });
  }
}

export function createCalendarService(deps: { db: Db; clock: () => Date }) {
  const { db, clock } = deps;
  // The current versions change only when an admin publishes; another instance may publish, so
  // what is read is kept for a short while only.
  const TTL_MS = 30_000;
  let cached: { calendar: WorkingCalendar; until: number } | undefined;

  async function summaries(): Promise<CalendarVersionSummary[]> {
    const rows = (await db.execute(sql`
      select v.id, v.year, v.version, v.notice, v.supersedes_id, v.published_by, v.published_at,
             v.version = max(v.version) over (partition by v.year) as current,
             (select count(*) from calendar_entries e where e.calendar_version_id = v.id)::int as entry_count,
             (select count(*) from calendar_entries e where e.calendar_version_id = v.id and not e.verified)::int as unverified_count
      from calendar_versions v
      order by v.year, v.version
    `)) as unknown as Array<{ id: string; year: number; version: number; notice: string; supersedes_id: string | null; published_by: string; published_at: Date | string; current: boolean; entry_count: number; unverified_count: number }>;
    return rows.map((r) => ({
      id: r.id,
      year: r.year,
      version: r.version,
      current: r.current,
      notice: r.notice,
      supersedesId: r.supersedes_id,
      publishedBy: r.published_by,
      publishedAt: new Date(r.published_at).toISOString(),
      entryCount: r.entry_count,
      unverifiedCount: r.unverified_count,
    }));
  }

  async function entriesOf(x: Executor, versionId: string): Promise<CalendarEntry[]> {
    const rows = await x.select().from(calendarEntries).where(eq(calendarEntries.calendarVersionId, versionId)).orderBy(asc(calendarEntries.date));
    return rows.map(toEntry);
  }

  /** A year as published: its latest version, or the given one. */
  async function year(y: number, version?: number): Promise<CalendarYearView> {
    const all = (await summaries()).filter((s) => s.year === y);
    const s = version === undefined ? all.find((v) => v.current) : all.find((v) => v.version === version);
    if (!s) throw new NotFoundError(version === undefined ? `Calendar year ${y}` : `Calendar ${y} version ${version}`, 'CALENDAR_NOT_FOUND');
    return { ...s, entries: await entriesOf(db, s.id) };
  }

  /** The calendar due dates are computed with now: every year's latest version. */
  async function current(): Promise<WorkingCalendar> {
    if (cached && cached.until > Date.now()) return cached.calendar;
    const versions = await db
      .select()
      .from(calendarVersions)
      .where(sql`${calendarVersions.version} = (select max(v2.version) from calendar_versions v2 where v2.year = ${calendarVersions.year})`);
    const entries = versions.length
      ? await db.select().from(calendarEntries).where(sql`${calendarEntries.calendarVersionId} in ${versions.map((v) => v.id)}`).orderBy(asc(calendarEntries.date))
      : [];
    const years: CalendarYearData[] = versions.map((v) => ({
      year: v.year,
      version: v.version,
      notice: v.notice,
      entries: entries.filter((e) => e.calendarVersionId === v.id).map(toEntry),
    }));
    const calendar = calendarOf(years);
    cached = { calendar, until: Date.now() + TTL_MS };
    return calendar;
  }

  /** A calendar pinned to given versions (e.g. the ones a deadline was computed with). */
  async function pinned(versions: ReadonlyArray<{ year: number; version: number }>, x: Executor = db): Promise<WorkingCalendar> {
    const years: CalendarYearData[] = [];
    for (const p of versions) {
      const [v] = await x.select().from(calendarVersions).where(and(eq(calendarVersions.year, p.year), eq(calendarVersions.version, p.version)));
      if (!v) throw new NotFoundError(`Calendar ${p.year} version ${p.version}`, 'CALENDAR_NOT_FOUND');
      years.push({ year: v.year, version: v.version, notice: v.notice, entries: await entriesOf(x, v.id) });
    }
    return calendarOf(years);
  }

  async function dueDate(input: DueDateInput): Promise<DueDateResult> {
    return computeDueDate(input, await current());
  }

  /** Publish a year: its next version, superseding the latest; audited in the system chain. */
  async function publish(principal: Principal, input: CalendarYearInput, requestId: string): Promise<CalendarYearView> {
    const errors = calendarYearErrors(input);
    if (errors.length) throw new UnprocessableError(`The calendar year is not valid: ${errors[0]}`, 'CALENDAR_INVALID', { errors });
    const entries = [...input.entries].sort((a, b) => a.date.localeCompare(b.date));
    try {
      const row = await db.transaction(async (tx) => {
        const [previous] = await tx.select().from(calendarVersions).where(eq(calendarVersions.year, input.year)).orderBy(desc(calendarVersions.version)).limit(1);
        const inserted = await insertYear(tx, { ...input, entries }, principal.sub, previous);
        await appendAuditEvent(tx, {
          actor: principal,
          action: 'calendar.published',
          projectId: null,
          requestId,
          payload: {
            calendarVersionId: inserted.id,
            year: inserted.year,
            version: inserted.version,
            supersedes: previous ? { id: previous.id, version: previous.version } : null,
            notice: inserted.notice,
            entries: entries.map((e) => ({ date: e.date, kind: e.kind, verified: e.verified })),
          },
          at: clock(),
        });
        return inserted;
      });
      cached = undefined;
      return year(row.year, row.version);
    } catch (err) {
      if (sqlState(err) === '23505') throw new ConflictError(`Another version of ${input.year} was published at the same time; read it and retry`, 'CALENDAR_VERSION_CONFLICT');
      throw err;
    }
  }

  function propose(y: number): CalendarProposal {
    if (!Number.isInteger(y) || y < 2000 || y > 2100) throw new UnprocessableError('year must be from 2000 to 2100', 'CALENDAR_INVALID');
    return proposeCalendarYear(y);
  }

  return { list: summaries, year, current, pinned, dueDate, publish, propose };
}

export type CalendarService = ReturnType<typeof createCalendarService>;
