/**
 * The statutory clock through the API (issue #11): deadlines opened at acceptance from the pinned
 * rulebook, due dates over Tết 2026 and National Day, a compensatory day off, a swapped working
 * day and Civil Code counting at a weekend; a clock paused for supplementation and resumed; the
 * list filters; the slips the procedure issues (text through pdftotext); the apology drafted by
 * the sweep before the due date; an overdue step found by the sweep of a REBUILT app on the same
 * database after the clock moved (the work is in the deadline rows, not in a timer); the on-time
 * report.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import postgres from 'postgres';
import { createTestEnv, type TestEnv } from '../helpers/test-env';
import { client, completeDossier, sampleDeclaration, samplePdf, sampleProject, upload } from '../helpers/api';
import type { Role } from '../../src/auth/roles';

const run = promisify(execFile);
async function pdfText(pdf: Buffer): Promise<string> {
  try {
    const child = run('pdftotext', ['-layout', '-enc', 'UTF-8', '-', '-'], { encoding: 'utf8', maxBuffer: 10 * 1024 * 1024 });
    child.child.stdin!.end(pdf);
    return (await child).stdout;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('pdftotext is not installed: run scripts/ensure-system-packages.sh (installs poppler-utils)');
    throw err;
  }
}

let env: TestEnv;
let app: FastifyInstance;
let db: postgres.Sql;
/** The injected clock: every app of this file reads it. */
let now = new Date('2026-02-12T03:00:00Z');
const clock = () => now;
const at = (iso: string) => {
  now = new Date(iso);
};
const tokens: Record<string, string> = {};
const as = (name: string) => client(app, tokens[name]);

const PEOPLE: Record<string, [Role[], string]> = {
  alice: [['investor'], 'acme'],
  carol: [['clerk'], 'one-stop-desk'],
  ann: [['appraiser'], 'dost'],
  ivy: [['approver'], 'ppc'],
  audrey: [['auditor'], 'inspectorate'],
};

const project = (over: Record<string, unknown> = {}) => {
  const { environmentalRisk: _legacy, ...base } = sampleProject();
  return { ...base, environmentalGroup: 'III', ...over };
};

/** Submitted and accepted complete at the current clock reading; returns the project view. */
async function accepted(over: Record<string, unknown> = {}) {
  const id = (await as('alice').post('/v1/projects', project(over))).body.id as string;
  expect((await as('alice').put(`/v1/projects/${id}/technology`, sampleDeclaration())).status).toBe(200);
  await completeDossier(app, tokens.alice!, id);
  expect((await as('alice').post(`/v1/projects/${id}/submit`)).body.state).toBe('completeness_review');
  const res = await as('carol').post(`/v1/projects/${id}/completeness`, { result: 'complete' });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}
const step = (view: { deadlines: Array<{ step: string }> }, name: string) => view.deadlines.find((d) => d.step === name) as any;

async function slipText(projectId: string, form: string): Promise<string> {
  const list = (await as("carol").get(`/v1/projects/${projectId}/slips`)).body.items as Array<{ id: string; form: string }>;
  const slip = list.find((s) => s.form === form);
  expect(slip, `a ${form} slip for ${projectId}: ${JSON.stringify(list)}`).toBeTruthy();
  const res = await app.inject({ method: 'GET', url: `/v1/slips/${slip!.id}/content`, headers: { authorization: `Bearer ${tokens.carol}` } });
  expect(res.statusCode).toBe(200);
  return pdfText(res.rawPayload);
}

beforeAll(async () => {
  env = await createTestEnv({ RATE_LIMIT_PER_MINUTE: '100000', RATE_LIMIT_UPLOADS_PER_MINUTE: '100000' });
  app = await env.buildApp({ clock });
  db = postgres(env.databaseUrl, { max: 2, onnotice: () => {} });
  for (const [name, [roles, org]] of Object.entries(PEOPLE)) {
    tokens[name] = await env.token(name, roles, org);
    await client(app, tokens[name]).get('/v1/projects');
  }
});
afterAll(async () => {
  await db?.end();
  await env.close();
});

