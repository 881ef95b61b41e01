/**
 * Tampering with the audit log as a database superuser (who can bypass the append-only triggers)
 * is caught by GET /v1/audit/verify and by the offline verifier on a fresh export, which agree on
 * the first bad seq. Each scenario is undone afterwards and the log verifies again.
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createTestEnv, type TestEnv } from '../helpers/test-env';
import { client, completeDossier, sampleDeclaration, sampleProject } from '../helpers/api';
import { contentOf, sealEvent, type AuditEventRecord } from '../../src/modules/audit/audit-hash';
import { createCheckpointService, sqlClientOf, type CheckpointService, type StoredCheckpoint } from '../../src/modules/audit/checkpoint-service';
import { verifyAuditLog } from '../../src/modules/audit/chain-audit';
import { keyIdOf, signCheckpoint } from '../../src/modules/audit/checkpoint-signature';

const ROOT = path.resolve(import.meta.dirname, '../..');

let env: TestEnv;
let app: FastifyInstance;
let checkpoints: CheckpointService;
let superuser: postgres.Sql;
let tmp: string;
let auditor: ReturnType<typeof client>;
let p1: string;
let p2: string;
let covering: StoredCheckpoint;
/** A checkpoint made before the events the scenarios tamper with (where incremental checks start). */
let base: StoredCheckpoint;

/** Runs SQL as the superuser with the user triggers (append-only guards) switched off. */
async function tamper(fn: (tx: postgres.TransactionSql) => Promise<unknown>): Promise<void> {
  await superuser.begin(async (tx) => {
    await tx`set local session_replication_role = replica`;
    await fn(tx);
  });
}

async function history(projectId: string): Promise<AuditEventRecord[]> {
  return (await auditor.get(`/v1/audit/events?projectId=${projectId}&limit=1000`)).body.items;
}

/**
 * GET /v1/audit/verify, checked against the walk split over worker threads (the path large logs
 * take), which must give exactly the same report.
 */
async function verify() {
  const res = await auditor.get('/v1/audit/verify?full=true');
  expect(res.status).toBe(200);
  const { key } = await checkpoints.publicKey();
  const client = sqlClientOf(env.database.db);
  const [single, parallel] = [
    await verifyAuditLog(client, { publicKey: key, parallelism: 1 }),
    await verifyAuditLog(client, { publicKey: key, parallelism: 2, parallelThreshold: 0 }),
  ];
  expect(parallel).toEqual(single);
  const { durationMs: _ms, mode, since: _since, ...body } = res.body;
  expect(mode).toBe('full');
  expect(body).toEqual(single);
  // The incremental path, from a checkpoint made before every tampered event: the same verdict and
  // the same first bad seq.
  const inc = await auditor.get(`/v1/audit/verify?since=${base.id}`);
  expect(inc.body, JSON.stringify(inc.body.problems)).toMatchObject({ mode: 'incremental', since: { checkpointId: base.id }, ok: single.ok, firstBadSeq: single.firstBadSeq });
  if (!single.ok) expect(inc.body.problems.map((p: { kind: string }) => p.kind)).toEqual(expect.arrayContaining([single.problems[0]!.kind]));
  return res.body as {
    ok: boolean;
    checked: number;
    firstBadSeq: number | null;
    problemCount: number;
    problems: Array<{ source: string; kind: string; seq: number | null; chainId: string | null; checkpointId: number | null }>;
    checkpoints: { checked: number; ok: number };
  };
}

