import { execFile } from 'node:child_process';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { genesisHash, headsDigest, sealEvent, type AuditEventRecord, type ChainHead } from '../../src/modules/audit/audit-hash';
import { keyIdOf, signCheckpoint, type CheckpointBody, type SignedCheckpoint } from '../../src/modules/audit/checkpoint-signature';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const CHAINS = ['aaaaaaaa-0000-4000-8000-000000000001', 'bbbbbbbb-0000-4000-8000-000000000002', 'system'];

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'verify-export-'));
});
afterAll(async () => fs.rm(dir, { recursive: true, force: true }));

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/cli/verify-export.ts', ...args], {
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

function buildLog(count: number): AuditEventRecord[] {
  const heads = new Map<string, { chainSeq: number; rowHash: string }>();
  const events: AuditEventRecord[] = [];
  for (let i = 0, seq = 1; i < count; i++, seq += i % 4 === 0 ? 2 : 1) {
    const chainId = CHAINS[(i * 5 + (i >> 2)) % CHAINS.length]!;
    const head = heads.get(chainId) ?? { chainSeq: 0, rowHash: genesisHash(chainId) };
    const project = chainId === 'system' ? null : chainId;
    const e = sealEvent(
      {
        seq,
        chainId,
        chainSeq: head.chainSeq + 1,
        occurredAt: new Date(Date.UTC(2026, 10, 22) + seq * 60_000).toISOString(),
        actor: { sub: 'clerk-1', roles: ['clerk'], org: 'dost' },
        action: project ? 'project.transitioned' : 'system.sweep',
        projectId: project,
        fromState: project && 'submitted',
        toState: project && 'completeness_review',
        revision: project ? head.chainSeq : null,
        machine: project ? { id: 'appraisal', version: 1 } : null,
        requestId: `req-${seq}`,
        idempotencyKey: project && `idem-${seq}`,
        payload: { n: seq, note: 'Hồ sơ "đầy đủ"\n' },
      },
      head.rowHash,
    );
    heads.set(chainId, { chainSeq: e.chainSeq, rowHash: e.rowHash });
    events.push(e);
  }
  return events;
}

function headsAt(events: AuditEventRecord[]): ChainHead[] {
  const heads = new Map<string, ChainHead>();
  for (const e of events) heads.set(e.chainId, { chainId: e.chainId, chainSeq: e.chainSeq, rowHash: e.rowHash });
  return [...heads.values()];
}

function checkpoint(id: number, events: AuditEventRecord[], privateKey: KeyObject): SignedCheckpoint {
  const heads = headsAt(events);
  const { digest, count } = headsDigest(heads);
  const body: CheckpointBody = {
    version: 1,
    createdAt: new Date(Date.UTC(2026, 10, 23) + id * 1000).toISOString(),
    seqHighWater: events.at(-1)!.seq,
    chainCount: count,
    headsDigest: digest,
    counts: { decided: 0, appraised: 0, events: events.length },
  };
  const keyId = keyIdOf(privateKey);
  return { ...body, id, keyId, signature: signCheckpoint(body, privateKey, keyId).signature, heads };
}

const keys = generateKeyPairSync('ed25519');
const otherKeys = generateKeyPairSync('ed25519');
const log = buildLog(120);
// Checkpoints after 40 and after 90 events; the export goes on to 120.
const checkpoints = [checkpoint(1, log.slice(0, 40), keys.privateKey), checkpoint(2, log.slice(0, 90), keys.privateKey)];
const pem = (k: KeyObject) => k.export({ type: 'spki', format: 'pem' }) as string;

let n = 0;
async function files(events: Array<AuditEventRecord | string>, cps: SignedCheckpoint[] = checkpoints, embeddedKey = keys.publicKey) {
  const id = ++n;
  const eventsFile = path.join(dir, `events-${id}.ndjson`);
  const cpFile = path.join(dir, `checkpoints-${id}.json`);
  await fs.writeFile(eventsFile, events.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))).join('\n') + '\n');
  await fs.writeFile(cpFile, JSON.stringify({ publicKeyPem: pem(embeddedKey), checkpoints: cps }));
  return [eventsFile, cpFile];
}

async function keyFile(k: KeyObject) {
  const file = path.join(dir, `key-${++n}.pem`);
  await fs.writeFile(file, pem(k));
  return file;
}

const firstBadSeq = (out: string) => Number(/first bad seq: (\d+)/.exec(out)?.[1]);

