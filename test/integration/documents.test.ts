/**
 * Dossier documents against real Postgres and the real S3 protocol: streamed round trips larger
 * than one multipart part over a listening server, every refusal with nothing stored, versions,
 * and crash consistency with storage and database failing at each step.
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { sql } from 'drizzle-orm';
import { createTestEnv, type TestEnv } from '../helpers/test-env';
import { client, multipart, samplePdf, sampleProject, upload } from '../helpers/api';
import { createDocumentService } from '../../src/modules/documents/document-service';
import { createRulebookService } from '../../src/modules/rulebook/rulebook-service';
import { createProjectService } from '../../src/modules/projects/project-service';
import { createCommandRunner } from '../../src/modules/commands/command-runner';
import { createProjectFacts } from '../../src/modules/projects/project-facts';
import type { ObjectStorage } from '../../src/infra/object-storage';

let env: TestEnv;
let app: FastifyInstance;
let token: string;
let investor: ReturnType<typeof client>;
let projectId: string;

const MAX = 24 * 1024 * 1024;

async function objectKeys(): Promise<string[]> {
  const names: string[] = [];
  for await (const o of env.storage.client.listObjectsV2(env.storage.bucket, 'projects/', true) as AsyncIterable<{ name: string }>) names.push(o.name);
  return names.sort();
}
async function documentRows(): Promise<Array<{ status: string; object_key: string }>> {
  return (await env.database.db.execute(sql`select status, object_key from documents order by created_at`)) as unknown as Array<{ status: string; object_key: string }>;
}
/** Nothing half-written: every row is committed and has its object, every object has its row. */
async function expectConsistent() {
  const rows = await documentRows();
  expect(rows.filter((r) => r.status === 'pending')).toEqual([]);
  expect(await objectKeys()).toEqual(rows.map((r) => r.object_key).sort());
}

beforeAll(async () => {
  env = await createTestEnv({ UPLOAD_MAX_BYTES: String(MAX), RATE_LIMIT_UPLOADS_PER_MINUTE: '1000' });
  app = await env.buildApp();
  token = await env.token('alice', ['investor'], 'acme');
  investor = client(app, token);
  projectId = (await investor.post('/v1/projects', sampleProject())).body.id;
});
afterAll(async () => env.close());

describe('upload → list → download', () => {
  it('round-trips a file larger than one multipart part byte for byte over a listening server', async () => {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as AddressInfo).port;
    // 12 MiB + 1: three 5 MiB parts to storage. A PDF header so the type is accepted.
    const content = Buffer.concat([samplePdf('big drawing set'), randomBytes(12 * 1024 * 1024 + 1)]);
    const sha256 = createHash('sha256').update(content).digest('hex');
    const body = multipart({ component: 'machinery_list', sha256 }, { name: 'Danh mục thiết bị.pdf', content });

    const res = await new Promise<{ status: number; body: any }>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port, method: 'POST', path: `/v1/projects/${projectId}/documents`, headers: { authorization: `Bearer ${token}`, 'content-type': body.contentType } },
        (r) => {
          const chunks: Buffer[] = [];
          r.on('data', (c) => chunks.push(c));
          r.on('end', () => resolve({ status: r.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString()) }));
        },
      );
      req.on('error', reject);
      // Send in chunks, as a real client streams a large file.
      for (let i = 0; i < body.payload.length; i += 1024 * 1024) req.write(body.payload.subarray(i, i + 1024 * 1024));
      req.end();
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ component: 'machinery_list', version: 1, status: 'active', sha256, size: content.length, mediaType: 'application/pdf', originalName: 'Danh mục thiết bị.pdf' });

    const list = await investor.get(`/v1/projects/${projectId}/documents`);
    expect(list.body.current.map((d: { id: string }) => d.id)).toEqual([res.body.id]);
    expect(list.body.checklist.required.find((c: { component: string }) => c.component === 'machinery_list').present).toBe(true);
    expect(list.body.checklist.missing).not.toContain('machinery_list');

    const download = await fetch(`http://127.0.0.1:${port}/v1/documents/${res.body.id}/content`, { headers: { authorization: `Bearer ${token}` } });
    expect(download.status).toBe(200);
    expect(download.headers.get('x-content-sha256')).toBe(sha256);
    expect(download.headers.get('content-type')).toBe('application/pdf');
    expect(download.headers.get('content-disposition')).toBe(`attachment; filename="Danh muc thiet bi.pdf"; filename*=UTF-8''Danh%20m%E1%BB%A5c%20thi%E1%BA%BFt%20b%E1%BB%8B.pdf`);
    const hash = createHash('sha256');
    for await (const chunk of download.body as unknown as AsyncIterable<Uint8Array>) hash.update(chunk);
    expect(hash.digest('hex')).toBe(sha256);

    const presigned = await investor.get(`/v1/documents/${res.body.id}/download-url`);
    expect(presigned.body).toMatchObject({ sha256, size: content.length });
    const direct = await fetch(presigned.body.url);
    expect(direct.status).toBe(200);
    expect(createHash('sha256').update(Buffer.from(await direct.arrayBuffer())).digest('hex')).toBe(sha256);

    const audit = (await investor.get(`/v1/projects/${projectId}/history`)).body.events.at(-1);
    expect(audit).toMatchObject({ action: 'document.uploaded', payload: { component: 'machinery_list', version: 1, size: content.length, mediaType: 'application/pdf', sha256 } });
    await expectConsistent();
  });

  it('a new upload of the same component supersedes the old version, which stays readable', async () => {
    const v2 = await upload(app, token, projectId, 'machinery_list', { name: 'machinery-v2.pdf', content: samplePdf('version 2') });
    expect(v2.status).toBe(201);
    expect(v2.body).toMatchObject({ version: 2, status: 'active' });
    const list = await investor.get(`/v1/projects/${projectId}/documents`);
    expect(list.body.current.filter((d: { component: string }) => d.component === 'machinery_list').map((d: { version: number }) => d.version)).toEqual([2]);
    const old = list.body.history.find((d: { component: string }) => d.component === 'machinery_list');
    expect(old).toMatchObject({ version: 1, status: 'superseded' });
    expect(old.supersededAt).toBeTruthy();
    const oldBytes = await app.inject({ method: 'GET', url: `/v1/documents/${old.id}/content`, headers: { authorization: `Bearer ${token}` } });
    expect(oldBytes.statusCode).toBe(200);
    expect(createHash('sha256').update(oldBytes.rawPayload).digest('hex')).toBe(old.sha256);
    // The database refuses to rewrite a committed version.
    await expect(env.database.db.execute(sql`update documents set sha256 = ${'0'.repeat(64)} where id = ${old.id}`)).rejects.toThrow();
    await expect(env.database.db.execute(sql`delete from documents where id = ${old.id}`)).rejects.toThrow();
    await expectConsistent();
  });
});

