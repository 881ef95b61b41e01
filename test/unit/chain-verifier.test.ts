import { createHash, generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { genesisHash, headsDigest, sealEvent, type AuditEventRecord, type ChainHead } from '../../src/modules/audit/audit-hash';
import { createCheckpointSequenceChecker } from '../../src/modules/audit/checkpoint-sequence';
import { leafHash, merkleRoot } from '../../src/modules/audit/merkle-tree';
import {
  checkAgainstCheckpoint,
  checkpointPositions,
  createChainVerifier,
  MAX_REPORTED_PROBLEMS,
  verifyCheckpointHeads,
  verifyEvents,
  verifyEventsSync,
  type ChainVerifyResult,
} from '../../src/modules/audit/chain-verifier';
import {
  checkCheckpoint,
  keyIdOf,
  loadOrCreateCheckpointKey,
  signCheckpoint,
  verifyCheckpointSignature,
  type CheckpointBody,
  type SignedCheckpoint,
} from '../../src/modules/audit/checkpoint-signature';

const P1 = '11111111-1111-4111-8111-111111111111';
const P2 = '22222222-2222-4222-8222-222222222222';
const P3 = '33333333-3333-4333-8333-333333333333';
const CHAINS = [P1, P2, P3, 'system'];

/** Deterministic interleaved log over several chains, with seq gaps (rolled-back transactions). */
function buildLog(count: number, chains = CHAINS): AuditEventRecord[] {
  const heads = new Map<string, { chainSeq: number; rowHash: string }>();
  const events: AuditEventRecord[] = [];
  let seq = 100;
  for (let i = 0; i < count; i++) {
    seq += i % 5 === 4 ? 2 : 1;
    const chainId = chains[(i * 7 + Math.floor(i / 3)) % chains.length]!;
    events.push(appendTo(heads, chainId, seq));
  }
  return events;
}

function appendTo(heads: Map<string, { chainSeq: number; rowHash: string }>, chainId: string, seq: number, payload: Record<string, unknown> = {}): AuditEventRecord {
  const head = heads.get(chainId) ?? { chainSeq: 0, rowHash: genesisHash(chainId) };
  const project = chainId === 'system' ? null : chainId;
  const e = sealEvent(
    {
      seq,
      chainId,
      chainSeq: head.chainSeq + 1,
      occurredAt: new Date(Date.UTC(2026, 10, 22, 4, 40) + seq * 1000).toISOString(),
      actor: { sub: `user-${seq % 3}`, roles: ['appraiser'], org: 'dost' },
      action: 'document.uploaded',
      projectId: project,
      fromState: project && 'under_appraisal',
      toState: project && 'under_appraisal',
      revision: project ? head.chainSeq + 1 : null,
      machine: project ? { id: 'appraisal', version: 1 } : null,
      requestId: `req-${seq}`,
      idempotencyKey: null,
      payload: { documentId: `doc-${seq}`, version: 1, note: 'hồ sơ', ...payload },
    },
    head.rowHash,
  );
  heads.set(chainId, { chainSeq: e.chainSeq, rowHash: e.rowHash });
  return e;
}

/** The same event with changed content, sealed again after the same prevHash. */
function resealOne(e: AuditEventRecord, changes: Partial<AuditEventRecord>): AuditEventRecord {
  const { prevHash, rowHash: _r, ...content } = e;
  return sealEvent({ ...content, ...changes }, prevHash);
}

/** Re-seals a whole log, as someone with write access to the table could. */
function reseal(events: AuditEventRecord[]): AuditEventRecord[] {
  const heads = new Map<string, { chainSeq: number; rowHash: string }>();
  return events.map((e) => {
    const head = heads.get(e.chainId) ?? { chainSeq: 0, rowHash: genesisHash(e.chainId) };
    const { prevHash: _p, rowHash: _r, ...content } = e;
    const sealed = sealEvent({ ...content, chainSeq: head.chainSeq + 1 }, head.rowHash);
    heads.set(e.chainId, { chainSeq: sealed.chainSeq, rowHash: sealed.rowHash });
    return sealed;
  });
}

function headsOf(r: ChainVerifyResult): ChainHead[] {
  return [...r.heads].map(([chainId, h]) => ({ chainId, chainSeq: h.chainSeq, rowHash: h.rowHash }));
}

const kinds = (r: ChainVerifyResult) => r.problems.map((p) => `${p.kind}@${p.seq}`);
const indexOfChainSeq = (events: AuditEventRecord[], chainId: string, chainSeq: number) =>
  events.findIndex((e) => e.chainId === chainId && e.chainSeq === chainSeq);

describe('chain verifier', () => {
  const log = buildLog(60);

  it('accepts an untouched log and reports the head of every chain', async () => {
    const r = verifyEventsSync(log);
    expect(r).toMatchObject({ ok: true, checked: 60, firstBadSeq: null, problems: [] });
    expect(r.heads.size).toBe(4);
    for (const chainId of CHAINS) {
      const last = log.filter((e) => e.chainId === chainId).at(-1)!;
      expect(r.heads.get(chainId)).toEqual({ chainSeq: last.chainSeq, rowHash: last.rowHash, seq: last.seq });
    }
    // Also from an async source (a database cursor, a file) and after a JSON round trip.
    async function* stream() {
      for (const e of log) yield JSON.parse(JSON.stringify(e)) as AuditEventRecord;
    }
    expect((await verifyEvents(stream())).ok).toBe(true);
    expect((await verifyEvents(log)).ok).toBe(true);
  });

  it('detects an edited payload at exactly that seq', () => {
    const i = 23;
    const tampered = log.map((e, j) => (j === i ? { ...e, payload: { ...e.payload, version: 2 } } : e));
    const r = verifyEventsSync(tampered);
    expect(r.ok).toBe(false);
    expect(kinds(r)).toEqual([`hash_mismatch@${log[i]!.seq}`]);
    expect(r.firstBadSeq).toBe(log[i]!.seq);
  });

  it('detects an edited row that was re-sealed: the next event of that chain no longer links', () => {
    const i = 23;
    const e = log[i]!;
    const forged = resealOne(e, { payload: { ...e.payload, version: 2 } });
    const r = verifyEventsSync(log.map((x, j) => (j === i ? forged : x)));
    const next = log[indexOfChainSeq(log, e.chainId, e.chainSeq + 1)]!;
    expect(kinds(r)).toEqual([`broken_link@${next.seq}`]);
    expect(r.firstBadSeq).toBe(next.seq);
  });

  it('detects a deleted middle row: gap at the next event of that chain', () => {
    const i = 30;
    const e = log[i]!;
    const r = verifyEventsSync(log.filter((_, j) => j !== i));
    const next = log[indexOfChainSeq(log, e.chainId, e.chainSeq + 1)]!;
    expect(kinds(r)).toEqual([`chain_gap@${next.seq}`]);
    expect(r.firstBadSeq).toBe(next.seq);
  });

  it('detects a deleted middle row even when later chainSeqs were renumbered', () => {
    const i = 30;
    const e = log[i]!;
    const renumbered = log
      .filter((_, j) => j !== i)
      .map((x) => (x.chainId === e.chainId && x.chainSeq > e.chainSeq ? { ...x, chainSeq: x.chainSeq - 1 } : x));
    const r = verifyEventsSync(renumbered);
    const next = log[indexOfChainSeq(log, e.chainId, e.chainSeq + 1)]!;
    expect(r.firstBadSeq).toBe(next.seq);
    expect(r.problems.find((p) => p.seq === next.seq)?.kind).toMatch(/broken_link|hash_mismatch/);
  });

  it('detects two swapped rows', () => {
    const [i, j] = [indexOfChainSeq(log, P1, 3), indexOfChainSeq(log, P1, 5)];
    const swapped = [...log];
    [swapped[i], swapped[j]] = [swapped[j]!, swapped[i]!];
    const r = verifyEventsSync(swapped);
    expect(r.ok).toBe(false);
    expect(r.firstBadSeq).toBe(log[i]!.seq);
    // Reported where the order breaks, not at every row in between.
    expect(r.problems.length).toBeLessThanOrEqual(4);
    expect(r.problems.map((p) => p.seq)).toEqual(expect.arrayContaining([log[i]!.seq, log[j]!.seq]));
  });

  it('detects two swapped rows of different chains (global order)', () => {
    const swapped = [...log];
    [swapped[10], swapped[11]] = [swapped[11]!, swapped[10]!];
    const r = verifyEventsSync(swapped);
    expect(kinds(r)).toEqual([`out_of_order@${log[10]!.seq}`]);
    expect(r.firstBadSeq).toBe(log[10]!.seq);
  });

  it('detects a fork: two events with the same prevHash', () => {
    const heads = new Map<string, { chainSeq: number; rowHash: string }>();
    const events = [appendTo(heads, P1, 1), appendTo(heads, P1, 2)];
    const forkPoint = { ...heads.get(P1)! };
    events.push(appendTo(heads, P1, 3));
    heads.set(P1, forkPoint); // a second writer that read the same head
    events.push(appendTo(heads, P1, 4, { other: true }));
    expect(events[2]!.prevHash).toBe(events[3]!.prevHash);
    const r = verifyEventsSync(events);
    expect(kinds(r)).toEqual(['duplicate@4']);
    expect(r.problems[0]!.detail).toMatch(/fork/);
  });

  it('detects a fork that claims the next chainSeq', () => {
    const heads = new Map<string, { chainSeq: number; rowHash: string }>();
    const events = [appendTo(heads, P1, 1), appendTo(heads, P1, 2)];
    const forkPoint = { ...heads.get(P1)! };
    events.push(appendTo(heads, P1, 3));
    heads.set(P1, { ...forkPoint, chainSeq: forkPoint.chainSeq + 1 });
    events.push(appendTo(heads, P1, 4));
    expect(kinds(verifyEventsSync(events))).toEqual(['broken_link@4']);
  });

  it('detects a bad genesis, a chain that does not start at 1, a duplicated row and seq going back', () => {
    const heads = new Map<string, { chainSeq: number; rowHash: string }>([[P2, { chainSeq: 0, rowHash: 'f'.repeat(64) }]]);
    expect(kinds(verifyEventsSync([appendTo(heads, P2, 1)]))).toEqual(['bad_genesis@1']);

    expect(kinds(verifyEventsSync(log.filter((e) => !(e.chainId === P3 && e.chainSeq === 1))))[0]).toMatch(/^chain_gap@/);

    const dup = [...log.slice(0, 10), log[9]!, ...log.slice(10)];
    expect(kinds(verifyEventsSync(dup))).toEqual([`duplicate@${log[9]!.seq}`]);

    const back = log.map((e, j) => (j === 20 ? resealOne(e, { seq: 1 }) : e));
    const r = verifyEventsSync(back);
    expect(r.problems.map((p) => p.kind)).toContain('out_of_order');
    expect(r.firstBadSeq).toBe(1);
  });

  it('reports a malformed stored rowHash as a mismatch', () => {
    const r = verifyEventsSync(log.map((e, j) => (j === 5 ? { ...e, rowHash: e.rowHash.toUpperCase() } : e)));
    expect(r.problems[0]).toMatchObject({ kind: 'hash_mismatch', seq: log[5]!.seq });
    expect(r.problems[0]!.detail).toMatch(/lowercase/);
  });

  it('keeps verifying after a problem: independent problems are each reported once', () => {
    const tampered = log.map((e, j) => (j === 7 || j === 41 ? { ...e, action: 'x' } : e));
    const r = verifyEventsSync(tampered);
    expect(kinds(r)).toEqual([`hash_mismatch@${log[7]!.seq}`, `hash_mismatch@${log[41]!.seq}`]);
    expect(r.firstBadSeq).toBe(log[7]!.seq);
  });

  it(`keeps at most ${MAX_REPORTED_PROBLEMS} problems but counts all`, () => {
    const big = buildLog(300);
    const r = verifyEventsSync(big.map((e) => ({ ...e, action: 'x' })));
    expect(r.problems).toHaveLength(MAX_REPORTED_PROBLEMS);
    expect(r.problemCount).toBe(300);
    expect(r.firstBadSeq).toBe(big[0]!.seq);
  });

  it('incremental use: push one by one, result at any time', () => {
    const v = createChainVerifier();
    for (const e of log.slice(0, 30)) v.push(e);
    expect(v.result()).toMatchObject({ ok: true, checked: 30 });
    for (const e of log.slice(30)) v.push(e);
    expect(v.result()).toMatchObject({ ok: true, checked: 60 });
  });
});

describe('chain heads against a checkpoint', () => {
  const log = buildLog(80);
  const atCheckpoint = log.slice(0, 60);
  const cpHeads = headsOf(verifyEventsSync(atCheckpoint));

  it('an untouched export with later events matches an older checkpoint', () => {
    const r = verifyEventsSync(log, { track: cpHeads });
    expect(r.ok).toBe(true);
    expect(checkAgainstCheckpoint(r, { heads: cpHeads })).toEqual([]);
    // Without tracking, heads that are no longer at the end cannot be compared: not assumed fine.
    const untracked = checkAgainstCheckpoint(verifyEventsSync(log), { heads: cpHeads });
    expect(untracked.length).toBeGreaterThan(0);
    expect(untracked.every((p) => p.kind === 'untracked')).toBe(true);
    // When the export ends at the checkpoint, the final heads are enough.
    expect(checkAgainstCheckpoint(verifyEventsSync(atCheckpoint), { heads: cpHeads })).toEqual([]);
  });

  it('a truncated chain tail re-sealed with new events passes the chain check but not the checkpoint', () => {
    // Drop P2's last 4 events before the checkpoint and everything after, then append forged
    // events to P2 so that it is as long as before.
    const p2 = atCheckpoint.filter((e) => e.chainId === P2);
    const cut = new Set(p2.slice(-4));
    const kept = log.filter((e) => !cut.has(e) && !(e.chainId === P2 && e.seq > p2.at(-1)!.seq));
    const heads = new Map([[P2, { chainSeq: p2.at(-5)!.chainSeq, rowHash: p2.at(-5)!.rowHash }]]);
    let seq = log.at(-1)!.seq;
    const forged = [...kept, ...Array.from({ length: 6 }, () => appendTo(heads, P2, ++seq, { forged: true }))];

    const r = verifyEventsSync(forged, { track: checkpointPositions([{ heads: cpHeads }]) });
    expect(r.ok).toBe(true); // the hash chain alone cannot tell
    const problems = checkAgainstCheckpoint(r, { heads: cpHeads });
    expect(problems).toEqual([
      expect.objectContaining({ chainId: P2, chainSeq: p2.at(-1)!.chainSeq, kind: 'mismatch', expected: p2.at(-1)!.rowHash }),
    ]);
  });

  it('a truncated tail without re-sealing: the checkpoint head is missing', () => {
    const p3Last = atCheckpoint.filter((e) => e.chainId === P3).at(-1)!;
    const truncated = log.filter((e) => !(e.chainId === P3 && e.chainSeq >= p3Last.chainSeq - 1));
    const r = verifyEventsSync(truncated, { track: cpHeads });
    expect(r.ok).toBe(true);
    expect(checkAgainstCheckpoint(r, { heads: cpHeads })).toEqual([
      expect.objectContaining({ chainId: P3, chainSeq: p3Last.chainSeq, kind: 'missing', actual: null }),
    ]);
  });

  it('a whole chain deleted: its checkpoint head is missing', () => {
    const r = verifyEventsSync(log.filter((e) => e.chainId !== 'system'), { track: cpHeads });
    expect(r.ok).toBe(true);
    expect(checkAgainstCheckpoint(r, { heads: cpHeads }).map((p) => `${p.chainId}:${p.kind}`)).toEqual(['system:missing']);
  });

  it('verifyCheckpointHeads works with any lookup (the server queries its table)', () => {
    const table = new Map(log.map((e) => [`${e.chainId}/${e.chainSeq}`, e]));
    const lookup = (chainId: string, chainSeq: number) => {
      const e = table.get(`${chainId}/${chainSeq}`);
      return e && { rowHash: e.rowHash, seq: e.seq };
    };
    expect(verifyCheckpointHeads(cpHeads, lookup)).toEqual([]);
    const victim = cpHeads[0]!;
    table.delete(`${victim.chainId}/${victim.chainSeq}`);
    expect(verifyCheckpointHeads(cpHeads, lookup)).toEqual([expect.objectContaining({ chainId: victim.chainId, kind: 'missing' })]);
    expect(verifyCheckpointHeads(cpHeads, (c, s) => (c === victim.chainId ? 'e'.repeat(64) : lookup(c, s)))).toEqual([
      expect.objectContaining({ chainId: victim.chainId, kind: 'mismatch', actual: 'e'.repeat(64) }),
    ]);
  });

  it('re-sealing the whole log from the first change on keeps chains valid but breaks every later checkpoint head', () => {
    const edited = log.map((e, j) => (j === 3 ? { ...e, payload: { ...e.payload, version: 9 } } : e));
    const r = verifyEventsSync(reseal(edited), { track: cpHeads });
    expect(r.ok).toBe(true);
    const problems = checkAgainstCheckpoint(r, { heads: cpHeads });
    expect(problems.map((p) => p.chainId)).toEqual([log[3]!.chainId]);
    expect(problems[0]!.kind).toBe('mismatch');
  });
});

describe('signed checkpoints', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const other = generateKeyPairSync('ed25519');
  const heads = headsOf(verifyEventsSync(buildLog(40)));

  function makeCheckpoint(): SignedCheckpoint {
    const { digest, count } = headsDigest(heads);
    const body: CheckpointBody = {
      version: 1,
      createdAt: '2026-11-22T05:00:00.000Z',
      seqHighWater: 150,
      chainCount: count,
      headsDigest: digest,
      counts: { decided: 1, appraised: 2, events: 40 },
    };
    const keyId = keyIdOf(publicKey);
    return { ...body, id: 1, keyId, signature: signCheckpoint(body, privateKey, keyId).signature, heads };
  }

  it('verifies a correctly signed checkpoint', () => {
    const cp = makeCheckpoint();
    expect(cp.signature).toMatch(/^[A-Za-z0-9_-]{86}$/);
    expect(verifyCheckpointSignature(cp, publicKey)).toBe(true);
    expect(checkCheckpoint(cp, publicKey)).toEqual([]);
    // A JSON round trip (as in an export file) keeps it valid.
    expect(checkCheckpoint(JSON.parse(JSON.stringify(cp)), publicKey)).toEqual([]);
  });

  it('rejects a tampered signature', () => {
    const cp = makeCheckpoint();
    const flipped = (cp.signature[10] === 'A' ? 'B' : 'A');
    expect(verifyCheckpointSignature({ ...cp, signature: cp.signature.slice(0, 10) + flipped + cp.signature.slice(11) }, publicKey)).toBe(false);
    expect(verifyCheckpointSignature({ ...cp, signature: cp.signature + '=' }, publicKey)).toBe(false);
    expect(verifyCheckpointSignature({ ...cp, signature: cp.signature + '.' }, publicKey)).toBe(false);
    expect(verifyCheckpointSignature({ ...cp, signature: '' }, publicKey)).toBe(false);
  });

  it('rejects any change to the signed body', () => {
    const cp = makeCheckpoint();
    for (const change of [
      { headsDigest: 'a'.repeat(64) },
      { seqHighWater: 151 },
      { chainCount: cp.chainCount + 1 },
      { createdAt: '2026-11-22T05:00:00.001Z' },
      { counts: { decided: 2, appraised: 2, events: 40 } },
    ]) {
      expect(verifyCheckpointSignature({ ...cp, ...change }, publicKey)).toBe(false);
    }
    expect(checkCheckpoint({ ...cp, headsDigest: 'a'.repeat(64) }, publicKey)).toEqual(
      expect.arrayContaining(['signature does not verify with the public key', 'heads do not match headsDigest']),
    );
  });

  it('rejects heads that do not digest to the signed headsDigest, or a wrong chainCount', () => {
    const cp = makeCheckpoint();
    const altered = cp.heads.map((h, i) => (i === 0 ? { ...h, rowHash: 'e'.repeat(64) } : h));
    expect(checkCheckpoint({ ...cp, heads: altered }, publicKey)).toEqual(['heads do not match headsDigest']);
    expect(checkCheckpoint({ ...cp, heads: cp.heads.slice(1) }, publicKey)).toEqual(
      expect.arrayContaining(['heads do not match headsDigest', expect.stringMatching(/chainCount/)]),
    );
    // Signed with a wrong chainCount by the server itself: still caught.
    const { digest } = headsDigest(heads);
    const body: CheckpointBody = { version: 1, createdAt: 'x', seqHighWater: 1, chainCount: 99, headsDigest: digest, counts: { decided: 0, appraised: 0, events: 0 } };
    const bad = { ...body, id: 2, keyId: keyIdOf(publicKey), signature: signCheckpoint(body, privateKey, '').signature, heads };
    expect(checkCheckpoint(bad, publicKey)).toEqual([expect.stringMatching(/chainCount is 99/)]);
    expect(checkCheckpoint({ ...cp, heads: [...cp.heads, cp.heads[0]!] }, publicKey)[0]).toMatch(/signature|malformed/);
  });

  it('rejects a checkpoint checked with a different key', () => {
    const cp = makeCheckpoint();
    expect(verifyCheckpointSignature(cp, other.publicKey)).toBe(false);
    expect(checkCheckpoint(cp, other.publicKey)).toEqual(
      expect.arrayContaining(['signature does not verify with the public key', expect.stringMatching(/signed by key/)]),
    );
    // Re-signed by the other key: fine for that key, not for ours.
    const { id: _i, keyId: _k, signature: _s, heads: _h, ...body } = cp;
    const resigned = { ...cp, keyId: keyIdOf(other.publicKey), signature: signCheckpoint(body, other.privateKey, '').signature };
    expect(verifyCheckpointSignature(resigned, other.publicKey)).toBe(true);
    expect(verifyCheckpointSignature(resigned, publicKey)).toBe(false);
  });

  it('keyIdOf is short, stable and the same for a private key and its public key', () => {
    expect(keyIdOf(publicKey)).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(keyIdOf(privateKey)).toBe(keyIdOf(publicKey));
    expect(keyIdOf(other.publicKey)).not.toBe(keyIdOf(publicKey));
  });
});