describe('npm run verify-export', () => {
  it('exits 0 on an untouched export, with the trusted key or the embedded one', async () => {
    const f = await files(log);
    const trusted = await cli([...f, '--public-key', await keyFile(keys.publicKey)]);
    expect(trusted.stderr).toBe('');
    expect(trusted.code).toBe(0);
    expect(trusted.stdout).toMatch(/events: 120 checked in 3 chains/);
    expect(trusted.stdout).toMatch(/checkpoints: 2 checked, 2 ok/);
    expect(trusted.stdout).toMatch(/result: OK/);
    const embedded = await cli(f);
    expect(embedded.code).toBe(0);
    expect(embedded.stdout).toMatch(/embedded in the checkpoints file/);
  });

  it('exits 1 and prints the first bad seq for an edited payload', async () => {
    const victim = log[57]!;
    const f = await files(log.map((e) => (e === victim ? { ...e, payload: { ...e.payload, n: 0 } } : e)));
    const r = await cli(f);
    expect(r.code).toBe(1);
    expect(firstBadSeq(r.stdout)).toBe(victim.seq);
    expect(r.stdout).toMatch(/hash_mismatch/);
  });

  it('exits 1 for a deleted row, pointing at the next event of that chain', async () => {
    const victim = log[30]!;
    const next = log.find((e) => e.chainId === victim.chainId && e.chainSeq === victim.chainSeq + 1)!;
    const r = await cli(await files(log.filter((e) => e !== victim)));
    expect(r.code).toBe(1);
    expect(firstBadSeq(r.stdout)).toBe(next.seq);
  });

  it('exits 1 for a truncated tail that only a checkpoint reveals', async () => {
    // Drop the last events of one chain up to and including its head at checkpoint 2.
    const chain = CHAINS[1]!;
    const head2 = checkpoints[1]!.heads.find((h) => h.chainId === chain)!;
    const truncated = log.filter((e) => !(e.chainId === chain && e.chainSeq >= head2.chainSeq));
    const r = await cli(await files(truncated));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/checkpoint #2 missing/);
    expect(firstBadSeq(r.stdout)).toBe(checkpoints[1]!.seqHighWater);
    const json = JSON.parse((await cli([...(await files(truncated)), '--json'])).stdout);
    expect(json).toMatchObject({ ok: false, checked: truncated.length, firstBadSeq: checkpoints[1]!.seqHighWater, checkpoints: { checked: 2, ok: 1 } });
  });

  it('exits 1 for a tail rewritten and re-sealed after a checkpoint head', async () => {
    const chain = CHAINS[0]!;
    const head1 = checkpoints[0]!.heads.find((h) => h.chainId === chain)!;
    // Re-seal this chain from its checkpoint-1 head on, with one payload changed.
    let prev = genesisHash(chain);
    let firstRewritten: number | null = null;
    const forged = log.map((e) => {
      if (e.chainId !== chain) return e;
      const { prevHash: _p, rowHash: _r, ...content } = e;
      const changed = e.chainSeq === head1.chainSeq ? { ...content, payload: { ...content.payload, n: -1 } } : content;
      const sealed = sealEvent(changed, prev);
      prev = sealed.rowHash;
      if (e.chainSeq === head1.chainSeq) firstRewritten = e.seq;
      return sealed;
    });
    const r = await cli(await files(forged));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/mismatch/);
    expect(firstBadSeq(r.stdout)).toBe(firstRewritten);
    expect(r.stdout).not.toMatch(/hash_mismatch|broken_link/); // the chain itself is consistent
  });

  it('exits 1 for checkpoints signed by another key, or a tampered checkpoint', async () => {
    const f = await files(log);
    const r = await cli([...f, '--public-key', await keyFile(otherKeys.publicKey)]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/embeds key .* not the trusted key/);
    expect(r.stdout).toMatch(/signature does not verify/);

    // An attacker re-signs everything with their own key and embeds it: only --public-key catches it.
    const resigned = [checkpoint(1, log.slice(0, 40), otherKeys.privateKey)];
    const f2 = await files(log, resigned, otherKeys.publicKey);
    expect((await cli(f2)).code).toBe(0);
    expect((await cli([...f2, '--public-key', await keyFile(keys.publicKey)])).code).toBe(1);

    const tampered = [{ ...checkpoints[0]!, seqHighWater: 1 }, { ...checkpoints[1]!, headsDigest: 'a'.repeat(64) }];
    const t = await cli([...(await files(log, tampered)), '--json']);
    expect(t.code).toBe(1);
    const json = JSON.parse(t.stdout);
    expect(json.checkpoints).toMatchObject({ checked: 2, ok: 0 });
    expect(json.problems.map((p: { detail: string }) => p.detail)).toEqual(
      expect.arrayContaining(['signature does not verify with the public key', 'heads do not match headsDigest']),
    );
  });

  it('exits 1 for a line that is not an event', async () => {
    const lines: Array<AuditEventRecord | string> = [...log];
    lines.splice(10, 0, '{"seq": 5, "oops": true');
    const r = await cli(await files(lines));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/line 11 malformed: not valid JSON/);
  });

  it('exits 2 on usage and I/O errors', async () => {
    const f = await files(log);
    expect((await cli([f[0]!])).code).toBe(2);
    expect((await cli([...f, '--bogus'])).code).toBe(2);
    expect((await cli([path.join(dir, 'nope.ndjson'), f[1]!])).code).toBe(2);
    expect((await cli([f[0]!, f[0]!])).code).toBe(2); // not a checkpoints file
    expect((await cli([...f, '--public-key', path.join(dir, 'nope.pem')])).code).toBe(2);
  });
});