describe('bad uploads get their documented 4xx and leave nothing behind', () => {
  const exe = Buffer.concat([Buffer.from('MZ'), randomBytes(4096)]);
  it.each<[string, () => Promise<{ status: number; body: any }>, number, string]>([
    ['oversize', () => upload(app, token, projectId, 'machinery_list', { name: 'huge.pdf', content: Buffer.concat([samplePdf(), Buffer.alloc(MAX)]) }), 413, 'PAYLOAD_TOO_LARGE'],
    ['an executable', () => upload(app, token, projectId, 'machinery_list', { name: 'setup.exe', content: exe }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['an executable named .pdf', () => upload(app, token, projectId, 'machinery_list', { name: 'invoice.pdf', content: exe }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['a PDF named .docx', () => upload(app, token, projectId, 'machinery_list', { name: 'report.docx', content: samplePdf() }), 415, 'EXTENSION_MISMATCH'],
    ['plain text', () => upload(app, token, projectId, 'machinery_list', { name: 'notes.txt', content: Buffer.from('just words '.repeat(100)) }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['a checksum mismatch', () => upload(app, token, projectId, 'machinery_list', { name: 'm.pdf', content: samplePdf() }, { sha256: 'a'.repeat(64) }), 422, 'CHECKSUM_MISMATCH'],
    ['a malformed checksum', () => upload(app, token, projectId, 'machinery_list', { name: 'm.pdf', content: samplePdf() }, { sha256: 'xyz' }), 400, 'INVALID_CHECKSUM'],
    ['an unknown component', () => upload(app, token, projectId, 'secret_plans', { name: 'm.pdf', content: samplePdf() }), 400, 'UNKNOWN_COMPONENT'],
    ['an empty file', () => upload(app, token, projectId, 'machinery_list', { name: 'empty.pdf', content: Buffer.alloc(0) }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
  ])('%s → %i %s', async (_name, send, status, code) => {
    const before = await objectKeys();
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.body.code).toBe(code);
    expect(await objectKeys()).toEqual(before);
    await expectConsistent();
  });

  it('a file part without a preceding component field', async () => {
    const body = multipart({}, { name: 'a.pdf', content: samplePdf() });
    const res = await app.inject({ method: 'POST', url: `/v1/projects/${projectId}/documents`, headers: { authorization: `Bearer ${token}`, 'content-type': body.contentType }, payload: body.payload });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('COMPONENT_REQUIRED');
  });

  it('hostile file names are stored sanitised and served with a safe Content-Disposition', async () => {
    const hostile = "..\\..\\etc/\u202Efdp.exe\u0007 'quoted'\tname.pdf";
    const res = await upload(app, token, projectId, 'technology_use_conditions', { name: hostile, content: samplePdf() });
    expect(res.status).toBe(201);
    expect(res.body.originalName).toBe("fdp.exe 'quoted' name.pdf");
    const download = await app.inject({ method: 'GET', url: `/v1/documents/${res.body.id}/content`, headers: { authorization: `Bearer ${token}` } });
    const cd = download.headers['content-disposition'] as string;
    expect(cd).not.toMatch(/[\r\n\u202E]/);
    expect(cd).toBe(`attachment; filename="fdp.exe 'quoted' name.pdf"`);
  });

  it('only the owning investor uploads, only while the project is editable', async () => {
    const other = await upload(app, await env.token('oscar', ['investor'], 'globex'), projectId, 'machinery_list', { name: 'x.pdf', content: samplePdf() });
    expect(other.status).toBe(404);
    const clerk = await upload(app, await env.token('carol', ['clerk']), projectId, 'machinery_list', { name: 'x.pdf', content: samplePdf() });
    expect(clerk.status).toBe(403);
  });
});

describe('crash consistency', () => {
  function servicesWith(storage: ObjectStorage) {
    const runner = createCommandRunner({ db: env.database.db });
    const rulebooks = createRulebookService({ db: env.database.db, clock: () => new Date() });
    const projects = createProjectService({ db: env.database.db, rulebooks, runner, trackingCodePrefix: 'QN', clock: () => new Date(), facts: createProjectFacts({ rulebooks, clock: () => new Date() }) });
    return Object.assign(createDocumentService({ db: env.database.db, storage, projects, rulebooks, maxBytes: MAX, clock: () => new Date() }), { projects });
  }
  const principal = { sub: 'alice', roles: ['investor' as const], org: 'acme', name: null };
  const file = () => ({ component: 'technology_option_analysis', fileName: 'options.pdf', stream: (async function* () { yield samplePdf('options'); })() as never });

  it('storage failing during the write leaves no row and no object', async () => {
    const failing: ObjectStorage = { ...env.storage, client: new Proxy(env.storage.client, { get: (t, p) => (p === 'putObject' ? async () => { throw new Error('storage unavailable'); } : Reflect.get(t, p)) }) };
    await expect(servicesWith(failing).upload(principal, projectId, { ...file(), stream: (await import('node:stream')).Readable.from([samplePdf()]) }, { requestId: 't1' })).rejects.toThrow('storage unavailable');
    await expectConsistent();
  });

  it('the database failing at commit removes the object and the pending row', async () => {
    await env.database.db.execute(sql.raw(`
      create function fail_activation() returns trigger language plpgsql as $$ begin
        if new.status = 'active' then raise exception 'disk full (injected)'; end if; return new; end $$;
      create trigger fail_activation before update on documents for each row execute function fail_activation();`));
    try {
      const res = await upload(app, token, projectId, 'technology_option_analysis', { name: 'options.pdf', content: samplePdf() });
      expect(res.status).toBe(500);
      expect(res.body.message).not.toContain('disk full');
    } finally {
      await env.database.db.execute(sql.raw('drop trigger fail_activation on documents; drop function fail_activation();'));
    }
    await expectConsistent();
  });

  it('the sweeper removes what a crash left: stale pending rows with their objects, and orphaned objects', async () => {
    // A crash after the object was written but before commit …
    await env.database.db.execute(sql`
      insert into documents (project_id, component, status, object_key, original_name, uploaded_by, created_at)
      values (${projectId}, 'machinery_list', 'pending', ${`projects/${projectId}/documents/crashed-1`}, 'crashed.pdf', 'alice', now() - interval '2 days')`);
    await env.storage.client.putObject(env.storage.bucket, `projects/${projectId}/documents/crashed-1`, samplePdf());
    // … and a crash after the object was written but before its pending row survived (or after the row was swept).
    await env.storage.client.putObject(env.storage.bucket, `projects/${projectId}/documents/orphan-1`, samplePdf());
    // A fresh pending upload (in progress) must be left alone.
    await env.database.db.execute(sql`
      insert into documents (project_id, component, status, object_key, original_name, uploaded_by)
      values (${projectId}, 'machinery_list', 'pending', ${`projects/${projectId}/documents/in-progress`}, 'busy.pdf', 'alice')`);

    const docs = servicesWith(env.storage);
    expect(await docs.sweep(24 * 3600_000)).toEqual({ pendingRows: 1, orphanObjects: 0 }); // the orphan is younger than a day
    const later = createDocumentService({
      db: env.database.db, storage: env.storage, projects: docs.projects,
      rulebooks: createRulebookService({ db: env.database.db, clock: () => new Date() }), maxBytes: MAX, clock: () => new Date(Date.now() + 2 * 24 * 3600_000),
    });
    const swept = await later.sweep(24 * 3600_000);
    expect(swept.orphanObjects).toBe(1);
    expect(swept.pendingRows).toBe(1); // the in-progress one, now two days old in that clock
    await expectConsistent();
    // Running it again (or on another instance) finds nothing.
    expect(await later.sweep(24 * 3600_000)).toEqual({ pendingRows: 0, orphanObjects: 0 });
  });
});
