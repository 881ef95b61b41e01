import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  contentHash,
  contentOf,
  GENESIS_PREFIX,
  genesisHash,
  headsDigest,
  recomputeRowHash,
  rowHash,
  sealEvent,
  type AuditEventContent,
} from '../../src/modules/audit/audit-hash';

const sha256hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

function unsealed(overrides: Partial<AuditEventContent> = {}): AuditEventContent {
  return {
    seq: 7,
    chainId: '6f1c2a8e-3b7d-4c1e-9a55-0c1d2e3f4a5b',
    chainSeq: 1,
    occurredAt: '2026-11-22T04:40:00.123Z',
    actor: { sub: 'alice', roles: ['appraiser', 'clerk'], org: 'dost' },
    action: 'document.uploaded',
    projectId: '6f1c2a8e-3b7d-4c1e-9a55-0c1d2e3f4a5b',
    fromState: 'under_appraisal',
    toState: 'under_appraisal',
    revision: 4,
    machine: { id: 'appraisal', version: 2 },
    requestId: 'req-1',
    idempotencyKey: 'idem-1',
    payload: { documentId: 'doc-1', sha256: 'ab'.repeat(32), version: 3, note: 'Báo cáo thẩm định' },
    ...overrides,
  };
}

describe('audit hashing rules', () => {
  it('genesis hash is SHA-256 of the prefix and the chain id', () => {
    expect(GENESIS_PREFIX).toBe('tech-appraisal/audit-chain/v1/genesis:');
    expect(genesisHash('system')).toBe(sha256hex('tech-appraisal/audit-chain/v1/genesis:system'));
    expect(genesisHash('system')).toMatch(/^[0-9a-f]{64}$/);
    expect(genesisHash('a')).not.toBe(genesisHash('b'));
  });

  it('content is the record without its two hash fields; contentHash is SHA-256 of its RFC 8785 JSON', () => {
    const record = sealEvent(unsealed(), genesisHash('x'));
    const content = contentOf(record);
    expect(content).not.toHaveProperty('prevHash');
    expect(content).not.toHaveProperty('rowHash');
    expect(content).toEqual(unsealed());
    expect(record).toHaveProperty('rowHash'); // contentOf does not modify the record
    expect(contentHash(content)).toBe(sha256hex(canonicalize(content)!));
  });

  it('rowHash = SHA-256(prevHash bytes ‖ contentHash bytes), independent of key order', () => {
    const prev = genesisHash('x');
    const content = unsealed();
    const expected = sha256hex(Buffer.concat([Buffer.from(prev, 'hex'), Buffer.from(sha256hex(canonicalize(content)!), 'hex')]));
    expect(rowHash(prev, content)).toBe(expected);
    const reordered = Object.fromEntries(Object.entries(content).reverse()) as AuditEventContent;
    expect(rowHash(prev, reordered)).toBe(expected);
    const record = sealEvent(content, prev);
    expect(record.prevHash).toBe(prev);
    expect(record.rowHash).toBe(expected);
    expect(recomputeRowHash(record)).toBe(expected);
    expect(recomputeRowHash(JSON.parse(JSON.stringify(record)))).toBe(expected);
  });

  it('every content field is covered by the hash', () => {
    const prev = genesisHash('x');
    const base = rowHash(prev, unsealed());
    const variants: Array<Partial<AuditEventContent>> = [
      { seq: 8 }, { chainId: 'other' }, { chainSeq: 2 }, { occurredAt: '2026-11-22T04:40:00.124Z' },
      { actor: { sub: 'alice', roles: ['appraiser'], org: 'dost' } }, { action: 'x' }, { projectId: null },
      { fromState: null }, { toState: 'approved' }, { revision: 5 }, { machine: { id: 'appraisal', version: 3 } },
      { requestId: null }, { idempotencyKey: null }, { payload: { documentId: 'doc-1' } },
    ];
    for (const v of variants) expect(rowHash(prev, unsealed(v))).not.toBe(base);
    expect(rowHash(genesisHash('y'), unsealed())).not.toBe(base);
  });

  it('sealEvent rejects a malformed prevHash and stray hash fields, and does not modify its input', () => {
    const input = unsealed();
    const copy = structuredClone(input);
    sealEvent(input, genesisHash('x'));
    expect(input).toEqual(copy);
    expect(() => sealEvent(input, 'ABC')).toThrow(/prevHash/);
    expect(() => sealEvent(input, genesisHash('x').toUpperCase())).toThrow(/prevHash/);
    expect(() => sealEvent({ ...input, rowHash: 'x' } as AuditEventContent, genesisHash('x'))).toThrow(/hash fields/);
    expect(() => sealEvent(unsealed({ payload: { bad: Number.NaN } }), genesisHash('x'))).toThrow();
  });

  it('headsDigest hashes sorted lines and counts them', () => {
    const heads = [
      { chainId: 'system', chainSeq: 3, rowHash: 'c'.repeat(64) },
      { chainId: '0a', chainSeq: 1, rowHash: 'a'.repeat(64) },
      { chainId: 'Z', chainSeq: 12, rowHash: 'b'.repeat(64) },
    ];
    const text = `0a 1 ${'a'.repeat(64)}\nZ 12 ${'b'.repeat(64)}\nsystem 3 ${'c'.repeat(64)}\n`;
    expect(headsDigest(heads)).toEqual({ digest: sha256hex(text), count: 3 });
    expect(headsDigest([...heads].reverse())).toEqual(headsDigest(heads));
    expect(headsDigest([])).toEqual({ digest: sha256hex(''), count: 0 });
  });

  it('headsDigest sorts by UTF-8 bytes, not UTF-16 units', () => {
    // U+FF61 is 0xEF 0xBD 0xA1 in UTF-8, U+1F600 is 0xF0…: byte order puts U+FF61 first, while
    // UTF-16 order (0xFF61 vs surrogate 0xD83D) would put the emoji first.
    const heads = [
      { chainId: '\u{1F600}', chainSeq: 1, rowHash: 'a'.repeat(64) },
      { chainId: '\uFF61', chainSeq: 1, rowHash: 'b'.repeat(64) },
    ];
    expect(headsDigest(heads).digest).toBe(sha256hex(`\uFF61 1 ${'b'.repeat(64)}\n\u{1F600} 1 ${'a'.repeat(64)}\n`));
  });

  it('headsDigest rejects ambiguous or malformed heads', () => {
    const h = { chainId: 'a', chainSeq: 1, rowHash: 'a'.repeat(64) };
    expect(() => headsDigest([h, { ...h, chainSeq: 2 }])).toThrow(/twice/);
    expect(() => headsDigest([{ ...h, chainId: 'a b' }])).toThrow(/chainId/);
    expect(() => headsDigest([{ ...h, chainId: 'a\nb' }])).toThrow(/chainId/);
    expect(() => headsDigest([{ ...h, chainSeq: 0 }])).toThrow(/chainSeq/);
    expect(() => headsDigest([{ ...h, rowHash: 'A'.repeat(64) }])).toThrow(/rowHash/);
  });
});