let exports = 0;
/** A fresh export and checkpoints file, through the offline verifier. */
async function offline(): Promise<{ code: number; report: { ok: boolean; checked: number; firstBadSeq: number | null; problems: Array<{ source: string; kind: string }> } }> {
  const n = ++exports;
  const events = path.join(tmp, `events-${n}.ndjson`);
  const cps = path.join(tmp, `checkpoints-${n}.json`);
  await fs.writeFile(events, (await auditor.get('/v1/audit/events?format=ndjson')).body as string);
  await fs.writeFile(cps, JSON.stringify((await auditor.get('/v1/audit/checkpoints')).body));
  try {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/cli/verify-export.ts', events, cps, '--json'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH },
    });
    return { code: 0, report: JSON.parse(stdout) };
  } catch (err) {
    const e = err as { code?: number; stdout?: string };
    if (typeof e.code !== 'number' || !e.stdout) throw err;
    return { code: e.code, report: JSON.parse(e.stdout) };
  }
}

async function expectSound() {
  const v = await verify();
  expect(v, JSON.stringify(v.problems)).toMatchObject({ ok: true, firstBadSeq: null, problemCount: 0 });
  return v;
}

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'tamper-'));
  env = await createTestEnv({ RATE_LIMIT_PER_MINUTE: '100000' });
  checkpoints = createCheckpointService({ db: env.database.db, keyFile: path.join(env.dataDir, 'keys', 'checkpoint.pem'), clock: () => new Date() });
  app = await env.buildApp({ checkpoints });
  superuser = postgres(env.databaseUrl, { max: 1, onnotice: () => {} });
  auditor = client(app, await env.token('audrey', ['auditor'], 'inspectorate'));
  const aliceToken = await env.token('alice', ['investor'], 'acme');
  const alice = client(app, aliceToken);
  const carol = client(app, await env.token('carol', ['clerk'], 'desk'));

  p1 = (await alice.post('/v1/projects', sampleProject())).body.id;
  p2 = (await alice.post('/v1/projects', sampleProject({ name: 'Second line' }))).body.id;
  base = (await checkpoints.checkpoint('manual'))!;
  await alice.put(`/v1/projects/${p1}/technology`, sampleDeclaration());
  await alice.put(`/v1/projects/${p2}/technology`, sampleDeclaration());
  await completeDossier(app, aliceToken, p1);
  expect((await alice.post(`/v1/projects/${p1}/submit`)).status).toBe(200);
  expect((await carol.post(`/v1/projects/${p1}/completeness`, { result: 'complete' })).status).toBe(200);
  await alice.put(`/v1/projects/${p2}/technology`, sampleDeclaration({ technologies: [{ name: 'Wet process', origin: 'Japan', description: 'kiln' }] }));

  covering = (await checkpoints.checkpoint('periodic'))!;
  await expectSound();
});
afterAll(async () => {
  await superuser?.end();
  await env.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('tampering is caught', () => {
  it('starts from a sound log that the offline verifier accepts too', async () => {
    const v = await expectSound();
    const off = await offline();
    expect(off.code).toBe(0);
    expect(off.report).toMatchObject({ ok: true, checked: v.checked });
  });

  it('(a) an edited payload: firstBadSeq is that event, on the server and offline', async () => {
    const target = (await history(p1))[4]!; // a document upload in the middle of the chain
    const [{ payload: original }] = await superuser<[{ payload: string }]>`select payload::text as payload from audit_events where seq = ${target.seq}`;
    await tamper((tx) => tx`update audit_events set payload = jsonb_set(payload, '{size}', '999999') where seq = ${target.seq}`);

    const v = await verify();
    expect(v.ok).toBe(false);
    expect(v.firstBadSeq).toBe(target.seq);
    expect(v.problems[0]).toMatchObject({ source: 'chain', kind: 'hash_mismatch', seq: target.seq, chainId: p1 });
    const off = await offline();
    expect(off.code).toBe(1);
    expect(off.report).toMatchObject({ ok: false, firstBadSeq: target.seq, checked: v.checked });

    await tamper((tx) => tx`update audit_events set payload = ${original}::text::jsonb where seq = ${target.seq}`);
    await expectSound();
  });

  it('(b) a deleted middle event: the chain has a gap at the next event', async () => {
    const events = await history(p1);
    const gone = events[6]!;
    const next = events[7]!;
    await tamper(async (tx) => {
      await tx`create table tamper_saved as select * from audit_events where seq = ${gone.seq}`;
      await tx`delete from audit_events where seq = ${gone.seq}`;
    });

    const v = await verify();
    expect(v.ok).toBe(false);
    expect(v.firstBadSeq).toBe(next.seq);
    expect(v.problems[0]).toMatchObject({ source: 'chain', kind: 'chain_gap', seq: next.seq, chainId: p1 });
    // An event gone from before the latest checkpoint: routine verification counts it missing.
    expect((await auditor.get('/v1/audit/verify')).body).toMatchObject({ ok: false, problems: [expect.objectContaining({ kind: 'count' })] });
    const off = await offline();
    expect(off.code).toBe(1);
    expect(off.report).toMatchObject({ ok: false, firstBadSeq: next.seq, checked: v.checked });

    await tamper(async (tx) => {
      await tx`insert into audit_events select * from tamper_saved`;
      await tx`drop table tamper_saved`;
    });
    await expectSound();
  });

  it('(c) a truncated tail with the head rewritten: the chain verifies, the checkpoint does not', async () => {
    const events = await history(p1);
    const head = covering.heads.find((h) => h.chainId === p1)!;
    expect(head.chainSeq).toBe(events.length); // the checkpoint covers the current head
    const newLast = events.at(-3)!;
    const [{ chain_seq: oldSeq, chain_head: oldHead }] = await superuser<[{ chain_seq: number; chain_head: string }]>`
      select chain_seq, chain_head from projects where id = ${p1}`;
    await tamper(async (tx) => {
      await tx`create table tamper_saved as select * from audit_events where chain_id = ${p1} and chain_seq > ${newLast.chainSeq}`;
      await tx`delete from audit_events where chain_id = ${p1} and chain_seq > ${newLast.chainSeq}`;
      await tx`update projects set chain_seq = ${newLast.chainSeq}, chain_head = ${newLast.rowHash} where id = ${p1}`;
    });

    const v = await verify();
    expect(v.ok).toBe(false);
    expect(v.problems.filter((p) => p.source !== 'checkpoint')).toEqual([]); // chains and live heads are consistent
    expect(v.problems).toEqual([expect.objectContaining({ source: 'checkpoint', kind: 'missing', chainId: p1, checkpointId: covering.id })]);
    expect(v.firstBadSeq).toBe(covering.seqHighWater);
    expect(v.checkpoints).toMatchObject({ checked: 2, ok: 1 });
    // Routine verification from the latest checkpoint sees it too (the head moved back below it).
    expect((await auditor.get('/v1/audit/verify')).body).toMatchObject({ mode: 'incremental', since: { checkpointId: covering.id }, ok: false, firstBadSeq: covering.seqHighWater });
    const off = await offline();
    expect(off.code).toBe(1);
    expect(off.report).toMatchObject({ ok: false, firstBadSeq: covering.seqHighWater, checked: v.checked });
    expect(off.report.problems.map((p) => p.source)).toEqual(['checkpoint']);

    await tamper(async (tx) => {
      await tx`insert into audit_events select * from tamper_saved`;
      await tx`drop table tamper_saved`;
      await tx`update projects set chain_seq = ${oldSeq}, chain_head = ${oldHead} where id = ${p1}`;
    });
    await expectSound();
  });

  it('(d) an edit re-sealed to the end of its chain: caught at the checkpointed head', async () => {
    const events = await history(p2);
    const saved = await superuser<Array<{ seq: string; payload: string; prev_hash: string; row_hash: string }>>`
      select seq, payload::text as payload, prev_hash, row_hash from audit_events where chain_id = ${p2} order by chain_seq`;
    const [{ chain_head: oldHead }] = await superuser<[{ chain_head: string }]>`select chain_head from projects where id = ${p2}`;
    // Change the first declaration and recompute every hash after it, as someone without the
    // checkpoint key would.
    const resealed: AuditEventRecord[] = [];
    let prev = events[0]!.prevHash;
    for (const [i, e] of events.entries()) {
      const content = contentOf(e);
      if (i === 1) content.payload = { ...content.payload, forged: true };
      const r = sealEvent(content, prev);
      resealed.push(r);
      prev = r.rowHash;
    }
    await tamper(async (tx) => {
      for (const r of resealed) {
        await tx`update audit_events set payload = ${JSON.stringify(r.payload)}::text::jsonb, prev_hash = ${r.prevHash}, row_hash = ${r.rowHash} where seq = ${r.seq}`;
      }
      await tx`update projects set chain_head = ${resealed.at(-1)!.rowHash} where id = ${p2}`;
    });

    const head = events.at(-1)!;
    const v = await verify();
    expect(v.ok).toBe(false);
    expect(v.problems).toEqual([expect.objectContaining({ source: 'checkpoint', kind: 'mismatch', seq: head.seq, chainId: p2 })]);
    expect(v.firstBadSeq).toBe(head.seq);
    // From the latest checkpoint too: the live head no longer is the one it signed.
    expect((await auditor.get('/v1/audit/verify')).body).toMatchObject({ mode: 'incremental', since: { checkpointId: covering.id }, ok: false });
    const off = await offline();
    expect(off.code).toBe(1);
    expect(off.report).toMatchObject({ ok: false, firstBadSeq: head.seq });

    await tamper(async (tx) => {
      for (const r of saved) {
        await tx`update audit_events set payload = ${r.payload}::text::jsonb, prev_hash = ${r.prev_hash}, row_hash = ${r.row_hash} where seq = ${r.seq}`;
      }
      await tx`update projects set chain_head = ${oldHead} where id = ${p2}`;
    });
    await expectSound();
  });

  it('(e) a checkpoint forged with another key is reported, and nothing vouches for it', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    // It continues the sequence correctly (previousId, the same tree): only the key gives it away.
    const body = { ...covering, createdAt: new Date().toISOString(), previousId: covering.id };
    const { signature, keyId } = signCheckpoint(body, privateKey, keyIdOf(privateKey));
    await superuser`
      insert into audit_checkpoints (created_at, reason, seq_high_water, chain_count, heads_digest, counts, heads, key_id, signature, version, previous_id)
      values (${body.createdAt}, 'forged', ${body.seqHighWater}, ${body.chainCount}, ${body.headsDigest}, ${JSON.stringify(body.counts)}::text::jsonb,
        ${JSON.stringify(body.heads)}::text::jsonb, ${keyId}, ${signature}, 2, ${covering.id})`;
    const v = await verify();
    expect(v.ok).toBe(false);
    expect(v.checkpoints).toMatchObject({ checked: 3, ok: 2 });
    expect(v.problems.every((p) => p.source === 'checkpoint' && p.kind === 'signature')).toBe(true);
    expect(v.firstBadSeq).toBeNull(); // no event is bad
    const off = await offline();
    expect(off.code).toBe(1);

    await tamper((tx) => tx`delete from audit_checkpoints where reason = 'forged'`);
    await expectSound();
  });
});

describe('inclusion proofs (GET /v1/projects/:id/history?proof=true, checked offline)', () => {
  async function checkHistory(doc: unknown): Promise<{ code: number; report: { ok: boolean; problems: string[] } }> {
    const n = ++exports;
    const file = path.join(tmp, `history-${n}.json`);
    const pem = path.join(tmp, `key-${n}.pem`);
    await fs.writeFile(file, JSON.stringify(doc));
    await fs.writeFile(pem, (await checkpoints.publicKey()).pem);
    try {
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/cli/verify-export.ts', '--history', file, '--public-key', pem, '--json'], {
        cwd: ROOT,
        env: { PATH: process.env.PATH },
      });
      return { code: 0, report: JSON.parse(stdout) };
    } catch (err) {
      const e = err as { code?: number; stdout?: string };
      if (typeof e.code !== 'number' || !e.stdout) throw err;
      return { code: e.code, report: JSON.parse(e.stdout) };
    }
  }

  it('proves a history included in the signed root, and fails for a history that was altered', async () => {
    const res = await auditor.get(`/v1/projects/${p1}/history?proof=true`);
    expect(res.status).toBe(200);
    const doc = res.body;
    expect(doc.proof).toMatchObject({ checkpoint: { id: covering.id, version: 2, headsDigest: covering.headsDigest }, treeSize: covering.chainCount });
    expect(doc.proof.leaf).toEqual({ chainId: p1, chainSeq: doc.events.length, rowHash: doc.events.at(-1).rowHash });
    expect(doc.proof.auditPath.length).toBeLessThanOrEqual(Math.ceil(Math.log2(covering.chainCount)));
    expect((await auditor.get(`/v1/projects/${p1}/history`)).body.proof).toBeUndefined(); // only when asked
    expect(await checkHistory(doc)).toMatchObject({ code: 0, report: { ok: true } });

    // An edited event (re-sealed to the end, as someone without the key would): the chain is
    // sound but no longer ends in the leaf the checkpoint signed.
    const resealed: AuditEventRecord[] = [];
    let prev = doc.events[0].prevHash as string;
    for (const [i, e] of (doc.events as AuditEventRecord[]).entries()) {
      const content = contentOf(e);
      if (i === 2) content.payload = { ...content.payload, forged: true };
      const r = sealEvent(content, prev);
      resealed.push(r);
      prev = r.rowHash;
    }
    const altered = await checkHistory({ ...doc, events: resealed });
    expect(altered.code).toBe(1);
    expect(altered.report.problems).toEqual([expect.stringMatching(/not the one the checkpoint holds/)]);
    // A leaf moved to the altered head: the audit path no longer leads to the signed root.
    const moved = await checkHistory({ ...doc, events: resealed, proof: { ...doc.proof, leaf: { ...doc.proof.leaf, rowHash: resealed.at(-1)!.rowHash } } });
    expect(moved.report.problems).toEqual([expect.stringMatching(/audit path does not lead/)]);
    // A truncated history, a forged root, a wrong sibling.
    expect((await checkHistory({ ...doc, events: doc.events.slice(0, -1) })).report.problems).toEqual([expect.stringMatching(/no event at chainSeq/)]);
    expect((await checkHistory({ ...doc, proof: { ...doc.proof, checkpoint: { ...doc.proof.checkpoint, headsDigest: 'a'.repeat(64) } } })).report.problems).toEqual(
      expect.arrayContaining([expect.stringMatching(/signature does not verify/), expect.stringMatching(/audit path does not lead/)]),
    );
    const path2 = [...doc.proof.auditPath];
    path2[0] = 'b'.repeat(64);
    expect((await checkHistory({ ...doc, proof: { ...doc.proof, auditPath: path2 } })).code).toBe(1);
    await expectSound();
  });
});

describe('audit_checkpoints is append-only', () => {
  it('rejects UPDATE, DELETE and TRUNCATE, even from a superuser', async () => {
    for (const statement of [
      () => superuser`update audit_checkpoints set reason = 'edited'`,
      () => superuser`delete from audit_checkpoints`,
      () => superuser`truncate audit_checkpoints`,
    ]) {
      await expect(statement()).rejects.toMatchObject({ code: '42501', message: expect.stringMatching(/audit_checkpoints is append-only/) });
    }
    const [{ n }] = await superuser<[{ n: number }]>`select count(*)::int as n from audit_checkpoints where reason = 'periodic'`;
    expect(n).toBe(1);
    await expectSound();
  });
});
