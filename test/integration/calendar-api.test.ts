import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import postgres from 'postgres';
import { createTestEnv, type TestEnv } from '../helpers/test-env';
import { client } from '../helpers/api';

let env: TestEnv;
let app: FastifyInstance;
let sql: postgres.Sql;
let clerk: ReturnType<typeof client>;
let admin: ReturnType<typeof client>;
let investor: ReturnType<typeof client>;

beforeAll(async () => {
  env = await createTestEnv({ RATE_LIMIT_PER_MINUTE: '100000' });
  app = await env.buildApp();
  sql = postgres(env.databaseUrl, { max: 2, onnotice: () => {} });
  clerk = client(app, await env.token('carol', ['clerk'], 'desk'));
  admin = client(app, await env.token('root', ['admin'], 'ops'));
  investor = client(app, await env.token('alice', ['investor'], 'acme'));
});
afterAll(async () => {
  await sql?.end();
  await env?.close();
});

const due = (q: string) => clerk.get(`/v1/calendar/due-date?${q}`);

describe('GET /v1/calendar/due-date', () => {
  it('crosses Tết 2026 (civil servants off Mon 16 – Fri 20 Feb)', async () => {
    const res = await due('from=2026-02-12&limit=5&unit=working_days');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ from: '2026-02-12', limit: 5, unit: 'working_days', due: '2026-02-26T16:59:59.999Z', dueDate: '2026-02-26', calendarVersion: '2026.1' });
    const holidays = res.body.skipped.filter((s: any) => s.kind === 'public_holiday');
    expect(holidays.map((s: any) => s.date)).toEqual(['2026-02-16', '2026-02-17', '2026-02-18', '2026-02-19', '2026-02-20']);
    expect(holidays[1]).toMatchObject({ name: expect.stringContaining('Tết'), source: expect.stringContaining('Labour Code 2019') });
  });

  it('crosses National Day 2026', async () => {
    const res = await due('from=2026-08-28&limit=3&unit=working_days');
    expect(res.body.dueDate).toBe('2026-09-04');
    expect(res.body.skipped.filter((s: any) => s.kind === 'public_holiday').map((s: any) => s.date)).toEqual(['2026-09-01', '2026-09-02']);
  });

  it('skips a compensatory day off (Mon 27 Apr 2026 for Hùng Kings on Sunday)', async () => {
    const res = await due('from=2026-04-24&limit=2&unit=working_days');
    expect(res.body.dueDate).toBe('2026-04-29');
    expect(res.body.skipped).toContainEqual(expect.objectContaining({ date: '2026-04-27', kind: 'compensatory_day_off' }));
  });

  it('counts a swapped working day (Sat 8 Feb 2025)', async () => {
    const res = await due('from=2025-02-06&limit=2&unit=working_days');
    expect(res.body.dueDate).toBe('2025-02-08');
    expect(res.body.countedRestDays).toEqual([expect.objectContaining({ date: '2025-02-08', kind: 'swapped_working_day' })]);
  });

  it('Civil Code counting at a weekend: calendar days ending on Saturday end on Monday', async () => {
    const res = await due('from=2026-03-03&limit=4&unit=calendar_days');
    expect(res.body.dueDate).toBe('2026-03-09');
    expect(res.body.skipped.map((s: any) => `${s.date}:${s.kind}`)).toEqual(['2026-03-07:weekly_rest', '2026-03-08:weekly_rest']);
  });

  it('a clock paused for supplementation and resumed', async () => {
    const paused = await due('from=2026-03-02&limit=5&unit=working_days&pause=2026-03-04/');
    expect(paused.body).toMatchObject({ due: null, dueDate: null, remaining: 3 });
    const resumed = await due('from=2026-03-02&limit=5&unit=working_days&pause=2026-03-04/2026-03-10');
    expect(resumed.body).toMatchObject({ dueDate: '2026-03-13', pausedDays: 6, remaining: 0 });
    const unpaused = await due('from=2026-03-02&limit=5&unit=working_days');
    expect(unpaused.body.dueDate).toBe('2026-03-09');
  });

  it('answers any role, over a real socket too', async () => {
    expect((await investor.get('/v1/calendar/due-date?from=2026-02-12&limit=5&unit=working_days')).body.dueDate).toBe('2026-02-26');
    const listening = await env.buildApp();
    const address = await listening.listen({ host: '127.0.0.1', port: 0 });
    const res = await fetch(`${address}/v1/calendar/due-date?from=2026-02-12&limit=5&unit=calendar_days`, { headers: { authorization: `Bearer ${await env.token('paul', ['approver'], 'ppc')}` } });
    expect(res.status).toBe(200);
    // 13..17 Feb: the 17th is in Tết, so the period ends on Mon 23 Feb.
    expect(((await res.json()) as { dueDate: string }).dueDate).toBe('2026-02-23');
  });

  it('refuses bad input with a code that says how to fix it', async () => {
    const cases: Array<[string, number, string]> = [
      ['from=2026-02-30&limit=5&unit=working_days', 400, 'INVALID_DATE'],
      ['from=12/02/2026&limit=5&unit=working_days', 400, 'INVALID_DATE'],
      ['from=2026-02-12&limit=0&unit=working_days', 400, 'VALIDATION_FAILED'],
      ['from=2026-02-12&limit=5&unit=weeks', 400, 'VALIDATION_FAILED'],
      ['from=2026-02-12&limit=5&unit=working_days&pause=2026-02-13', 400, 'INVALID_PAUSE'],
      ['from=2026-02-12&limit=5&unit=working_days&pause=2026-02-16/2026-02-13', 422, 'PAUSE_INVALID'],
      ['from=2027-12-20&limit=20&unit=working_days', 422, 'CALENDAR_YEAR_NOT_PUBLISHED'],
    ];
    for (const [q, status, code] of cases) {
      const res = await due(q);
      expect(res.status, q).toBe(status);
      expect(res.body, q).toMatchObject({ statusCode: status, code, requestId: expect.any(String), message: expect.any(String) });
    }
  });
});