// -------------------------------------------------------------------------------------------------
// canonicalJson must be byte-for-byte what `canonicalize` produces.
// -------------------------------------------------------------------------------------------------

function expectSameAsCanonicalize(value: unknown) {
  const reference = canonicalize(value);
  expect(canonicalJson(value)).toBe(reference);
  // What gets hashed are the writer's raw bytes: they must be the UTF-8 of that text.
  expect(contentHash(value as AuditEventContent)).toBe(sha256hex(reference!));
}

// Deterministic PRNG so a failure can be reproduced.
function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TRICKY_UNITS = [
  'a', 'Z', '0', ' ', '~', '\u007f', '"', '\\', '/', '\b', '\f', '\n', '\r', '\t', '\u0000', '\u0001', '\u001f',
  'é', 'ß', '\u00a0', 'ệ', 'ẩ', '€', '\u2028', '\u2029', '\ufeff', '\uffff', '\u0800', '\u07ff',
  '\u{1F600}', '\u{10FFFF}', '\u{10000}', '\ud800', '\udbff', '\udc00', '\udfff',
];

function randomString(rand: () => number, maxLen = 12): string {
  const len = Math.floor(rand() * maxLen);
  let s = '';
  for (let i = 0; i < len; i++) s += TRICKY_UNITS[Math.floor(rand() * TRICKY_UNITS.length)];
  return s;
}

