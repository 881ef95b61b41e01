/**
 * Virus scanning with the run's real clamd (test/clamd-for-tests.ts, committed test signatures),
 * and the "two things at once" refusals, through the HTTP API. An infected file is refused with
 * the signature name, nothing is stored, the attempt is in the project's audit chain; clamd
 * unreachable fails closed; no scanner configured → "not_scanned" in every view.
 */
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { sql } from 'drizzle-orm';
import { createTestEnv, type TestEnv } from '../helpers/test-env';
import { client, multipart, samplePdf, sampleProject, upload } from '../helpers/api';
import { ClamdScanStream, clamdVersion } from '../../src/infra/clamd-client';
import { CLAMAV_TESTFILES } from '../clamd-for-tests';
import { CLSID, craftCfb, EICAR, pdfWith, zipBytes } from '../fixtures/documents/crafted-samples';

let env: TestEnv;
let app: FastifyInstance;
let token: string;
let projectId: string;

async function objectKeys(): Promise<string[]> {
  const names: string[] = [];
  for await (const o of env.storage.client.listObjectsV2(env.storage.bucket, 'projects/', true) as AsyncIterable<{ name: string }>) names.push(o.name);
  return names.sort();
}
async function incompleteUploads(): Promise<number> {
  let n = 0;
  for await (const _ of env.storage.client.listIncompleteUploads(env.storage.bucket, 'projects/', true) as AsyncIterable<unknown>) n++;
  return n;
}
async function expectNothingLeft() {
  const rows = (await env.database.db.execute(sql`select status, object_key from documents`)) as unknown as Array<{ status: string; object_key: string }>;
  expect(rows.filter((r) => r.status === 'pending')).toEqual([]);
  expect(await objectKeys()).toEqual(rows.map((r) => r.object_key).sort());
  expect(await incompleteUploads()).toBe(0);
}

beforeAll(async () => {
  env = await createTestEnv({ CLAMD_SOCKET: inject('clamdSocket'), RATE_LIMIT_UPLOADS_PER_MINUTE: '10000' });
  app = await env.buildApp();
  token = await env.token('alice', ['investor'], 'acme');
  projectId = (await client(app, token).post('/v1/projects', sampleProject())).body.id;
});
afterAll(async () => env.close());

describe('the committed test signatures with the real clamd', () => {
  it('detect EICAR and every sample of clamav-testfiles; pass a clean file', async () => {
    const target = { socket: inject('clamdSocket') };
    const scan = async (content: Buffer) => {
      const s = new ClamdScanStream(target, 30_000);
      await pipeline(Readable.from([content]), s, new Writable({ write: (_c, _e, cb) => cb() })).catch(() => {});
      return s.verdict;
    };
    expect(await scan(EICAR)).toEqual({ infected: true, signature: 'Test.EICAR-Test-Signature.UNOFFICIAL' });
    const samples = readdirSync(CLAMAV_TESTFILES);
    expect(samples.length).toBeGreaterThan(30);
    for (const name of samples) {
      const verdict = await scan(readFileSync(path.join(CLAMAV_TESTFILES, name)));
      expect(verdict, name).toMatchObject({ infected: true, signature: expect.stringMatching(/^Test\.ClamAV-Test-File/) });
    }
    expect(await scan(samplePdf('clean'))).toEqual({ infected: false });
    expect((await clamdVersion(target)).engine).toMatch(/^ClamAV \d+\.\d+/);
  });
});

