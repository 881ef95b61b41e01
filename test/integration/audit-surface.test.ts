/**
 * The auditor's surface against real Postgres: event search (filters, cursor paging), NDJSON and
 * CSV exports, verification, signed checkpoints, and agreement with the offline verifier CLI.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createTestEnv, type TestEnv } from '../helpers/test-env';
import { client, completeDossier, sampleDeclaration, sampleProject } from '../helpers/api';
import { appendAuditEvent } from '../../src/modules/audit/audit-writer';
import { createCheckpointService, sqlClientOf, type CheckpointService } from '../../src/modules/audit/checkpoint-service';
import { checkCheckpoint, publicKeyFromPem, type SignedCheckpoint } from '../../src/modules/audit/checkpoint-signature';
import { type AuditEventRecord } from '../../src/modules/audit/audit-hash';
import { leafHash, merkleRoot } from '../../src/modules/audit/merkle-tree';
import { CSV_COLUMNS, isoFromPgTimestamp, searchAuditEvents } from '../../src/modules/audit/audit-query';
import { verifyAuditLog } from '../../src/modules/audit/chain-audit';
import type { Role } from '../../src/auth/roles';

const ROOT = path.resolve(import.meta.dirname, '../..');
const DAY1 = Date.parse('2026-03-02T01:00:00.000Z');
const DAY2 = Date.parse('2026-03-03T01:00:00.000Z');
const DAY3 = Date.parse('2026-03-04T01:00:00.000Z');
/** A payload that exercises CSV quoting and JSON escaping. */
const TRICKY = { note: 'He said "stop", then left,\r\nthen came back', vi: 'Báo cáo thẩm định', list: [1, 'a,b', null] };

let env: TestEnv;
let app: FastifyInstance;
let checkpoints: CheckpointService;
let now = DAY1;
let tmp: string;
let auditor: ReturnType<typeof client>;
let p1: string;
let p2: string;
let p3: string;
const tokens: Record<string, string> = {};

async function allEvents(): Promise<AuditEventRecord[]> {
  const res = await auditor.get('/v1/audit/events?limit=1000');
  expect(res.status).toBe(200);
  expect(res.body.nextCursor).toBeNull();
  return res.body.items;
}

/** Follows nextCursor from the first page to the last. */
async function walkPages(query: string, limit: number): Promise<{ items: AuditEventRecord[]; pages: number }> {
  const items: AuditEventRecord[] = [];
  let after: number | null = null;
  let pages = 0;
  do {
    const res: { status: number; body: { items: AuditEventRecord[]; nextCursor: number | null } } = await auditor.get(
      `/v1/audit/events?${query}&limit=${limit}${after === null ? '' : `&after=${after}`}`,
    );
    expect(res.status).toBe(200);
    expect(res.body.items.length).toBeLessThanOrEqual(limit);
    items.push(...res.body.items);
    after = res.body.nextCursor;
    pages++;
  } while (after !== null && pages < 100);
  return { items, pages };
}