function randomNumber(rand: () => number): number {
  switch (Math.floor(rand() * 6)) {
    case 0: return Math.floor(rand() * 2000) - 1000;
    case 1: return (rand() - 0.5) * 10 ** Math.floor(rand() * 40 - 20);
    case 2: return Number.MAX_SAFE_INTEGER - Math.floor(rand() * 1000);
    case 3: {
      // Any finite double, from random bits.
      const b = new DataView(new ArrayBuffer(8));
      for (;;) {
        b.setUint32(0, Math.floor(rand() * 2 ** 32));
        b.setUint32(4, Math.floor(rand() * 2 ** 32));
        const n = b.getFloat64(0);
        if (Number.isFinite(n)) return n;
      }
    }
    case 4: return [0, -0, 0.1, 1e21, 1e-7, 1e-6, 5e-324, Number.MAX_VALUE, 1e20, 123456789012345680000][Math.floor(rand() * 10)]!;
    default: return Math.round(rand() * 1e6) / 100;
  }
}

function randomValue(rand: () => number, depth = 0): unknown {
  const r = rand();
  if (depth > 3 || r < 0.45) {
    const p = rand();
    if (p < 0.4) return randomString(rand);
    if (p < 0.75) return randomNumber(rand);
    if (p < 0.85) return rand() < 0.5;
    return null;
  }
  if (r < 0.7) return Array.from({ length: Math.floor(rand() * 5) }, () => randomValue(rand, depth + 1));
  const obj: Record<string, unknown> = {};
  const n = Math.floor(rand() * 7);
  for (let i = 0; i < n; i++) {
    const key = rand() < 0.3 ? String(Math.floor(rand() * 30)) : randomString(rand, 6);
    obj[key] = randomValue(rand, depth + 1);
  }
  return obj;
}