describe('checkpoint signing key file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'audit-key-'));
  });
  afterAll(async () => fs.rm(dir, { recursive: true, force: true }));

  it('is created once (0600 in a 0700 directory) and then reused', async () => {
    const file = path.join(dir, 'keys', 'nested', 'checkpoint.pem');
    const a = await loadOrCreateCheckpointKey(file);
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    expect((await fs.stat(path.dirname(file))).mode & 0o777).toBe(0o700);
    expect(await fs.readFile(file, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(a.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(a.keyId).toBe(keyIdOf(a.publicKey));
    const b = await loadOrCreateCheckpointKey(file);
    expect(b.keyId).toBe(a.keyId);
    expect(await fs.readdir(path.dirname(file))).toEqual(['checkpoint.pem']); // no temp files left
  });

  it('concurrent first uses end up with one key', async () => {
    const file = path.join(dir, 'race', 'checkpoint.pem');
    const keys = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateCheckpointKey(file)));
    expect(new Set(keys.map((k) => k.keyId)).size).toBe(1);
    expect(await fs.readdir(path.dirname(file))).toEqual(['checkpoint.pem']);
  });

  it('refuses a file that is not an Ed25519 key', async () => {
    const file = path.join(dir, 'rsa.pem');
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    await fs.writeFile(file, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
    await expect(loadOrCreateCheckpointKey(file)).rejects.toThrow(/Ed25519/);
  });
});