describe('deadlines opened at acceptance', () => {
  let id: string;
  it('crosses Tết 2026: accepted Thu 12 Feb, forwarding due Tue 24 Feb, the opinion Thu 12 Mar; receipt with the appointment date', async () => {
    at('2026-02-12T03:00:00Z'); // Thu 12 Feb 2026, 10:00 in Vietnam
    const view = await accepted();
    id = view.id;
    expect(view.rulebookVersion).toMatchObject({ version: '2017.2', pinned: true });
    expect(step(view, 'forward_to_reviewer')).toMatchObject({
      startedAt: '2026-02-12T03:00:00.000Z',
      dueAt: '2026-02-24T16:59:59.999Z',
      dueDate: '2026-02-24',
      unit: 'working_days',
      limit: 3,
      status: 'running',
      pausedDays: 0,
      calendarVersion: '2026.1',
      timeLimit: { id: 'policy_forward_dossier', rulebookVersion: '2017.2', verified: true },
    });
    expect(step(view, 'forward_to_reviewer').timeLimit.citation).toContain('Art. 17.3');
    expect(step(view, 'opinion')).toMatchObject({ dueAt: '2026-03-12T16:59:59.999Z', limit: 15, status: 'running', timeLimit: { id: 'policy_opinion' } });
    expect(view.appointmentDate).toBe('2026-03-12');
    const receipt = await slipText(id, 'receipt');
    expect(receipt).toContain('GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ');
    expect(receipt).toContain(view.code);
    expect(receipt).toContain('acme');
    expect(receipt).toContain('12/03/2026');
    // The same answer as the calculator, which lists why.
    const calc = (await as('carol').get('/v1/calendar/due-date?from=2026-02-12&limit=3&unit=working_days')).body;
    expect(calc.due).toBe(step(view, 'forward_to_reviewer').dueAt);
    expect(calc.skipped.filter((s: { kind: string }) => s.kind === 'public_holiday').map((s: { date: string }) => s.date)).toEqual(['2026-02-16', '2026-02-17', '2026-02-18', '2026-02-19', '2026-02-20']);
  });

  it('the forwarding step is met when the appraisers are assigned', async () => {
    at('2026-02-13T02:00:00Z');
    const res = await as('carol').post(`/v1/projects/${id}/assignments`, { appraisers: ['ann'] });
    expect(res.status).toBe(200);
    expect(step(res.body, 'forward_to_reviewer')).toMatchObject({ status: 'met', closedAt: '2026-02-13T02:00:00.000Z', late: false });
    expect(step(res.body, 'opinion').status).toBe('running');
  });

  it('a supplementation request pauses the clock (Mẫu 02 lists every item with its reason) and the complete dossier resumes it', async () => {
    at('2026-02-25T03:00:00Z'); // Wed 25 Feb
    const req = await as('carol').post(`/v1/projects/${id}/completeness`, {
      result: 'incomplete',
      missing: ['training_support_plan', 'machinery_list'],
      reasons: { training_support_plan: 'Kế hoạch đào tạo chưa nêu số lượng kỹ sư' },
      note: 'Danh mục máy móc thiếu năm sản xuất',
    });
    expect(req.status, JSON.stringify(req.body)).toBe(200);
    expect(req.body.state).toBe('awaiting_supplement');
    expect(step(req.body, 'opinion')).toMatchObject({ status: 'paused', dueAt: null, pauses: [{ from: '2026-02-25T03:00:00.000Z', to: null }] });
    expect(req.body.appointmentDate).toBeNull();
    const paused = (await as('carol').get('/v1/projects?paused=true')).body.items.map((p: { id: string }) => p.id);
    expect(paused).toContain(id);
    expect((await as('carol').get('/v1/projects?paused=false')).body.items.map((p: { id: string }) => p.id)).not.toContain(id);
    const request = await slipText(id, 'supplementation_request');
    expect(request).toContain('PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ');
    expect(request).toContain('Kế hoạch đào tạo chưa nêu số lượng kỹ sư');
    expect(request).toContain('Danh mục máy móc thiếu năm sản xuất');

    at('2026-02-26T03:00:00Z');
    expect((await upload(app, tokens.alice!, id, 'training_support_plan', { name: 'training.pdf', content: samplePdf('training plan v2') })).status).toBe(201);
    expect((await as('alice').post(`/v1/projects/${id}/resubmit`, { note: 'added' })).body.state).toBe('completeness_review');
    at('2026-03-03T03:00:00Z'); // Tue 3 Mar: complete again
    const back = await as('carol').post(`/v1/projects/${id}/completeness`, { result: 'complete' });
    expect(back.body.state).toBe('under_appraisal');
    // docs/clock.md: paused 26 Feb – 3 Mar (6 days), the 15th working day is Wed 18 March.
    expect(step(back.body, 'opinion')).toMatchObject({ status: 'running', dueAt: '2026-03-18T16:59:59.999Z', pausedDays: 6, pauses: [{ from: '2026-02-25T03:00:00.000Z', to: '2026-03-03T03:00:00.000Z' }] });
    expect(back.body.appointmentDate).toBe('2026-03-18');
    expect((await as('carol').get('/v1/projects?due_before=2026-03-19T00:00:00Z')).body.items.map((p: { id: string }) => p.id)).toContain(id);
    expect((await as('carol').get('/v1/projects?due_before=2026-03-18T00:00:00Z')).body.items.map((p: { id: string }) => p.id)).not.toContain(id);
  });

  it('the sweep drafts the apology (Mẫu 04) for the clerk before the due date; the clerk issues it with the new date', async () => {
    at('2026-03-17T03:00:00Z'); // Tue 17 Mar, the day before the due date
    const swept = await app.backgroundJobs.sweepDeadlines();
    expect(swept.apologiesDrafted).toBeGreaterThanOrEqual(1);
    const view = (await as('carol').get(`/v1/projects/${id}`)).body;
    expect(step(view, 'opinion').status).toBe('running');
    expect(step(view, 'opinion').apologyDraft).toMatchObject({ draftedAt: '2026-03-17T03:00:00.000Z', proposedDate: '2026-03-25' });
    const notes = await db`select payload from outbox where payload->>'projectId' = ${id} and payload->>'kind' in ('deadline.apology_drafted', 'deadline.due_soon')`;
    expect(notes.map((n) => n.payload.kind).sort()).toEqual(['deadline.apology_drafted', 'deadline.due_soon']);
    // A second sweep (another instance, a restart) does nothing twice.
    expect(await app.backgroundJobs.sweepDeadlines()).toEqual({ dueSoon: 0, apologiesDrafted: 0, overdue: 0 });

    const apology = await as('carol').post(`/v1/projects/${id}/apology`, { reason: 'Cần thêm ý kiến của Bộ Xây dựng' });
    expect(apology.status, JSON.stringify(apology.body)).toBe(200);
    expect(apology.body.appointmentDate).toBe('2026-03-25');
    const text = await slipText(id, 'apology');
    expect(text).toContain('PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ');
    expect(text).toContain('25/03/2026');
    expect(text).toContain('18/03/2026');
    expect((await as('carol').post(`/v1/projects/${id}/apology`, { reason: 'again', newAppointmentDate: '2026-03-20' })).body.code).toBe('NEW_APPOINTMENT_NOT_LATER');
  });

  it('an overdue step is found by the sweep of a rebuilt app on the same database, after the clock passed the due date', async () => {
    await app.close(); // the service stops: nothing of the deadline lives in its memory
    at('2026-03-19T02:00:00Z'); // Thu 19 Mar: the 18 Mar due instant has passed
    app = await env.buildApp({ clock });
    const before = (await db`select status, overdue_marked_at from deadlines where project_id = ${id} and step = 'opinion'`)[0]!;
    expect(before).toMatchObject({ status: 'running', overdue_marked_at: null });
    const swept = await app.backgroundJobs.sweepDeadlines();
    expect(swept.overdue).toBe(1);
    const after = (await db`select status, overdue_marked_at from deadlines where project_id = ${id} and step = 'opinion'`)[0]!;
    expect(after.status).toBe('overdue');
    expect(new Date(after.overdue_marked_at).toISOString()).toBe('2026-03-19T02:00:00.000Z');
    const history = (await as('audrey').get(`/v1/projects/${id}/history`)).body.events.map((e: { action: string }) => e.action);
    expect(history).toContain('deadline.overdue');
    expect((await db`select count(*)::int as n from outbox where payload->>'projectId' = ${id} and payload->>'kind' = 'deadline.overdue'`)[0]!.n).toBe(1);
    expect((await as('carol').get('/v1/projects?overdue=true')).body.items.map((p: { id: string }) => p.id)).toContain(id);
  });

  it('the decision closes the step (late here), and issues the process-control slip and the result document', async () => {
    at('2026-03-20T03:00:00Z');
    const rbs = (await as('carol').get('/v1/rulebooks')).body.items as Array<{ version: string; content: { criteria: { investment_policy: Array<{ id: string }> } } }>;
    const criteria = rbs.find((r) => r.version === '2017.2')!.content.criteria.investment_policy.map((c) => c.id);
    const docs = (await as('carol').get(`/v1/projects/${id}/documents`)).body.current as Array<{ id: string; sha256: string }>;
    const op = await as('ann').post(`/v1/projects/${id}/opinions`, {
      criteria: criteria.map((c) => ({ criterion: c, verdict: 'meets', comment: 'ok' })),
      recommendation: 'approve',
      documentsReviewed: docs.map((d) => ({ documentId: d.id, sha256: d.sha256 })),
      conflictOfInterest: { declared: false },
    });
    expect(op.status, JSON.stringify(op.body)).toBe(200);
    const decided = await as('ivy').post(`/v1/projects/${id}/decision`, { outcome: 'approved', reasons: [{ text: 'Công nghệ đáp ứng các tiêu chí', criterion: criteria[0] }] });
    expect(decided.status, JSON.stringify(decided.body)).toBe(200);
    expect(step(decided.body, 'opinion')).toMatchObject({ status: 'overdue', late: true, closedAt: '2026-03-20T03:00:00.000Z' });
    const control = await slipText(id, 'process_control');
    expect(control).toContain('PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ');
    expect(control).toContain(decided.body.code);
    const result = await slipText(id, 'result');
    expect(result).toContain('VĂN BẢN CÓ Ý KIẾN VỀ CÔNG NGHỆ DỰ ÁN ĐẦU TƯ');
    expect(result).toContain('Công nghệ đáp ứng các tiêu chí');
    // A closed deadline never changes, and none is ever deleted (database triggers).
    await expect(db`update deadlines set citation = 'x' where project_id = ${id} and step = 'opinion'`).rejects.toThrow(/closed deadline never changes/);
    await expect(db`delete from deadlines where project_id = ${id}`).rejects.toThrow(/never deleted/);
  });

  it('the as-of view recomputes the same status from the stored inputs and calendar versions', async () => {
    const row = (await db`select id from deadlines where project_id = ${id} and step = 'opinion'`)[0]!;
    const asOf = async (iso: string) => (await as('audrey').get(`/v1/deadlines/${row.id}/as-of?at=${iso}`)).body;
    expect(await asOf('2026-02-20T00:00:00Z')).toMatchObject({ status: 'running', due: '2026-03-12T16:59:59.999Z' });
    expect(await asOf('2026-02-28T00:00:00Z')).toMatchObject({ status: 'paused', due: null });
    expect(await asOf('2026-03-10T00:00:00Z')).toMatchObject({ status: 'running', due: '2026-03-18T16:59:59.999Z' });
    expect(await asOf('2026-03-19T00:00:00Z')).toMatchObject({ status: 'overdue', late: false });
    expect(await asOf('2026-03-21T00:00:00Z')).toMatchObject({ status: 'overdue', late: true });
  });
});

