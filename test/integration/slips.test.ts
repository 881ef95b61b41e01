import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import postgres from 'postgres';
import { createTestEnv, type TestEnv } from '../helpers/test-env';
import { client, sampleProject } from '../helpers/api';
import { createSlipService, normaliseCode, sha256Hex, verificationCodeOf, type SlipService } from '../../src/modules/slips/slip-service';
import type { SlipForm, SlipView } from '../../src/modules/slips/slip-views';

const run = promisify(execFile);

/** Text of a PDF through poppler's pdftotext (Debian poppler-utils). */
async function pdfText(pdf: Buffer): Promise<string> {
  try {
    const child = run('pdftotext', ['-layout', '-enc', 'UTF-8', '-', '-'], { encoding: 'utf8', maxBuffer: 10 * 1024 * 1024 });
    child.child.stdin!.end(pdf);
    return (await child).stdout;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('pdftotext is not installed: run scripts/ensure-system-packages.sh (installs poppler-utils)');
    }
    throw err;
  }
}

let env: TestEnv;
let app: FastifyInstance;
let sql: postgres.Sql;
let slips: SlipService;
let projectId: string;
let projectCode: string;
const tokens: Record<string, string> = {};

const INVESTOR = 'Công ty Cổ phần Xi măng Hạ Long';
const clerkActor = { sub: 'carol', roles: ['clerk' as const], org: 'desk' };

function views(code: string): Record<SlipForm, SlipView> {
  const common = {
    agency: { parent: 'Ủy ban nhân dân tỉnh Quảng Ninh', name: 'Sở Khoa học và Công nghệ' },
    place: 'Quảng Ninh',
    projectCode: code,
    projectName: 'Nhà máy xi măng Hạ Long — dây chuyền 2',
    investor: INVESTOR,
    procedure: 'Có ý kiến về công nghệ dự án đầu tư (Luật Chuyển giao công nghệ, Điều 17)',
    signer: { title: 'Người tiếp nhận hồ sơ', name: 'Trần Thị Hồng Nhung' },
  };
  return {
    receipt: { ...common, form: 'receipt', receivedAt: '2026-02-12T02:30:00Z', documents: [{ name: 'Văn bản đề nghị có ý kiến về công nghệ', copies: '01 bản chính' }, { name: 'Thuyết minh công nghệ' }], appointmentDate: '2026-03-09', receivedBy: 'Trần Thị Hồng Nhung' },
    supplementation_request: {
      ...common,
      form: 'supplementation_request',
      receivedAt: '2026-02-12T02:30:00Z',
      missing: [
        { item: 'Danh mục máy móc, thiết bị', reason: 'Thiếu năm sản xuất của máy nghiền đứng' },
        { item: 'Giấy chứng nhận xuất xứ', reason: 'Bản sao chưa được chứng thực' },
      ],
    },
    refusal: { ...common, form: 'refusal', receivedAt: '2026-02-12T02:30:00Z', reasons: ['Dự án sử dụng công nghệ thuộc Danh mục cấm chuyển giao'] },
    apology: { ...common, form: 'apology', receivedAt: '2026-02-12T02:30:00Z', originalAppointment: '2026-03-09', newAppointment: '2026-03-16', reason: 'Cần lấy thêm ý kiến chuyên gia về dây chuyền lò quay' },
    process_control: {
      ...common,
      form: 'process_control',
      receivedAt: '2026-02-12T02:30:00Z',
      appointmentDate: '2026-03-09',
      steps: [
        { step: 'Chuyển hồ sơ', from: 'Bộ phận một cửa', to: 'Phòng Quản lý công nghệ', timeIn: '2026-02-12T03:00:00Z', timeOut: '2026-02-13T01:00:00Z', dueAt: '2026-02-13T16:59:59.999Z', result: 'Đúng hạn' },
        { step: 'Thẩm định', from: 'Phòng Quản lý công nghệ', to: 'Chuyên viên thẩm định', timeIn: '2026-02-13T01:00:00Z', timeOut: null, dueAt: '2026-03-09T16:59:59.999Z' },
      ],
    },
    result: {
      ...common,
      form: 'result',
      documentKind: 'technology_opinion',
      recipients: ['Sở Tài chính tỉnh Quảng Ninh', INVESTOR],
      outcome: 'approved_with_conditions',
      reasons: ['Công nghệ lò quay khô có tháp trao đổi nhiệt năm tầng phù hợp Điều 19 Luật Chuyển giao công nghệ'],
      conditions: ['Lắp đặt hệ thống quan trắc khí thải tự động trước khi vận hành'],
      reviewers: ['Nguyễn Văn An'],
      signer: { title: 'Giám đốc', name: 'Phạm Quốc Huy' },
    },
  };
}