describe('canonicalJson (fast RFC 8785 serializer) equals canonicalize', () => {
  it('on strings needing escapes, any Unicode, lone surrogates', () => {
    for (const u of TRICKY_UNITS) expectSameAsCanonicalize(u);
    expectSameAsCanonicalize(TRICKY_UNITS.join(''));
    expectSameAsCanonicalize(Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(i)).join(''));
    expectSameAsCanonicalize('\ud83d'); // lone high surrogate at the end
    expectSameAsCanonicalize('\ude00x'); // lone low surrogate first
    expectSameAsCanonicalize('\udc00\ud800'); // reversed pair: two lone surrogates
    expectSameAsCanonicalize('\ud83d\ud83d\ude00'); // lone high, then a pair
    expectSameAsCanonicalize('');
  });

  it('on numbers (ES6 shortest form)', () => {
    for (const n of [0, -0, 1, -1, 0.1, 0.2 + 0.1, 1e21, 1e-7, 1e-6, 123e-20, 1e20, 999999999999999900000, 5e-324,
      -5e-324, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 2 ** 53 + 2,
      1.7976931348623157e308, 4.35, 0.000001, 1.5e300, 333333333.3333333]) {
      expectSameAsCanonicalize(n);
      expectSameAsCanonicalize({ n });
    }
    expect(canonicalJson(-0)).toBe('0');
    expect(canonicalJson(1e21)).toBe('1e+21');
    expect(() => canonicalJson(Number.NaN)).toThrow();
    expect(() => canonicalJson({ x: Number.POSITIVE_INFINITY })).toThrow();
    expect(() => canonicalize({ x: Number.POSITIVE_INFINITY })).toThrow();
  });

  it('sorts keys by UTF-16 code units at every level', () => {
    expectSameAsCanonicalize({ b: 1, a: 2, A: 3, _: 4, '10': 5, '9': 6, '1': 7, '': 8, aa: 9, 'a\u0000': 10 });
    expectSameAsCanonicalize({ '\u{1F600}': 1, '\uffff': 2, '\ue000': 3, é: 4, e: 5, '\u0080': 6 });
    expectSameAsCanonicalize({ z: { y: { x: [{ b: 1, a: [{ d: 1, c: 2 }] }] } }, a: { c: null, b: true } });
    expectSameAsCanonicalize(JSON.parse('{"2":1,"10":2,"1":3,"b":4,"a":5}'));
    expect(canonicalJson({ b: 1, a: { d: 1, c: 2 } })).toBe('{"a":{"c":2,"d":1},"b":1}');
  });

  it('on the same keys in different insertion orders and on many distinct shapes (memoization)', () => {
    expectSameAsCanonicalize({ a: 1, b: 2, c: 3 });
    expectSameAsCanonicalize({ c: 3, b: 2, a: 1 });
    expectSameAsCanonicalize({ b: 2, c: 3, a: 1 });
    for (let i = 0; i < 100; i++) expectSameAsCanonicalize({ [`k${i}`]: i, [`j${i % 7}`]: 'x', x: i });
    const wide = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`key${(i * 37) % 100}`, i]));
    expectSameAsCanonicalize(wide);
    expectSameAsCanonicalize(wide);
  });

  it('on empty containers, literals, undefined members and items, toJSON', () => {
    expectSameAsCanonicalize({});
    expectSameAsCanonicalize([]);
    expectSameAsCanonicalize([[], {}, [{}], null, true, false]);
    expectSameAsCanonicalize({ a: undefined, b: 1, c: Symbol('x') });
    expectSameAsCanonicalize([undefined, 1, Symbol('x')]);
    expectSameAsCanonicalize({ when: new Date(Date.UTC(2026, 10, 22, 4, 40, 0, 123)) });
    expectSameAsCanonicalize({ custom: { toJSON: () => ({ z: 1, a: [2] }) } });
    expectSameAsCanonicalize(Object.assign(Object.create(null), { b: 1, a: 2 }));
  });

  it('on long strings and deep values (buffer growth)', () => {
    const long = 'ệ\u{1F600}"\\\n'.repeat(40_000);
    expectSameAsCanonicalize(long);
    expectSameAsCanonicalize({ a: long, b: [long, { c: long }] });
    let deep: unknown = 'leaf';
    for (let i = 0; i < 200; i++) deep = i % 2 ? { [`k${i}`]: deep, a: i } : [deep, i];
    expectSameAsCanonicalize(deep);
    expectSameAsCanonicalize('small after large'); // the shared buffer is reset
  });

  it('is re-entrant (a toJSON that serializes something itself)', () => {
    const inner = { toJSON: () => canonicalJson({ y: 2, x: 1 }) };
    expectSameAsCanonicalize({ b: inner, a: 'x' });
  });

  it('on 5,000 random values', () => {
    const rand = prng(20261122);
    for (let i = 0; i < 5000; i++) {
      const value = randomValue(rand);
      const reference = canonicalize(value);
      const ours = canonicalJson(value);
      if (ours !== reference) throw new Error(`mismatch for ${JSON.stringify(value)}:\n${ours}\n${reference}`);
      if (contentHash(value as AuditEventContent) !== sha256hex(reference!)) throw new Error(`hash mismatch for ${JSON.stringify(value)}`);
    }
  });

  it('on random audit events, including after a JSON round trip', () => {
    const rand = prng(7);
    for (let i = 0; i < 500; i++) {
      const content = unsealed({
        seq: Math.floor(rand() * 1e9),
        actor: { sub: randomString(rand), roles: [randomString(rand), randomString(rand)], org: rand() < 0.5 ? null : randomString(rand) },
        action: randomString(rand),
        payload: randomValue(rand, 2) as Record<string, unknown>,
      });
      const record = sealEvent(content, genesisHash(randomString(rand)));
      const parsed = JSON.parse(JSON.stringify(record));
      expect(recomputeRowHash(parsed)).toBe(record.rowHash);
      expect(contentHash(contentOf(parsed))).toBe(sha256hex(canonicalize(contentOf(parsed))!));
    }
  });

  it('throws where canonicalize would not produce JSON', () => {
    expect(() => canonicalJson({ f: () => 1 })).toThrow();
    expect(() => canonicalJson([() => 1])).toThrow();
    // eslint-disable-next-line no-sparse-arrays
    expect(() => canonicalJson([1, , 3])).toThrow(/sparse/);
    expect(() => canonicalJson({ n: 10n })).toThrow();
    expect(() => canonicalJson(undefined)).toThrow();
  });
});