describe('counting at rest days and holidays, shown on project deadlines', () => {
  it('National Day 2026: policy forwarding accepted Mon 31 Aug 2026 (1–2 Sep off) is due Fri 4 Sep', async () => {
    at('2026-08-31T03:00:00Z');
    const view = await accepted();
    const calc = (await as('carol').get('/v1/calendar/due-date?from=2026-08-31&limit=3&unit=working_days')).body;
    expect(step(view, 'forward_to_reviewer').dueAt).toBe(calc.due);
    expect(calc.skipped.some((s: { date: string; kind: string }) => s.date === '2026-09-02' && s.kind === 'public_holiday')).toBe(true);
    expect(step(view, 'forward_to_reviewer').dueDate > '2026-09-03').toBe(true);
  });

  it('a compensatory day off (Mon 27 Apr 2026 for Hùng Kings on Sunday) does not count', async () => {
    at('2026-04-23T03:00:00Z'); // Thu 23 Apr: 24 Apr (1), 27 Apr off, 28 Apr (2), 29 Apr (3)
    const view = await accepted();
    expect(step(view, 'forward_to_reviewer').dueDate).toBe((await as('carol').get('/v1/calendar/due-date?from=2026-04-23&limit=3&unit=working_days')).body.dueDate);
    const calc = (await as('carol').get('/v1/calendar/due-date?from=2026-04-23&limit=3&unit=working_days')).body;
    expect(calc.skipped.some((s: { date: string; kind: string }) => s.date === '2026-04-27' && s.kind === 'compensatory_day_off')).toBe(true);
  });

  it('calendar days at the decision stage (group C, 10 days): the period ending on a Sunday ends on the next working day', async () => {
    at('2026-06-04T03:00:00Z'); // Thu 4 Jun + 10 calendar days = Sun 14 Jun → Mon 15 Jun
    const view = await accepted({ stage: 'investment_decision', group: 'C', construction: false, capitalSource: 'private' });
    expect(step(view, 'appraisal')).toMatchObject({ unit: 'calendar_days', limit: 10, dueAt: '2026-06-15T16:59:59.999Z', timeLimit: { id: 'decision_appraisal_group_c' } });
    expect(view.appointmentDate).toBe('2026-06-15');

    // The extension with its written notice (Art. 18.1(d)): once, at most the same period.
    at('2026-06-10T03:00:00Z');
    const tooLong = await as('carol').post(`/v1/projects/${view.id}/deadline-extension`, { step: 'appraisal', days: 11, notice: 'Cần lấy thêm ý kiến chuyên gia' });
    expect(tooLong.body.code).toBe('EXTENSION_TOO_LONG');
    const ext = await as('carol').post(`/v1/projects/${view.id}/deadline-extension`, { step: 'appraisal', days: 10, notice: 'Cần lấy thêm ý kiến chuyên gia về dây chuyền' });
    expect(ext.status, JSON.stringify(ext.body)).toBe(200);
    // 20 calendar days from 4 Jun: Wed 24 Jun.
    expect(step(ext.body, 'appraisal')).toMatchObject({ extensionDays: 10, extensionNotice: 'Cần lấy thêm ý kiến chuyên gia về dây chuyền', dueAt: '2026-06-24T16:59:59.999Z' });
    expect((await as('carol').post(`/v1/projects/${view.id}/deadline-extension`, { step: 'appraisal', days: 1, notice: 'Thêm một lần nữa' })).body.code).toBe('ALREADY_EXTENDED');
    const history = (await as('audrey').get(`/v1/projects/${view.id}/history`)).body.events.map((e: { action: string }) => e.action);
    expect(history).toContain('deadline.extended');
    // As of before the extension the period was the original one; after it, the extended one.
    const deadlineId = step(ext.body, 'appraisal').id;
    expect((await as('audrey').get(`/v1/deadlines/${deadlineId}/as-of?at=2026-06-09T00:00:00Z`)).body).toMatchObject({ status: 'running', due: '2026-06-15T16:59:59.999Z' });
    expect((await as('audrey').get(`/v1/deadlines/${deadlineId}/as-of?at=2026-06-16T00:00:00Z`)).body).toMatchObject({ status: 'running', due: '2026-06-24T16:59:59.999Z' });
  });

  it('a swapped working day (Sat 8 Feb 2025 worked) counts: accepted Thu 6 Feb 2025, forwarding due Mon 10 Feb', async () => {
    at('2025-02-06T03:00:00Z'); // Fri 7 (1), Sat 8 swapped working day (2), Mon 10 (3)
    const view = await accepted();
    expect(step(view, 'forward_to_reviewer')).toMatchObject({ dueDate: '2025-02-10', dueAt: '2025-02-10T16:59:59.999Z', calendarVersion: '2025.1' });
    const calc = (await as('carol').get('/v1/calendar/due-date?from=2025-02-06&limit=3&unit=working_days')).body;
    expect(calc.dueDate).toBe('2025-02-10');
    expect(calc.countedRestDays.map((d: { date: string }) => d.date)).toEqual(['2025-02-08']);
  });
});

describe('the on-time report', () => {
  it('counts per step and overall: on time, late, running, overdue, and the rate', async () => {
    at('2026-06-10T04:00:00Z');
    const res = await as('carol').get('/v1/reports/on-time?from=2026-01-01T00:00:00Z&to=2026-12-31T00:00:00Z');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const fwd = res.body.steps.find((s: { step: string }) => s.step === 'forward_to_reviewer');
    expect(fwd).toMatchObject({ onTime: 1, late: 0 });
    const opinion = res.body.steps.find((s: { step: string }) => s.step === 'opinion');
    expect(opinion).toMatchObject({ onTime: 0, late: 1 });
    expect(res.body.overall.onTime + res.body.overall.late + res.body.overall.running + res.body.overall.overdue + res.body.overall.paused).toBe(res.body.overall.total);
    expect(res.body.overall.onTimeRate).toBeCloseTo(res.body.overall.onTime / (res.body.overall.onTime + res.body.overall.late), 5);
    expect((await as('alice').get('/v1/reports/on-time')).status).toBe(403);
  });
});