const TITLES: Record<SlipForm, string> = {
  receipt: 'GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ',
  supplementation_request: 'PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ',
  refusal: 'PHIẾU TỪ CHỐI TIẾP NHẬN, GIẢI QUYẾT HỒ SƠ',
  apology: 'PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ',
  process_control: 'PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ',
  result: 'VĂN BẢN CÓ Ý KIẾN VỀ CÔNG NGHỆ DỰ ÁN ĐẦU TƯ',
};
const DATES: Record<SlipForm, string[]> = {
  receipt: ['09 giờ 30 phút, ngày 12/02/2026', '09/03/2026'],
  supplementation_request: ['12/02/2026'],
  refusal: ['12/02/2026'],
  apology: ['09/03/2026', '16/03/2026'],
  process_control: ['10 giờ 00 phút, ngày 12/02/2026', '23 giờ 59 phút, ngày 09/03/2026'],
  result: [],
};

beforeAll(async () => {
  // Issue time: 17 Feb 2026, 09:00 in Hanoi.
  env = await createTestEnv({ RATE_LIMIT_PER_MINUTE: '100000' });
  const clock = () => new Date('2026-02-17T02:00:00Z');
  app = await env.buildApp({ clock });
  sql = postgres(env.databaseUrl, { max: 2, onnotice: () => {} });
  slips = createSlipService({ db: env.database.db, storage: env.storage, clock });
  tokens.investor = await env.token('alice', ['investor'], 'acme');
  tokens.other = await env.token('oscar', ['investor'], 'globex');
  tokens.clerk = await env.token('carol', ['clerk'], 'desk');
  tokens.appraiser = await env.token('andy', ['appraiser'], 'dost');
  tokens.auditor = await env.token('audrey', ['auditor'], 'inspectorate');
  const created = await client(app, tokens.investor).post('/v1/projects', sampleProject());
  expect(created.status).toBe(201);
  projectId = created.body.id;
  projectCode = created.body.code;
});
afterAll(async () => {
  await sql?.end();
  await env?.close();
});

