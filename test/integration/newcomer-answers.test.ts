/**
 * The answers a newcomer gets, over a listening server: a wrong enum value lists the allowed
 * values once; an unknown field is named; every missing field comes at once (and a huge bad
 * body still gets a short answer); `q` finds a project by its tracking code and ignores case and
 * diacritics, through an index; the CSV export opens in a spreadsheet (UTF-8 BOM) while NDJSON
 * stays exact; the checkpoint public key is a PEM file the offline verifier accepts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { createTestEnv, type TestEnv } from '../helpers/test-env';
import { sampleDeclaration, sampleProject } from '../helpers/api';
import { createCheckpointService } from '../../src/modules/audit/checkpoint-service';

const ROOT = path.resolve(import.meta.dirname, '../..');
let env: TestEnv;
let app: FastifyInstance;
let base: string;
const tokens: Record<string, string> = {};

async function call(who: string, method: string, url: string, body?: unknown) {
  const res = await fetch(base + url, {
    method,
    headers: { authorization: `Bearer ${tokens[who]}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  let json: any;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: json, bytes, headers: res.headers };
}

beforeAll(async () => {
  env = await createTestEnv({ RATE_LIMIT_PER_MINUTE: '100000' });
  app = await env.buildApp();
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  tokens.alice = await env.token('alice', ['investor'], 'acme');
  tokens.carol = await env.token('carol', ['clerk'], 'desk');
  tokens.audrey = await env.token('audrey', ['auditor'], 'inspectorate');
});
afterAll(async () => env?.close());

describe('validation answers', () => {
  it('a wrong enum value gets one line listing the allowed values', async () => {
    const res = await call('alice', 'POST', '/v1/projects', sampleProject({ stage: 'policy' }));
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    expect(res.body.errors).toEqual([
      { path: '/stage', message: '/stage must be one of: investment_policy, investment_decision', allowedValues: ['investment_policy', 'investment_decision'] },
    ]);
    expect(res.body.message).toContain('investment_policy, investment_decision');
    expect(res.body.message).not.toContain('equal to constant');
  });

  it('an unknown field is named, with the fields that are allowed', async () => {
    const res = await call('alice', 'POST', '/v1/projects', sampleProject({ colour: 'red' }));
    expect(res.status).toBe(400);
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors[0]).toMatchObject({ path: '/colour', message: expect.stringContaining('unknown field "colour"'), allowedFields: expect.arrayContaining(['name', 'sector', 'stage']) });
    expect(res.body.message).toContain('"colour"');
  });

  it('every missing required field comes at once', async () => {
    const res = await call('alice', 'POST', '/v1/projects', { name: 'Only a name' });
    expect(res.status).toBe(400);
    const missing = ['/sector', '/location', '/capitalVnd', '/stage', '/group', '/capitalSource', '/decidingLevel'];
    expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([...missing].sort());
    expect(res.body.message).toMatch(/^Invalid body: missing required fields: /);
    for (const m of missing) expect(res.body.message).toContain(m);
  });

  it('problems in different fields come together, and a huge bad body gets a short answer', async () => {
    const project = (await call('alice', 'POST', '/v1/projects', sampleProject())).body;
    const bad = sampleDeclaration({
      machinery: Array.from({ length: 2000 }, () => ({ name: '', hsCode: 'x', manufactureYear: 'old', condition: 'second-hand', standards: [], extra: 1 })),
    });
    const started = performance.now();
    const res = await call('alice', 'PUT', `/v1/projects/${project.id}/technology`, bad);
    expect(res.status).toBe(400);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(res.body.errors.length).toBe(50);
    expect(res.bytes.length).toBeLessThan(64 * 1024);
    const first = res.body.errors.filter((e: { path: string }) => e.path.startsWith('/machinery/0/')).map((e: { path: string }) => e.path);
    expect(first).toEqual(expect.arrayContaining(['/machinery/0/name', '/machinery/0/hsCode', '/machinery/0/manufactureYear', '/machinery/0/condition', '/machinery/0/extra']));
    expect(res.body.message).toMatch(/more problem\(s\), listed in errors/);
  });
});

describe('malformed ids', () => {
  it('a malformed or over-long project id names the parameter (400), a huge one gets a short 414', async () => {
    for (const id of ['not-a-uuid', 'x'.repeat(200)]) {
      const res = await call('carol', 'GET', `/v1/projects/${id}`);
      expect(res.status, id).toBe(400);
      expect(res.body.errors).toEqual([{ path: '/id', message: expect.stringContaining('must be a valid uuid') }]);
      expect(res.body.message).toMatch(/^Invalid params: /);
    }
    const huge = await call('carol', 'GET', `/v1/projects/${'x'.repeat(5000)}`);
    expect(huge.status).toBe(414);
    expect(huge.body).toMatchObject({ statusCode: 414, code: 'PATH_PARAMETER_TOO_LONG', requestId: expect.any(String) });
    expect(huge.body.message.length).toBeLessThan(300);
    // An unknown path is echoed, shortened.
    const lost = await call('carol', 'GET', `/v1/nowhere/${'y'.repeat(5000)}`);
    expect(lost.status).toBe(404);
    expect(lost.body.code).toBe('ROUTE_NOT_FOUND');
    expect(lost.body.message.length).toBeLessThan(300);
  });
});

describe('project search', () => {
  it('q finds a project by its tracking code and ignores case and diacritics (Vietnamese đ/Đ too)', async () => {
    const haLong = (await call('alice', 'POST', '/v1/projects', sampleProject({ name: 'Nhà máy xi măng Hạ Long' }))).body;
    const dongTrieu = (await call('alice', 'POST', '/v1/projects', sampleProject({ name: 'Khu công nghiệp Đông Triều' }))).body;
    const ids = async (q: string) => ((await call('carol', 'GET', `/v1/projects?q=${encodeURIComponent(q)}&limit=100`)).body.items as Array<{ id: string }>).map((p) => p.id);
    for (const q of ['ha long', 'HẠ LONG', 'Hạ Long', 'xi mang', 'măng hạ', 'nha may ha']) {
      expect(await ids(q), q).toContain(haLong.id);
      expect(await ids(q), q).not.toContain(dongTrieu.id);
    }
    for (const q of ['dong trieu', 'ĐÔNG TRIỀU', 'đông', 'DONG']) expect(await ids(q), q).toEqual([dongTrieu.id]);
    expect(await ids(haLong.code)).toEqual([haLong.id]);
    expect(await ids(haLong.code.toLowerCase())).toEqual([haLong.id]);
    // A pattern character is a character, not a wildcard.
    expect(await ids('%')).toEqual([]);
  });

  it('is answered from the trigram index, not a scan', async () => {
    const sql = postgres(env.databaseUrl, { max: 1, onnotice: () => {} });
    try {
      const plan = await sql.begin(async (tx) => {
        await tx`set local enable_seqscan = off`;
        return tx.unsafe(`explain select id from projects where search_text like search_normalise('%ha long%')`);
      });
      expect(plan.map((r) => Object.values(r)[0]).join('\n')).toContain('projects_search_trgm_idx');
    } finally {
      await sql.end();
    }
  });
});

describe('audit exports and the checkpoint key', () => {
  it('the CSV export starts with a UTF-8 byte-order mark; NDJSON starts with the first event', async () => {
    await call('alice', 'POST', '/v1/projects', sampleProject({ name: 'Cảng Cái Lân' }));
    const csv = await call('audrey', 'GET', '/v1/audit/events?format=csv');
    expect(csv.status).toBe(200);
    expect([...csv.bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(csv.bytes.subarray(3).toString('utf8')).toMatch(/^seq,/);
    expect(csv.bytes.toString('utf8')).toContain('Cảng Cái Lân');
    const ndjson = await call('audrey', 'GET', '/v1/audit/events?format=ndjson');
    expect(ndjson.bytes[0]).toBe('{'.charCodeAt(0));
    for (const line of ndjson.bytes.toString('utf8').trim().split('\n')) JSON.parse(line);
  });

  it('serves the checkpoint public key as a PEM file that verify-export accepts with --public-key', { timeout: 60_000 }, async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'checkpoint-key-'));
    try {
      const key = await call('audrey', 'GET', '/v1/audit/checkpoints/public-key');
      expect(key.status).toBe(200);
      expect(key.headers.get('content-type')).toMatch(/^application\/x-pem-file/);
      expect(key.headers.get('content-disposition')).toContain('checkpoint.pub.pem');
      expect(key.bytes.toString()).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+-----END PUBLIC KEY-----\n?$/);
      // A checkpoint signed with the service's key (background jobs do not run in tests).
      const signer = createCheckpointService({ db: env.database.db, keyFile: path.join(env.dataDir, 'keys', 'audit-checkpoint-ed25519.pem'), clock: () => new Date() });
      await signer.createCheckpoint('test');
      const checkpoints = await call('audrey', 'GET', '/v1/audit/checkpoints');
      expect(checkpoints.body.keyId).toBe(key.headers.get('x-key-id'));
      expect(checkpoints.body.checkpoints.length).toBeGreaterThan(0);
      const events = await call('audrey', 'GET', '/v1/audit/events?format=ndjson');
      await fs.writeFile(path.join(dir, 'checkpoint.pub.pem'), key.bytes);
      await fs.writeFile(path.join(dir, 'events.ndjson'), events.bytes);
      await fs.writeFile(path.join(dir, 'checkpoints.json'), checkpoints.bytes);
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--import', 'tsx', 'src/cli/verify-export.ts', path.join(dir, 'events.ndjson'), path.join(dir, 'checkpoints.json'), '--public-key', path.join(dir, 'checkpoint.pub.pem')],
        { cwd: ROOT, env: { PATH: process.env.PATH } },
      );
      expect(stdout).toContain('from --public-key');
      await signer.stop();
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