/** RFC 4180 parser (quoted fields, "" escapes, CRLF records) for checking the export. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else {
      field += c;
    }
  }
  if (field !== '' || record.length > 0) throw new Error('CSV does not end with CRLF');
  return records;
}

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/cli/verify-export.ts', ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

async function liveHeads() {
  return sqlClientOf(env.database.db)<Array<{ chainId: string; chainSeq: number; rowHash: string }>>`
    select id::text as "chainId", chain_seq as "chainSeq", chain_head as "rowHash" from projects where chain_seq > 0
    union all select chain_id, chain_seq, row_hash from audit_chain_heads`;
}

async function appendSystemEvent(action: string, payload: Record<string, unknown>) {
  await env.database.db.transaction((tx) =>
    appendAuditEvent(tx, { actor: { sub: 'system:test', roles: [], org: null }, action, projectId: null, payload, at: new Date(now) }),
  );
}

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'audit-surface-'));
  env = await createTestEnv({ RATE_LIMIT_PER_MINUTE: '100000' });
  const clock = () => new Date(now);
  checkpoints = createCheckpointService({ db: env.database.db, keyFile: path.join(env.dataDir, 'keys', 'checkpoint.pem'), clock });
  app = await env.buildApp({ clock, checkpoints });
  const people: Array<[string, Role[], string]> = [
    ['alice', ['investor'], 'acme'],
    ['oscar', ['investor'], 'globex'],
    ['carol', ['clerk'], 'desk'],
    ['ann', ['appraiser'], 'dost'],
    ['paul', ['approver'], 'ppc'],
    ['audrey', ['auditor'], 'inspectorate'],
    ['root', ['admin'], 'ops'],
  ];
  for (const [sub, roles, org] of people) tokens[sub] = await env.token(sub, roles, org);
  auditor = client(app, tokens.audrey);
  const alice = client(app, tokens.alice);
  const oscar = client(app, tokens.oscar);
  const carol = client(app, tokens.carol);

  // Day 1: three projects are registered, one declares its technology.
  now = DAY1;
  p1 = (await alice.post('/v1/projects', sampleProject())).body.id;
  p2 = (await alice.post('/v1/projects', sampleProject({ name: 'Second line' }))).body.id;
  p3 = (await oscar.post('/v1/projects', sampleProject({ name: 'Globex plant' }))).body.id;
  expect((await alice.put(`/v1/projects/${p1}/technology`, sampleDeclaration())).status).toBe(200);

  // Day 2: p1 is filed, found complete and assigned.
  now = DAY2;
  await completeDossier(app, tokens.alice!, p1);
  expect((await alice.post(`/v1/projects/${p1}/submit`)).status).toBe(200);
  expect((await carol.post(`/v1/projects/${p1}/completeness`, { result: 'complete' })).status).toBe(200);
  await client(app, tokens.ann).get('/v1/projects'); // an appraiser must have signed in once to be assignable
  expect((await carol.post(`/v1/projects/${p1}/assignments`, { appraisers: ['ann'] })).status).toBe(200);

  // Day 3: another organisation tries to withdraw p1 (recorded), and a system event.
  now = DAY3;
  expect((await oscar.post(`/v1/projects/${p1}/withdraw`, { reason: 'mischief' })).status).toBe(404);
  await appendSystemEvent('system.tested', TRICKY);
});
afterAll(async () => {
  await env.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('GET /v1/audit/events (json)', () => {
  it('lists every event in seq order, matching the table', async () => {
    const events = await allEvents();
    const [{ n }] = await sqlClientOf(env.database.db)<[{ n: number }]>`select count(*)::int as n from audit_events`;
    expect(events).toHaveLength(n);
    expect(events.length).toBe(19); // with the clock's and the receipt's events (deadlines.started, slip.issued, deadlines.closed)
    expect(events.map((e) => e.seq)).toEqual([...events.map((e) => e.seq)].sort((a, b) => a - b));
    expect(new Set(events.map((e) => e.chainId))).toEqual(new Set([p1, p2, p3, 'system']));
  });

  it('pages with the seq cursor: the pages add up to the whole list, without overlap', async () => {
    const all = await allEvents();
    const { items, pages } = await walkPages('format=json', 4);
    expect(pages).toBe(Math.ceil(all.length / 4)); // a full last page already says nextCursor: null
    expect(items).toEqual(all);
    // A cursor in the middle: only later events.
    const res = await auditor.get(`/v1/audit/events?after=${all[9]!.seq}&limit=1000`);
    expect(res.body.items).toEqual(all.slice(10));
  });

  it('filters by project: exactly that project history, also when paged', async () => {
    const history = (await client(app, tokens.carol).get(`/v1/projects/${p1}/history`)).body.events;
    const res = await auditor.get(`/v1/audit/events?projectId=${p1}&limit=1000`);
    expect(res.body.items).toEqual(history);
    expect((await walkPages(`projectId=${p1}`, 3)).items).toEqual(history);
    expect((await auditor.get(`/v1/audit/events?projectId=${p2}`)).body.items.map((e: AuditEventRecord) => e.action)).toEqual(['project.created']);
  });

  it('filters by actor, by action, and by both', async () => {
    const all = await allEvents();
    const byCarol = (await auditor.get('/v1/audit/events?actor=carol&limit=1000')).body.items;
    expect(byCarol).toEqual(all.filter((e) => e.actor.sub === 'carol'));
    expect(byCarol.map((e: AuditEventRecord) => e.action)).toEqual(['completeness.confirmed', 'deadlines.started', 'slip.issued', 'appraisers.assigned', 'deadlines.closed']);
    const uploads = (await auditor.get('/v1/audit/events?action=document.uploaded&limit=1000')).body.items;
    expect(uploads).toHaveLength(6);
    expect(uploads).toEqual(all.filter((e) => e.action === 'document.uploaded'));
    const oscarDenied = (await auditor.get('/v1/audit/events?actor=oscar&action=access.denied')).body.items;
    expect(oscarDenied).toMatchObject([{ projectId: p1, payload: { attempted: 'withdraw', status: 404 } }]);
    expect((await auditor.get('/v1/audit/events?actor=nobody')).body).toEqual({ items: [], nextCursor: null });
  });

  it('filters by time: from inclusive, to exclusive', async () => {
    const all = await allEvents();
    const day2 = (await auditor.get('/v1/audit/events?from=2026-03-03T00:00:00Z&to=2026-03-04T00:00:00Z&limit=1000')).body.items;
    expect(day2.length).toBeGreaterThan(5);
    expect(day2).toEqual(all.filter((e) => e.occurredAt.startsWith('2026-03-03')));
    const exact = new Date(DAY2).toISOString();
    const fromExact = (await auditor.get(`/v1/audit/events?from=${exact}&limit=1000`)).body.items;
    expect(fromExact).toEqual(all.filter((e) => e.occurredAt >= exact));
    expect((await auditor.get(`/v1/audit/events?to=${exact}&limit=1000`)).body.items).toEqual(all.filter((e) => e.occurredAt < exact));
    // Other offsets mean the same instant.
    const plus7 = (await auditor.get(`/v1/audit/events?from=${encodeURIComponent('2026-03-03T07:00:00+07:00')}&limit=1000`)).body.items;
    expect(plus7).toEqual(all.filter((e) => e.occurredAt >= '2026-03-03T00:00:00.000Z'));
  });

  it('gives the same time-filtered pages whichever way it finds them (seq order first, or the time index)', async () => {
    const all = await allEvents();
    const client = sqlClientOf(env.database.db);
    const windows = [
      { from: '2026-03-03T00:00:00Z', to: '2026-03-04T00:00:00Z' },
      { from: '2026-03-03T00:00:00Z' },
      { to: '2026-03-03T01:00:00.000Z' },
      { from: '2026-03-02T00:00:00Z', to: '2026-03-05T00:00:00Z', action: 'document.uploaded' },
      { from: '2026-03-02T00:00:00Z', actor: 'carol', after: all[3]!.seq },
      { from: '2026-03-09T00:00:00Z' },
    ];
    for (const f of windows) {
      const expected = all.filter(
        (e) =>
          (!f.from || e.occurredAt >= new Date(f.from).toISOString()) &&
          (!f.to || e.occurredAt < new Date(f.to).toISOString()) &&
          (!('action' in f) || e.action === f.action) &&
          (!('actor' in f) || e.actor.sub === f.actor) &&
          (!('after' in f) || e.seq > f.after!),
      );
      for (const scanCap of [1, 3, 5000]) {
        for (const limit of [2, 1000]) {
          const page = await searchAuditEvents(client, f, limit, { scanCap });
          expect(page.items, JSON.stringify({ f, scanCap, limit })).toEqual(expected.slice(0, limit));
          expect(page.nextCursor).toBe(expected.length > limit ? expected[limit - 1]!.seq : null);
        }
      }
    }
  });

  it('reads timestamps for whole-log walks exactly as to_char writes them', async () => {
    const rows = await sqlClientOf(env.database.db).begin(async (tx) => {
      await tx.unsafe("set local timezone = 'UTC'");
      await tx.unsafe("set local datestyle = 'ISO, MDY'");
      return tx<Array<{ text: string; iso: string }>>`
        select t::text as text, to_char(t at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as iso
        from (select occurred_at as t from audit_events
              union all select v::timestamptz(3) from unnest(array['2026-01-01 00:00:00+07', '2026-12-31 23:59:59.999+00',
                '2026-06-01 12:00:00.1+00', '2026-06-01 12:00:00.12+00', '2026-06-01 12:00:00.120+00', '2026-06-01 12:00:00.0015+00',
                '1999-02-28 23:00:00.5-05']) v) x`;
    });
    expect(rows.length).toBeGreaterThan(20);
    for (const r of rows) expect(isoFromPgTimestamp(r.text), r.text).toBe(r.iso);
    expect(() => isoFromPgTimestamp('2026-06-01 12:00:00+07')).toThrow(/TimeZone UTC/);
  });

  it('refuses malformed queries with 400', async () => {
    for (const q of ['limit=0', 'limit=1001', 'format=xml', 'projectId=not-a-uuid', 'from=yesterday', 'to=2026-03-03', 'after=-1', 'colour=blue']) {
      const res = await auditor.get(`/v1/audit/events?${q}`);
      expect(res.status, q).toBe(400);
      expect(res.body.code, q).toBe('VALIDATION_FAILED');
    }
  });

  it('is described in the OpenAPI document', async () => {
    const doc = (await client(app).get('/openapi.json')).body;
    const events = doc.paths['/v1/audit/events'].get;
    expect(events.operationId).toBe('searchAuditEvents');
    expect(Object.keys(events.responses['200'].content).sort()).toEqual(['application/json', 'application/x-ndjson', 'text/csv']);
    expect(events.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['action', 'actor', 'after', 'format', 'from', 'limit', 'projectId', 'to']);
    expect(doc.paths['/v1/audit/verify'].get.operationId).toBe('verifyAuditLog');
    expect(doc.paths['/v1/audit/checkpoints'].get.operationId).toBe('listAuditCheckpoints');
    for (const path of ['/v1/audit/events', '/v1/audit/verify', '/v1/audit/checkpoints']) expect(doc.paths[path].get.tags).toEqual(['audit']);
  });

  it('is for auditors only', async () => {
    for (const who of ['alice', 'carol', 'ann', 'paul', 'root']) {
      for (const url of ['/v1/audit/events', '/v1/audit/events?format=ndjson', '/v1/audit/verify', '/v1/audit/checkpoints']) {
        const res = await client(app, tokens[who]).get(url);
        expect(res.status, `${who} ${url}`).toBe(403);
        expect(res.body.code).toBe('ROLE_NOT_ALLOWED');
      }
    }
    expect((await client(app).get('/v1/audit/events')).status).toBe(401);
  });
});

describe('exports', () => {
  it('streams NDJSON: every matching event (no page limit), one AuditEvent JSON per line', async () => {
    const all = await allEvents();
    const res = await auditor.get('/v1/audit/events?format=ndjson&limit=1');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="audit-events-[0-9TZ-]+\.ndjson"$/);
    const text = res.body as string;
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l))).toEqual(all);
    // Exactly the record JSON the history route answers (what the verifier hashes).
    expect(lines[0]).toBe(JSON.stringify(all[0]));
    const carol = (await auditor.get('/v1/audit/events?format=ndjson&actor=carol')).body as string;
    expect(carol.trimEnd().split('\n').map((l) => JSON.parse(l))).toEqual(all.filter((e) => e.actor.sub === 'carol'));
    const none = await auditor.get('/v1/audit/events?format=ndjson&actor=nobody');
    expect(none.status).toBe(200);
    expect(none.body ?? '').toBe(''); // an empty body (the test client gives undefined for it)
  });

  it('streams RFC 4180 CSV with a header row; payload is the JSON text', async () => {
    const all = await allEvents();
    const res = await auditor.get('/v1/audit/events?format=csv');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv; charset=utf-8/);
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="audit-events-[0-9TZ-]+\.csv"$/);
    // A UTF-8 byte-order mark first, for spreadsheet programs; then the RFC 4180 text.
    expect((res.body as string).startsWith('\uFEFF')).toBe(true);
    const records = parseCsv((res.body as string).slice(1));
    expect(records[0]).toEqual([...CSV_COLUMNS]);
    const rows = records.slice(1).map((r) => Object.fromEntries(CSV_COLUMNS.map((c, i) => [c, r[i]])));
    expect(rows).toHaveLength(all.length);
    for (const [i, e] of all.entries()) {
      const r = rows[i]!;
      expect(records[i + 1]).toHaveLength(CSV_COLUMNS.length);
      expect(Number(r.seq)).toBe(e.seq);
      expect(r.chainId).toBe(e.chainId);
      expect(r.occurredAt).toBe(e.occurredAt);
      expect(r.actorSub).toBe(e.actor.sub);
      expect(r.actorRoles).toBe(e.actor.roles.join(' '));
      expect(r.action).toBe(e.action);
      expect(r.projectId).toBe(e.projectId ?? '');
      expect(JSON.parse(r.payload!)).toEqual(e.payload);
      expect(r.rowHash).toBe(e.rowHash);
    }
    const system = rows.find((r) => r.chainId === 'system')!;
    expect(JSON.parse(system.payload!)).toEqual(TRICKY);
    // Literal RFC 4180: the field is quoted, its quotes doubled (the payload's JSON escapes stay as text).
    expect(res.body as string).toContain(`""note"":""He said \\""stop\\"", then left,\\r\\nthen came back""}",`);
    expect(res.body as string).toContain(`,system:test,"",,system.tested,`); // no roles: an empty quoted field; no org: empty
  });
});

describe('verification and checkpoints', () => {
  let first: SignedCheckpoint;

  it('verifies the whole log (with no checkpoint yet, the incremental default walks it all)', async () => {
    const all = await allEvents();
    const res = await auditor.get('/v1/audit/verify');
    expect(res.body).toMatchObject({ mode: 'full', since: null });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      ok: true,
      checked: all.length,
      firstBadSeq: null,
      head: { seq: all.at(-1)!.seq, chains: 4 },
      checkpoints: { checked: 0, ok: 0, latest: null },
      problemCount: 0,
      problems: [],
    });
  });

  it('gives the same report when the walk is split over worker threads', async () => {
    const client = sqlClientOf(env.database.db);
    const { key } = await checkpoints.publicKey();
    const single = await verifyAuditLog(client, { publicKey: key, parallelism: 1 });
    expect(single).toMatchObject({ ok: true, checked: 19 });
    for (const parallelism of [2, 4]) expect(await verifyAuditLog(client, { publicKey: key, parallelism, parallelThreshold: 0 })).toEqual(single);
  });

  it('signs the Merkle root over the heads of every chain; skips a periodic checkpoint when nothing changed', async () => {
    const all = await allEvents();
    first = (await checkpoints.checkpoint('periodic'))!;
    expect(first).not.toBeNull();
    const heads = await liveHeads();
    // The first version-2 checkpoint starts the tree: every head, appended in chain-id byte order.
    const inLeafOrder = [...heads].sort((a, b) => Buffer.compare(Buffer.from(a.chainId), Buffer.from(b.chainId)));
    expect(first.heads).toEqual(inLeafOrder.map((h, leafIndex) => ({ ...h, leafIndex })));
    expect(first).toMatchObject({
      version: 2,
      previousId: null,
      createdAt: new Date(now).toISOString(),
      seqHighWater: all.at(-1)!.seq,
      chainCount: 4,
      headsDigest: merkleRoot(inLeafOrder.map(leafHash)),
      counts: { events: all.length, decided: 0, appraised: 0 },
      reason: 'periodic',
    });
    expect(await checkpoints.checkpoint('periodic')).toBeNull();

    const res = await auditor.get('/v1/audit/checkpoints');
    expect(res.status).toBe(200);
    expect(res.body.checkpoints).toEqual([first]);
    expect(res.body.keyId).toBe(first.keyId);
    expect(checkCheckpoint(res.body.checkpoints[0], publicKeyFromPem(res.body.publicKeyPem))).toEqual([]);
    // A changed count or head would break the signature.
    expect(checkCheckpoint({ ...first, counts: { ...first.counts, decided: 1 } }, publicKeyFromPem(res.body.publicKeyPem))).not.toEqual([]);
  });

  it('always checkpoints a decision; a change makes the next periodic one; concurrent makers make one', async () => {
    const decision = await checkpoints.checkpoint('decision');
    // Nothing moved: the same root, no heads stored, and it names the checkpoint before it.
    expect(decision).toMatchObject({ reason: 'decision', headsDigest: first.headsDigest, heads: [], previousId: first.id });
    expect(decision!.id).toBeGreaterThan(first.id);

    now += 60_000;
    await appendSystemEvent('system.tested', { n: 1 });
    const made = await Promise.all(Array.from({ length: 5 }, () => checkpoints.checkpoint('periodic')));
    const created = made.filter((c) => c !== null);
    expect(created).toHaveLength(1);
    expect(created[0]!.counts.events).toBe(first.counts.events + 1);
    expect(created[0]!.headsDigest).not.toBe(first.headsDigest);
    // Only the chain that moved is stored, at the leaf it already had.
    const systemLeaf = first.heads.find((h) => h.chainId === 'system')!;
    expect(created[0]!.heads).toEqual([{ ...(await liveHeads()).find((h) => h.chainId === 'system')!, leafIndex: systemLeaf.leafIndex }]);
    expect(created[0]).toMatchObject({ chainCount: 4, previousId: decision!.id });

    const latest = (await auditor.get('/v1/audit/checkpoints?latest=1')).body.checkpoints;
    expect(latest).toEqual([created[0]]);
    expect((await auditor.get('/v1/audit/checkpoints')).body.checkpoints.map((c: SignedCheckpoint) => c.id)).toEqual([first.id, decision!.id, created[0]!.id]);
  });

  it('makes checkpoints on a timer, and stop() waits for the one running', async () => {
    const before = (await checkpoints.latest())!;
    now += 60_000;
    await appendSystemEvent('system.tested', { n: 2 });
    checkpoints.start(20);
    const deadline = Date.now() + 5000;
    while ((await checkpoints.latest())!.id === before.id && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await checkpoints.stop();
    const after = (await checkpoints.latest())!;
    expect(after.id).toBeGreaterThan(before.id);
    expect(after.reason).toBe('periodic');
    await new Promise((r) => setTimeout(r, 60));
    expect((await checkpoints.latest())!.id).toBe(after.id); // stopped, and nothing changed anyway
  });

  it('verifies against every checkpoint', async () => {
    const all = await allEvents();
    const list = (await auditor.get('/v1/audit/checkpoints')).body.checkpoints as SignedCheckpoint[];
    const res = await auditor.get('/v1/audit/verify?full=true');
    expect(res.body).toMatchObject({
      ok: true,
      mode: 'full',
      checked: all.length,
      firstBadSeq: null,
      checkpoints: { checked: list.length, ok: list.length, latest: { id: list.at(-1)!.id, seqHighWater: list.at(-1)!.seqHighWater } },
      problems: [],
    });
    // Routine verification starts at the latest checkpoint: nothing moved since, so no event is walked.
    const routine = await auditor.get('/v1/audit/verify');
    expect(routine.body).toMatchObject({ ok: true, mode: 'incremental', since: { checkpointId: list.at(-1)!.id }, checked: 0, checkpoints: { checked: list.length, ok: list.length } });
    const fromFirst = await auditor.get(`/v1/audit/verify?since=${list[0]!.id}`);
    expect(fromFirst.body).toMatchObject({ ok: true, mode: 'incremental', since: { checkpointId: list[0]!.id } });
    expect(fromFirst.body.checked).toBeGreaterThan(0);
    expect(fromFirst.body.checked).toBeLessThan(all.length);
    expect((await auditor.get('/v1/audit/verify?since=999999')).body).toMatchObject({ statusCode: 404, code: 'CHECKPOINT_NOT_FOUND' });
    expect((await auditor.get(`/v1/audit/verify?since=1&full=true`)).body).toMatchObject({ statusCode: 400, code: 'VERIFY_FULL_OR_SINCE' });
  });

  it('agrees with the offline verifier on an export and the checkpoints file', async () => {
    const events = path.join(tmp, 'events.ndjson');
    const cps = path.join(tmp, 'checkpoints.json');
    const key = path.join(tmp, 'checkpoint-public.pem');
    const exported = await auditor.get('/v1/audit/events?format=ndjson');
    await fs.writeFile(events, exported.body as string);
    const listing = await auditor.get('/v1/audit/checkpoints');
    await fs.writeFile(cps, JSON.stringify(listing.body));
    await fs.writeFile(key, (await checkpoints.publicKey()).pem);
    const server = (await auditor.get('/v1/audit/verify?full=true')).body;

    const out = await cli([events, cps, '--public-key', key, '--json']);
    expect(out.code, out.stderr + out.stdout).toBe(0);
    const report = JSON.parse(out.stdout);
    expect(report).toMatchObject({
      ok: true,
      checked: server.checked,
      firstBadSeq: null,
      chains: server.head.chains,
      checkpoints: { checked: server.checkpoints.checked, ok: server.checkpoints.ok },
      key: { source: 'argument' },
    });
    const human = await cli([events, cps]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('result: OK');
  });
});