describe('checkpoint sequences (version 1, then version-2 Merkle checkpoints)', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const keyId = keyIdOf(publicKey);
  const counts = { decided: 0, appraised: 0, events: 1 };
  const h = (chainId: string, chainSeq: number) => ({ chainId, chainSeq, rowHash: createHash('sha256').update(`${chainId}/${chainSeq}`).digest('hex') });
  const sorted = (hs: ChainHead[]) => [...hs].sort((a, b) => Buffer.compare(Buffer.from(a.chainId), Buffer.from(b.chainId)));

  function v1(id: number, hs: ChainHead[]): SignedCheckpoint {
    const { digest, count } = headsDigest(hs);
    const body: CheckpointBody = { version: 1, createdAt: '2026-11-22T05:00:00.000Z', seqHighWater: id * 10, chainCount: count, headsDigest: digest, counts };
    return { ...body, id, keyId, signature: signCheckpoint(body, privateKey, keyId).signature, heads: hs };
  }
  /** Applies `changed` to `leaves` (in place) and signs the resulting root. */
  function v2(id: number, previousId: number | null, leaves: ChainHead[], changed: ChainHead[]): SignedCheckpoint {
    const listed = changed.map((c) => {
      let i = leaves.findIndex((l) => l.chainId === c.chainId);
      if (i < 0) i = leaves.push(c) - 1;
      leaves[i] = c;
      return { ...c, leafIndex: i };
    });
    const body: CheckpointBody = {
      version: 2,
      createdAt: '2026-11-22T06:00:00.000Z',
      seqHighWater: id * 10,
      chainCount: leaves.length,
      headsDigest: merkleRoot(leaves.map(leafHash)),
      previousId,
      counts,
    };
    return { ...body, id, keyId, signature: signCheckpoint(body, privateKey, keyId).signature, heads: listed };
  }
  function sequence() {
    const leaves: ChainHead[] = [];
    const old = v1(1, [h('a', 1), h('b', 3)]);
    const base = v2(2, 1, leaves, sorted([h('a', 2), h('b', 3), h('c', 1)])); // the first v2 lists every head
    const next = v2(3, 2, leaves, [h('b', 4), h('d', 1)]); // one moved, one new chain
    const quiet = v2(4, 3, leaves, []);
    return [old, base, next, quiet];
  }
  const run = (cps: SignedCheckpoint[]) => {
    const checker = createCheckpointSequenceChecker(publicKey);
    return cps.map((cp) => checker.check(cp));
  };

  it('accepts a migrated sequence: old version-1 checkpoints as they are, then version 2 from an empty tree', () => {
    expect(run(sequence())).toEqual([[], [], [], []]);
    const checker = createCheckpointSequenceChecker(publicKey);
    for (const cp of sequence()) checker.check(cp);
    expect(checker.tree()!.heads.map((x) => `${x.chainId}${x.chainSeq}`)).toEqual(['a2', 'b4', 'c1', 'd1']);
  });

  it('rejects an altered changed head, a wrong leaf index, a dropped checkpoint and a listing that starts part-way', () => {
    const cps = sequence();
    const altered = { ...cps[2]!, heads: [{ ...cps[2]!.heads[0]!, chainSeq: 5 }, cps[2]!.heads[1]!] };
    expect(run([cps[0]!, cps[1]!, altered])[2]).toEqual(['the changed heads do not rebuild the signed Merkle root (headsDigest)']);
    const misplaced = { ...cps[2]!, heads: [{ ...cps[2]!.heads[0]!, leafIndex: 0 }, cps[2]!.heads[1]!] };
    expect(run([cps[0]!, cps[1]!, misplaced])[2]).toEqual(expect.arrayContaining([expect.stringMatching(/at leaf 0, expected 1/)]));
    const dropped = run([cps[0]!, cps[1]!, cps[3]!]);
    expect(dropped[2]).toEqual(expect.arrayContaining([expect.stringMatching(/previousId is 3, but the checkpoint before it is #2/)]));
    expect(run([cps[2]!, cps[3]!])[0]).toEqual(expect.arrayContaining([expect.stringMatching(/checkpoints are missing/), expect.stringMatching(/cannot be rebuilt/)]));
    // A version-1 checkpoint slipped in after version 2.
    expect(run([...cps, v1(5, [h('a', 2)])])[4]).toEqual(['a version-1 checkpoint after version-2 ones']);
  });
});