describe('slips', () => {
  const issued: Partial<Record<SlipForm, { id: string; verificationCode: string; sha256: string }>> = {};

  it('issues each form for a real project, numbered per form and year, audited in the project chain', async () => {
    const all = views(projectCode);
    for (const form of Object.keys(all) as SlipForm[]) {
      const s = await env.database.db.transaction((tx) => slips.issueSlip(tx, { projectId, form, view: all[form], actor: clerkActor, requestId: `test-${form}` }));
      expect(s).toMatchObject({ form, number: 1, year: 2026, issuedAt: '2026-02-17T02:00:00.000Z', verificationCode: expect.stringMatching(/^[0-9A-Z]{5}(-[0-9A-Z]{5}){3}$/) });
      issued[form] = s;
    }
    const second = await env.database.db.transaction((tx) => slips.issueSlip(tx, { projectId, form: 'receipt', view: all.receipt, actor: clerkActor, correctsSlipId: issued.receipt!.id }));
    expect(second).toMatchObject({ number: 2, numberLabel: '2/2026/TNHS', correctsSlipId: issued.receipt!.id });

    const events = await sql`select action, chain_id, payload from audit_events where project_id = ${projectId} and action = 'slip.issued' order by seq`;
    expect(events).toHaveLength(7);
    expect(events.every((e) => e.chain_id === projectId)).toBe(true);
    expect(events[0]!.payload).toMatchObject({ slipId: issued.receipt!.id, form: 'receipt', sha256: issued.receipt!.sha256 });
    expect((await client(app, tokens.auditor).get('/v1/audit/verify')).body.ok).toBe(true);
  });

  it('lists them for whoever may see the project, and no one else', async () => {
    const res = await client(app, tokens.investor).get(`/v1/projects/${projectId}/slips`);
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(7);
    expect(res.body.items[0]).toEqual(expect.objectContaining({ id: expect.any(String), form: expect.any(String), number: expect.any(Number), issuedAt: expect.any(String), sha256: expect.stringMatching(/^[0-9a-f]{64}$/), verificationCode: expect.any(String) }));
    expect((await client(app, tokens.clerk).get(`/v1/projects/${projectId}/slips`)).status).toBe(200);
    expect((await client(app, tokens.other).get(`/v1/projects/${projectId}/slips`)).status).toBe(404);
    expect((await client(app, tokens.appraiser).get(`/v1/projects/${projectId}/slips`)).status).toBe(404);
    expect((await client(app, tokens.other).get(`/v1/slips/${issued.receipt!.id}/content`)).body.code).toBe('NOT_FOUND');
    expect((await client(app, tokens.investor).get('/v1/slips/00000000-0000-4000-8000-000000000000/content')).status).toBe(404);
  });

  it('serves each PDF, whose text carries the tracking code, the investor, the dates and the Vietnamese title with diacritics', async () => {
    for (const form of Object.keys(issued) as SlipForm[]) {
      const res = await app.inject({ method: 'GET', url: `/v1/slips/${issued[form]!.id}/content`, headers: { authorization: `Bearer ${tokens.investor}` } });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('application/pdf');
      const pdf = res.rawPayload;
      expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
      expect(sha256Hex(pdf)).toBe(issued[form]!.sha256);
      expect(res.headers['x-content-sha256']).toBe(issued[form]!.sha256);
      const text = await pdfText(pdf);
      expect(text, form).toContain(TITLES[form]);
      expect(text).toContain(projectCode);
      expect(text).toContain(INVESTOR);
      expect(text).toContain('CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM');
      expect(text).toContain('Độc lập - Tự do - Hạnh phúc');
      expect(text).toContain('Quảng Ninh, ngày 17 tháng 02 năm 2026');
      expect(text).toContain(issued[form]!.verificationCode);
      for (const d of DATES[form]) expect(text, `${form}: ${d}`).toContain(d);
      // PDF/A-2b identification as pdfkit writes it.
      expect(pdf.toString('latin1')).toContain('pdfaid:part');
    }
    const supplement = await pdfText((await app.inject({ method: 'GET', url: `/v1/slips/${issued.supplementation_request!.id}/content`, headers: { authorization: `Bearer ${tokens.clerk}` } })).rawPayload);
    expect(supplement).toContain('Danh mục máy móc, thiết bị');
    expect(supplement).toContain('Lý do: Thiếu năm sản xuất của máy nghiền đứng');
    expect(supplement).toContain('Lý do: Bản sao chưa được chứng thực');
    const result = await pdfText((await app.inject({ method: 'GET', url: `/v1/slips/${issued.result!.id}/content`, headers: { authorization: `Bearer ${tokens.clerk}` } })).rawPayload);
    expect(result).toContain('Đồng ý có điều kiện');
    expect(result).toContain('Lắp đặt hệ thống quan trắc khí thải tự động');
  });

  it('verifies a code publicly; a changed byte fails the file check', async () => {
    const listening = await env.buildApp({ clock: () => new Date('2026-02-17T02:00:00Z') });
    const base = await listening.listen({ host: '127.0.0.1', port: 0 });
    const download = await fetch(`${base}/v1/slips/${issued.receipt!.id}/content`, { headers: { authorization: `Bearer ${tokens.investor}` } });
    expect(download.status).toBe(200);
    const pdf = Buffer.from(await download.arrayBuffer());
    expect(sha256Hex(pdf)).toBe(issued.receipt!.sha256);

    const code = issued.receipt!.verificationCode;
    const byCode = (await (await fetch(`${base}/v1/slips/verify?code=${encodeURIComponent(code.toLowerCase())}`)).json()) as any;
    expect(byCode).toMatchObject({ known: true, slip: { form: 'receipt', numberLabel: '1/2026/TNHS', projectCode, sha256: issued.receipt!.sha256 } });
    expect(byCode.slip.investor).toBeUndefined();

    const asIs = (await (await fetch(`${base}/v1/slips/verify`, { method: 'POST', headers: { 'content-type': 'application/pdf' }, body: pdf })).json()) as any;
    expect(asIs).toMatchObject({ known: true, fileMatches: true, slip: { verificationCode: code } });

    const changed = Buffer.from(pdf);
    const at = Math.floor(changed.length / 2);
    changed.writeUInt8(changed.readUInt8(at) ^ 0x01, at);
    const tampered = (await (await fetch(`${base}/v1/slips/verify`, { method: 'POST', headers: { 'content-type': 'application/pdf' }, body: changed })).json()) as any;
    expect(tampered).toEqual({ known: false });
    const codeWithHash = (await (await fetch(`${base}/v1/slips/verify?code=${code}&sha256=${sha256Hex(changed)}`)).json()) as any;
    expect(codeWithHash).toMatchObject({ known: true, fileMatches: false });
    expect(((await (await fetch(`${base}/v1/slips/verify?code=${code}&sha256=${issued.receipt!.sha256}`)).json()) as any).fileMatches).toBe(true);
    expect(await (await fetch(`${base}/v1/slips/verify?code=AAAAA-BBBBB-CCCCC-DDDDD`)).json()).toEqual({ known: false });

    const empty = await fetch(`${base}/v1/slips/verify`, { method: 'POST', headers: { 'content-type': 'application/pdf' }, body: Buffer.alloc(0) });
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as any).code).toBe('SLIP_FILE_REQUIRED');
  });

  it('refuses a view for another form or another project, leaving nothing behind', async () => {
    const all = views(projectCode);
    const before = (await sql`select count(*)::int as n from slips`)[0]!.n;
    await expect(env.database.db.transaction((tx) => slips.issueSlip(tx, { projectId, form: 'refusal', view: all.receipt, actor: clerkActor }))).rejects.toMatchObject({ code: 'SLIP_VIEW_MISMATCH' });
    await expect(env.database.db.transaction((tx) => slips.issueSlip(tx, { projectId, form: 'receipt', view: { ...all.receipt, projectCode: 'XX-1' }, actor: clerkActor }))).rejects.toMatchObject({ code: 'SLIP_VIEW_MISMATCH' });
    const invalid: Array<[SlipForm, SlipView]> = [
      ['supplementation_request', { ...(all.supplementation_request as any), missing: [] }],
      ['supplementation_request', { ...(all.supplementation_request as any), missing: [{ item: 'Danh mục', reason: ' ' }] }],
      ['refusal', { ...(all.refusal as any), reasons: [] }],
      ['apology', { ...(all.apology as any), newAppointment: '2026-03-01' }],
      ['result', { ...(all.result as any), conditions: [] }],
      ['receipt', { ...(all.receipt as any), appointmentDate: '09/03/2026' }],
    ];
    for (const [form, view] of invalid) {
      await expect(env.database.db.transaction((tx) => slips.issueSlip(tx, { projectId, form, view, actor: clerkActor })), form).rejects.toMatchObject({ code: 'SLIP_VIEW_INVALID' });
    }
    expect((await sql`select count(*)::int as n from slips`)[0]!.n).toBe(before);
  });

  it('a slip issued in a transaction that rolls back leaves no row, no number used and no audit event', async () => {
    const all = views(projectCode);
    const count = async () => (await sql`select (select count(*) from slips)::int as slips, (select count(*) from audit_events where action = 'slip.issued')::int as events,
      (select last_number from slip_counters where form = 'refusal' and year = 2026) as last`)[0]!;
    const before = await count();
    await expect(
      env.database.db.transaction(async (tx) => {
        await slips.issueSlip(tx, { projectId, form: 'refusal', view: all.refusal, actor: clerkActor });
        throw new Error('the command failed after issuing');
      }),
    ).rejects.toThrow('the command failed after issuing');
    expect(await count()).toEqual(before);
    const next = await env.database.db.transaction((tx) => slips.issueSlip(tx, { projectId, form: 'refusal', view: all.refusal, actor: clerkActor }));
    expect(next.number).toBe(2);

    // The rolled-back issue's object is unreferenced: the sweeper removes it, and only it.
    const objects = async () => {
      const names: string[] = [];
      for await (const o of env.storage.client.listObjectsV2(env.storage.bucket, 'slips/', true) as AsyncIterable<{ name: string }>) names.push(o.name);
      return names.sort();
    };
    const keys = (await sql`select object_key from slips order by object_key`).map((r) => r.object_key as string).sort();
    expect((await objects()).length).toBe(keys.length + 1);
    expect(await slips.sweepOrphanObjects(60 * 60_000)).toBe(0); // too recent to be an orphan yet
    const later = createSlipService({ db: env.database.db, storage: env.storage, clock: () => new Date(Date.now() + 2 * 3600_000) });
    expect(await later.sweepOrphanObjects(60 * 60_000)).toBe(1);
    expect(await objects()).toEqual(keys);
  });

  it('codes are 100 bits of the content hash in Crockford base32, forgiving case and look-alikes', () => {
    const code = verificationCodeOf('ff'.repeat(32));
    expect(code).toBe('ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ');
    expect(verificationCodeOf('00'.repeat(32))).toBe('00000-00000-00000-00000');
    expect(normaliseCode('0o0oo 1il1I-zzzzz zzzzz')).toBe('00000-11111-ZZZZZ-ZZZZZ');
  });

  it('the database refuses to change or remove an issued slip', async () => {
    const id = issued.receipt!.id;
    await expect(sql`update slips set sha256 = ${'0'.repeat(64)} where id = ${id}`).rejects.toThrow(/immutable/);
    await expect(sql`delete from slips where id = ${id}`).rejects.toThrow(/immutable/);
    await expect(sql`truncate slips`).rejects.toThrow(/immutable/);
    // A "correction" pointing at another project's slip is refused.
    const other = await client(app, tokens.other).post('/v1/projects', sampleProject());
    await expect(
      sql`insert into slips (project_id, form, year, number, object_key, sha256, content_sha256, verification_code, size_bytes, view, corrects_slip_id, issued_by, issued_at)
          values (${other.body.id}, 'receipt', 2026, 99, 'x', ${'a'.repeat(64)}, ${'b'.repeat(64)}, 'X', 1, '{}', ${id}, 'x', now())`,
    ).rejects.toThrow(/another project/);
  });
});