describe('calendar years', () => {
  it('lists the seeded years with their unverified counts', async () => {
    const res = await investor.get('/v1/calendars');
    expect(res.status).toBe(200);
    expect(res.body.items.map((v: any) => `${v.year}.${v.version}:${v.current}`)).toEqual(['2025.1:true', '2026.1:true', '2027.1:true']);
    expect(res.body.items.find((v: any) => v.year === 2027).unverifiedCount).toBeGreaterThan(0);
    const y = await investor.get('/v1/calendars/2026');
    expect(y.body.entries.find((e: any) => e.date === '2026-02-17')).toMatchObject({ kind: 'public_holiday', verified: true });
    expect((await investor.get('/v1/calendars/2031')).body.code).toBe('CALENDAR_NOT_FOUND');
  });

  it('proposes a draft year with the lunar dates computed', async () => {
    const res = await clerk.get('/v1/calendars/2028/proposal');
    expect(res.status).toBe(200);
    expect(res.body.proposal).toBe(true);
    // Tết Mậu Thân: 26 Jan 2028; Hùng Kings: 4 Apr 2028.
    expect(res.body.entries).toContainEqual(expect.objectContaining({ date: '2028-01-26', kind: 'public_holiday' }));
    expect(res.body.entries).toContainEqual(expect.objectContaining({ date: '2028-04-04', kind: 'public_holiday' }));
    expect(res.body.entries.every((e: any) => e.verified === false)).toBe(true);
  });

  it('an admin publishes a year (audited); a new version supersedes and due dates follow it; the old one stays readable', async () => {
    const proposal = (await admin.get('/v1/calendars/2028/proposal')).body;
    const first = await admin.post('/v1/calendars', { year: 2028, notice: proposal.notice, entries: proposal.entries });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ year: 2028, version: 1, current: true, supersedesId: null });
    expect((await due('from=2027-12-20&limit=20&unit=working_days')).status).toBe(200);

    const v1 = (await admin.get('/v1/calendars/2026')).body;
    const corrected = [...v1.entries, { date: '2026-11-24', kind: 'public_holiday', name: 'Ngày Văn hóa Việt Nam', source: 'test notice', verified: false, note: 'test' }];
    const second = await admin.post('/v1/calendars', { year: 2026, notice: 'corrected', entries: corrected });
    expect(second.status).toBe(201);
    expect(second.body).toMatchObject({ year: 2026, version: 2, supersedesId: v1.id, current: true });
    expect((await clerk.get('/v1/calendars/2026?version=1')).body).toMatchObject({ version: 1, current: false, entryCount: v1.entryCount });

    // The service's cache is per instance: a fresh app reads the new version at once.
    const fresh = client(await env.buildApp(), await env.token('carol', ['clerk'], 'desk'));
    const after = await fresh.get('/v1/calendar/due-date?from=2026-11-23&limit=1&unit=working_days');
    expect(after.body).toMatchObject({ dueDate: '2026-11-25', calendarVersion: '2026.2' });

    const events = await sql`select chain_id, action, actor_sub, payload from audit_events where action = 'calendar.published' order by seq`;
    expect(events.map((e) => [e.chain_id, e.actor_sub, e.payload.year, e.payload.version])).toEqual([
      ['system', 'root', 2028, 1],
      ['system', 'root', 2026, 2],
    ]);
    expect(events[1]!.payload.supersedes).toMatchObject({ id: v1.id, version: 1 });
    const verify = await client(app, await env.token('audrey', ['auditor'], 'inspectorate')).get('/v1/audit/verify');
    expect(verify.body.ok).toBe(true);
  });

  it('refuses an invalid year and non-admins', async () => {
    const bad = await admin.post('/v1/calendars', { year: 2029, notice: 'x', entries: [{ date: '2029-03-05', kind: 'swapped_working_day', name: 'x', source: 'x', verified: true }] });
    expect(bad.status).toBe(422);
    expect(bad.body).toMatchObject({ code: 'CALENDAR_INVALID', errors: [expect.stringContaining('Saturday or Sunday')] });
    expect((await admin.post('/v1/calendars', { year: 2029, notice: 'x', entries: [{ date: '2029-03-05', kind: 'holiday', name: 'x', source: 'x', verified: true }] })).status).toBe(400);
    expect((await clerk.post('/v1/calendars', { year: 2029, notice: 'x', entries: [] })).status).toBe(403);
    expect((await sql`select count(*)::int as n from calendar_versions where year = 2029`)[0]!.n).toBe(0);
  });

  it('the database refuses to edit, delete or extend a published version', async () => {
    const [v] = await sql`select id from calendar_versions where year = 2026 and version = 1`;
    await expect(sql`update calendar_entries set kind = 'swapped_day_off' where calendar_version_id = ${v!.id}`).rejects.toThrow(/immutable/);
    await expect(sql`delete from calendar_entries where calendar_version_id = ${v!.id}`).rejects.toThrow(/immutable/);
    await expect(sql`update calendar_versions set notice = 'x' where id = ${v!.id}`).rejects.toThrow(/immutable/);
    await expect(sql`truncate calendar_entries`).rejects.toThrow(/immutable/);
    await expect(
      sql`insert into calendar_entries (calendar_version_id, date, kind, name, source, verified) values (${v!.id}, '2026-12-31', 'public_holiday', 'x', 'x', true)`,
    ).rejects.toThrow(/published/);
    // A version that skips a number or does not supersede the latest is refused.
    await expect(sql`insert into calendar_versions (year, version, notice, published_by, supersedes_id) values (2026, 5, 'x', 'x', ${v!.id})`).rejects.toThrow(/must be 3/);
  });
});