describe('uploads are scanned on the way in', () => {
  it('a clean file is stored with the verdict, engine and signature versions, shown in every view', async () => {
    const res = await upload(app, token, projectId, 'machinery_list', { name: 'machinery.pdf', content: samplePdf('clean machinery list') });
    expect(res.status).toBe(201);
    expect(res.body.scan).toMatchObject({ status: 'clean', engine: expect.stringMatching(/^ClamAV /), signatures: expect.any(String), scannedAt: expect.any(String) });
    const list = await client(app, token).get(`/v1/projects/${projectId}/documents`);
    expect(list.body.current.find((d: { id: string }) => d.id === res.body.id).scan.status).toBe('clean');
    const history = await client(app, token).get(`/v1/projects/${projectId}/history`);
    expect(history.body.events.at(-1)).toMatchObject({ action: 'document.uploaded', payload: { documentId: res.body.id, scan: { status: 'clean', engine: res.body.scan.engine } } });
    const [row] = (await env.database.db.execute(sql`select scan_status, scan_engine, scan_signatures, scanned_at from documents where id = ${res.body.id}`)) as unknown as Array<Record<string, unknown>>;
    expect(row).toMatchObject({ scan_status: 'clean', scan_engine: res.body.scan.engine });
    // The verdict is part of the committed record.
    await expect(env.database.db.execute(sql`update documents set scan_status = 'not_scanned', scan_engine = null where id = ${res.body.id}`)).rejects.toThrow();
    await expectNothingLeft();
  });

  it.each([
    ['EICAR inside a PDF', () => ({ name: 'report.pdf', content: pdfWith(EICAR) }), 'Test.EICAR-Test-Signature.UNOFFICIAL'],
    ['clamav-testfiles clam.ole.doc', () => ({ name: 'minutes.doc', content: readFileSync(path.join(CLAMAV_TESTFILES, 'clam.ole.doc')) }), expect.stringMatching(/^Test\.ClamAV-Test-File/)],
    ['clamav-testfiles clam.ppt', () => ({ name: 'slides.ppt', content: readFileSync(path.join(CLAMAV_TESTFILES, 'clam.ppt')) }), expect.stringMatching(/^Test\.ClamAV-Test-File/)],
  ])('%s → 422 VIRUS_FOUND with the signature, nothing stored, the attempt audited', async (_name, file, signature) => {
    const res = await upload(app, token, projectId, 'technology_option_analysis', file());
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ statusCode: 422, code: 'VIRUS_FOUND', signature, requestId: expect.any(String) });
    const history = await client(app, token).get(`/v1/projects/${projectId}/history`);
    expect(history.body.events.at(-1)).toMatchObject({ action: 'document.rejected', payload: { reason: 'VIRUS_FOUND', signature, component: 'technology_option_analysis', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) } });
    const list = await client(app, token).get(`/v1/projects/${projectId}/documents`);
    expect(list.body.current.find((d: { component: string }) => d.component === 'technology_option_analysis')).toBeUndefined();
    await expectNothingLeft();
  });

  it('an infected file larger than one storage part, over a listening server: 422 and no incomplete multipart upload', async () => {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as AddressInfo).port;
    const body = multipart({ component: 'technology_option_analysis' }, { name: 'big.pdf', content: pdfWith(Buffer.concat([Buffer.alloc(12 * 1024 * 1024, 0x20), EICAR])) });
    const res = await new Promise<{ status: number; body: any }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: `/v1/projects/${projectId}/documents`, headers: { authorization: `Bearer ${token}`, 'content-type': body.contentType } }, (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c) => chunks.push(c));
        r.on('end', () => resolve({ status: r.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString()) }));
      });
      req.on('error', reject);
      req.end(body.payload);
    });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ code: 'VIRUS_FOUND', signature: 'Test.EICAR-Test-Signature.UNOFFICIAL' });
    await expectNothingLeft();
  });

  it('clamd unreachable while scanning is configured → 503 SCANNER_UNAVAILABLE, nothing written', async () => {
    const closed = await env.buildApp({ config: { ...env.config, virusScan: { ...env.config.virusScan, target: { socket: path.join(env.dataDir, 'no-clamd.sock') } } } });
    const res = await upload(closed, token, projectId, 'technology_option_analysis', { name: 'o.pdf', content: samplePdf() });
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ statusCode: 503, code: 'SCANNER_UNAVAILABLE', requestId: expect.any(String) });
    expect(res.headers['retry-after']).toBeTruthy();
    await expectNothingLeft();
  });

  it('VIRUS_SCAN=required fails closed too, even at the default socket', async () => {
    const required = await env.buildApp({ config: { ...env.config, virusScan: { mode: 'required', target: { socket: path.join(env.dataDir, 'absent.ctl') }, explicit: false, timeoutMs: 5_000 } } });
    const res = await upload(required, token, projectId, 'technology_option_analysis', { name: 'o.pdf', content: samplePdf() });
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('SCANNER_UNAVAILABLE');
  });

  it('auto with no clamd configured or found: stored as not_scanned, and every view says so', async () => {
    const auto = await env.buildApp({ config: { ...env.config, virusScan: { mode: 'auto', target: { socket: path.join(env.dataDir, 'absent.ctl') }, explicit: false, timeoutMs: 5_000 } } });
    const res = await upload(auto, token, projectId, 'technology_use_conditions', { name: 'conditions.pdf', content: samplePdf() });
    expect(res.status).toBe(201);
    expect(res.body.scan).toEqual({ status: 'not_scanned' });
    const list = await client(auto, token).get(`/v1/projects/${projectId}/documents`);
    expect(list.body.current.find((d: { id: string }) => d.id === res.body.id).scan).toEqual({ status: 'not_scanned' });
    const history = await client(auto, token).get(`/v1/projects/${projectId}/history`);
    expect(history.body.events.at(-1)).toMatchObject({ action: 'document.uploaded', payload: { documentId: res.body.id, scan: { status: 'not_scanned' } } });
    await expectNothingLeft();
  });
});

describe('files that are two things at once, through the API', () => {
  it.each([
    ['a PDF with a ZIP appended', { name: 'plan.pdf', content: Buffer.concat([samplePdf(), zipBytes(20_000)]) }, 422, 'PDF_APPENDED_DATA'],
    ['an installer renamed .doc', { name: 'minutes.doc', content: craftCfb(CLSID.msi) }, 415, 'OLE_NOT_OFFICE'],
  ])('%s → %i %s, nothing stored', async (_name, file, status, code) => {
    const res = await upload(app, token, projectId, 'technology_option_analysis', file);
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ statusCode: status, code, requestId: expect.any(String), found: expect.any(String) });
    await expectNothingLeft();
  });
});
