/**
 * Hashing rules of the tamper-evident audit log (DESIGN.md §2 "Audit log").
 *
 * One hash chain per project (chainId = project uuid) plus a 'system' chain for events without a
 * project, so appends to different projects never wait for each other. Every rule that decides a
 * hash lives in this file, so the write path (sealEvent), the server's checks and the standalone
 * verifier (src/cli/verify-export.ts) cannot drift apart.
 *
 *   content     = the record without prevHash and rowHash
 *   contentHash = SHA-256(RFC 8785 canonical JSON of content, UTF-8)
 *   rowHash     = SHA-256(prevHash as 32 raw bytes ‖ contentHash as 32 raw bytes), lowercase hex
 *   genesis     = SHA-256(UTF-8 of 'tech-appraisal/audit-chain/v1/genesis:' + chainId)
 *
 * "‖" concatenates the raw digests (hex-decoded), not their hex text: 64 bytes in, which is what
 * `sha256(decode(prev_hash, 'hex') || content_digest)` gives in SQL too.
 */
import * as crypto from 'node:crypto';
import canonicalize from 'canonicalize';

export interface AuditActor {
  sub: string;
  roles: string[];
  org: string | null;
}

export interface AuditEventRecord {
  /** Global order from a Postgres sequence; gaps are allowed (rolled-back transactions). */
  seq: number;
  /** Project uuid, or 'system' for events without a project. */
  chainId: string;
  /** 1, 2, 3… gapless within its chain. */
  chainSeq: number;
  /** ISO 8601 UTC with milliseconds, e.g. '2026-11-22T04:40:00.123Z'. */
  occurredAt: string;
  actor: AuditActor;
  action: string;
  projectId: string | null;
  fromState: string | null;
  toState: string | null;
  revision: number | null;
  machine: { id: string; version: number } | null;
  requestId: string | null;
  idempotencyKey: string | null;
  payload: Record<string, unknown>;
  /** rowHash of the previous event of the same chain (genesisHash(chainId) for chainSeq 1). */
  prevHash: string;
  rowHash: string;
}

/** What the hash covers: everything but the two hash fields. */
export type AuditEventContent = Omit<AuditEventRecord, 'prevHash' | 'rowHash'>;

export const GENESIS_PREFIX = 'tech-appraisal/audit-chain/v1/genesis:';

const HEX_SHA256 = /^[0-9a-f]{64}$/;

/** True for a lowercase hex SHA-256 digest (the only form stored or accepted). */
export function isHexSha256(value: unknown): value is string {
  return typeof value === 'string' && HEX_SHA256.test(value);
}

// One-shot crypto.hash (Node ≥ 20.12) skips the Hash object and is measurably faster for the
// small inputs we hash twice per event; createHash is the fallback for older Node 20 releases.
const sha256: (data: string | Buffer) => Buffer =
  typeof crypto.hash === 'function'
    ? (data) => crypto.hash('sha256', data, 'buffer')
    : (data) => crypto.createHash('sha256').update(data).digest();
const sha256Hex: (data: string | Buffer) => string =
  typeof crypto.hash === 'function'
    ? (data) => crypto.hash('sha256', data, 'hex')
    : (data) => crypto.createHash('sha256').update(data).digest('hex');

export function genesisHash(chainId: string): string {
  return sha256Hex(GENESIS_PREFIX + chainId);
}

/** The record without prevHash and rowHash (a new object; the record is not modified). */
export function contentOf(record: AuditEventRecord): AuditEventContent {
  const { prevHash: _prev, rowHash: _row, ...content } = record;
  return content;
}

// ---------------------------------------------------------------------------------------------
// RFC 8785 canonical JSON, written straight to UTF-8 bytes
//
// `canonicalize` (v2) is the reference implementation, but verifying an export spends most of its
// time there: Object.keys().sort() on every object, a JSON.stringify call per key and string, and a
// string built from ~100 concatenations that V8 must flatten and re-encode as UTF-8 before SHA-256
// can read it. The writer below emits the same text directly as UTF-8 into a reused buffer, with the
// sorted key order and the encoded `"key":` bytes memoized per object shape (an audit log repeats a
// handful of shapes millions of times). test/unit/audit-hash.test.ts checks it byte for byte
// against `canonicalize` on randomized and tricky inputs. What it reproduces:
//   - strings as ES2019 JSON.stringify writes them: \" \\ \b \f \n \r \t, other C0 controls as
//     \u00xx, lone surrogates as \udxxx (lowercase hex), everything else raw (RFC 8785 §3.2.2.2);
//   - numbers via Number→String, the same ES6 shortest round-trip form JSON.stringify uses
//     (-0 → 0, 1e21 → 1e+21, 1e-7 → 1e-7: RFC 8785 §3.2.2.3); NaN and ±Infinity throw;
//   - members sorted as Array.prototype.sort sorts strings (UTF-16 code units, RFC 8785 §3.2.3);
//     undefined and symbol members dropped; undefined/symbol array items written as null;
//     toJSON() honoured.
// Where canonicalize would emit text that is not JSON (functions, sparse arrays) or throws
// (BigInt), this throws: such a value must never be sealed.
// ---------------------------------------------------------------------------------------------

export class CanonicalJsonError extends TypeError {}

const HEX_DIGITS = '0123456789abcdef';

/** Appends canonical JSON as UTF-8 to a growable buffer. */
class CanonicalWriter {
  buf: Buffer;
  pos = 0;
  busy = false;

  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }

  ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + extra));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  /** For text known to be ASCII: number literals, true/false/null. */
  ascii(s: string): void {
    const n = s.length;
    this.ensure(n);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) buf[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  bytes(b: Uint8Array): void {
    const n = b.length;
    this.ensure(n);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) buf[p++] = b[i]!; // faster than set() for a few bytes
    this.pos = p;
  }

  /** A JSON string literal, escaped exactly as JSON.stringify does, encoded as UTF-8. */
  string(s: string): void {
    const n = s.length;
    // Worst case 6 bytes per UTF-16 unit (\u001f, lone surrogate escapes) plus the quotes.
    this.ensure(6 * n + 2);
    const buf = this.buf;
    let p = this.pos;
    buf[p++] = 0x22;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x80) {
        if (c >= 0x20 && c !== 0x22 && c !== 0x5c) {
          buf[p++] = c;
          continue;
        }
        buf[p++] = 0x5c; // backslash
        switch (c) {
          case 0x22: buf[p++] = 0x22; break; // \"
          case 0x5c: buf[p++] = 0x5c; break; // \\
          case 0x08: buf[p++] = 0x62; break; // \b
          case 0x0c: buf[p++] = 0x66; break; // \f
          case 0x0a: buf[p++] = 0x6e; break; // \n
          case 0x0d: buf[p++] = 0x72; break; // \r
          case 0x09: buf[p++] = 0x74; break; // \t
          default:
            buf[p++] = 0x75; buf[p++] = 0x30; buf[p++] = 0x30; // u00
            buf[p++] = HEX_DIGITS.charCodeAt(c >> 4);
            buf[p++] = HEX_DIGITS.charCodeAt(c & 15);
        }
      } else if (c < 0x800) {
        buf[p++] = 0xc0 | (c >> 6);
        buf[p++] = 0x80 | (c & 0x3f);
      } else if (c < 0xd800 || c > 0xdfff) {
        buf[p++] = 0xe0 | (c >> 12);
        buf[p++] = 0x80 | ((c >> 6) & 0x3f);
        buf[p++] = 0x80 | (c & 0x3f);
      } else {
        const d = c <= 0xdbff && i + 1 < n ? s.charCodeAt(i + 1) : 0;
        if (d >= 0xdc00 && d <= 0xdfff) {
          // A surrogate pair: one code point above U+FFFF, four UTF-8 bytes.
          const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          buf[p++] = 0xf0 | (cp >> 18);
          buf[p++] = 0x80 | ((cp >> 12) & 0x3f);
          buf[p++] = 0x80 | ((cp >> 6) & 0x3f);
          buf[p++] = 0x80 | (cp & 0x3f);
          i++;
        } else {
          // A lone surrogate has no UTF-8 form: JSON.stringify escapes it as \udxxx.
          buf[p++] = 0x5c; buf[p++] = 0x75;
          buf[p++] = HEX_DIGITS.charCodeAt(c >> 12);
          buf[p++] = HEX_DIGITS.charCodeAt((c >> 8) & 15);
          buf[p++] = HEX_DIGITS.charCodeAt((c >> 4) & 15);
          buf[p++] = HEX_DIGITS.charCodeAt(c & 15);
        }
      }
    }
    buf[p++] = 0x22;
    this.pos = p;
  }
}

interface Shape {
  /** Own keys in Object.keys order: the memo key. */
  keys: string[];
  /** The same keys sorted by UTF-16 code units. */
  sorted: string[];
  /** order[i] = index in keys (and so in Object.values) of sorted[i]. */
  order: number[];
  /** An own 'toJSON' key: then toJSON must be looked at. */
  hasToJSON: boolean;
  /** UTF-8 of `"key":` for each sorted key. */
  prefix: Uint8Array[];
  /** Whether sorted[i] is prevHash or rowHash (left out of a record's content). */
  isHashField: boolean[];
}

// Shapes bucketed by key count; a few per bucket, replaced round-robin so that objects with
// ever-changing keys cannot pin memory or push out the common shapes for good.
const SHAPES_PER_BUCKET = 16;
const MAX_MEMO_KEYS = 64;
const shapeBuckets = new Map<number, { shapes: Shape[]; next: number }>();

function encodeKeyPrefix(key: string): Uint8Array {
  const w = new CanonicalWriter(6 * key.length + 3);
  w.string(key);
  w.byte(0x3a); // ':'
  return w.buf.subarray(0, w.pos);
}

function buildShape(keys: string[]): Shape {
  const sorted = keys.slice().sort();
  return {
    keys,
    sorted,
    order: sorted.map((k) => keys.indexOf(k)),
    hasToJSON: keys.includes('toJSON'),
    prefix: sorted.map(encodeKeyPrefix),
    isHashField: sorted.map((k) => k === 'prevHash' || k === 'rowHash'),
  };
}

function shapeOf(keys: string[]): Shape {
  const n = keys.length;
  if (n > MAX_MEMO_KEYS) return buildShape(keys);
  let bucket = shapeBuckets.get(n);
  if (bucket === undefined) {
    bucket = { shapes: [], next: 0 };
    shapeBuckets.set(n, bucket);
  }
  const shapes = bucket.shapes;
  search: for (let j = 0; j < shapes.length; j++) {
    const candidate = shapes[j]!.keys;
    for (let i = 0; i < n; i++) if (candidate[i] !== keys[i]) continue search;
    return shapes[j]!;
  }
  const shape = buildShape(keys);
  if (shapes.length < SHAPES_PER_BUCKET) shapes.push(shape);
  else shapes[bucket.next++ % SHAPES_PER_BUCKET] = shape;
  return shape;
}

function writeValue(w: CanonicalWriter, value: unknown): void {
  switch (typeof value) {
    case 'string':
      w.string(value);
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError(`${value} is not allowed in canonical JSON`);
      w.ascii(String(value)); // the same text JSON.stringify gives finite numbers (-0 → "0")
      return;
    case 'boolean':
      w.ascii(value ? 'true' : 'false');
      return;
    case 'object':
      if (value === null) w.ascii('null');
      else writeObject(w, value as Record<string, unknown>, false);
      return;
    default:
      // undefined/symbol only get here at top level (members and array items are handled before).
      throw new CanonicalJsonError(`a ${typeof value} is not allowed in canonical JSON`);
  }
}

/** skipHashes: at the top level of a record, leave out prevHash and rowHash (= contentOf). */
function writeObject(w: CanonicalWriter, obj: Record<string, unknown>, skipHashes: boolean): void {
  if (Array.isArray(obj)) {
    if (typeof (obj as { toJSON?: unknown }).toJSON === 'function') {
      writeValue(w, (obj as unknown as { toJSON: () => unknown }).toJSON());
      return;
    }
    w.byte(0x5b); // [
    for (let i = 0; i < obj.length; i++) {
      if (i > 0) w.byte(0x2c);
      const item: unknown = obj[i];
      if (item === undefined) {
        if (!(i in obj)) throw new CanonicalJsonError('sparse arrays are not allowed in canonical JSON');
        w.ascii('null');
      } else if (typeof item === 'symbol') {
        w.ascii('null');
      } else {
        writeValue(w, item);
      }
    }
    w.byte(0x5d); // ]
    return;
  }
  const shape = shapeOf(Object.keys(obj));
  // toJSON can only come from an own member or a prototype other than Object.prototype (Date…);
  // skipping the lookup for plain objects matters at millions of objects.
  const proto: unknown = Object.getPrototypeOf(obj);
  if ((shape.hasToJSON || (proto !== Object.prototype && proto !== null)) && typeof obj.toJSON === 'function') {
    writeValue(w, (obj.toJSON as () => unknown)());
    return;
  }
  // Object.values is in Object.keys order: one native call instead of a keyed load per member.
  const values = Object.values(obj);
  const { order, prefix, isHashField } = shape;
  w.byte(0x7b); // {
  let first = true;
  for (let i = 0; i < order.length; i++) {
    if (skipHashes && isHashField[i]) continue;
    const v = values[order[i]!];
    if (v === undefined || typeof v === 'symbol') continue;
    if (typeof v === 'function') throw new CanonicalJsonError(`member ${JSON.stringify(shape.sorted[i])} is a function`);
    if (!first) w.byte(0x2c);
    w.bytes(prefix[i]!);
    writeValue(w, v);
    first = false;
  }
  w.byte(0x7d); // }
}

// One writer reused by every call; a re-entrant call (a toJSON that hashes something) gets its own.
const sharedWriter = new CanonicalWriter(64 * 1024);

/** Runs fn with a writer holding the canonical UTF-8 of value; the bytes are only valid inside fn. */
function withCanonicalBytes<T>(value: unknown, skipHashes: boolean, fn: (bytes: Buffer) => T): T {
  const w = sharedWriter.busy ? new CanonicalWriter(4096) : sharedWriter;
  w.busy = true;
  w.pos = 0;
  try {
    if (skipHashes && typeof value === 'object' && value !== null) writeObject(w, value as Record<string, unknown>, true);
    else writeValue(w, value);
    return fn(w.buf.subarray(0, w.pos));
  } finally {
    w.busy = false;
    if (w === sharedWriter && w.buf.length > 1024 * 1024) w.buf = Buffer.allocUnsafe(64 * 1024); // don't pin a huge one
  }
}

/** RFC 8785 canonical JSON text of a JSON value; same output as the `canonicalize` package. */
export function canonicalJson(value: unknown): string {
  return withCanonicalBytes(value, false, (bytes) => bytes.toString('utf8'));
}

/** The reference implementation, for tests and for anyone who wants to cross-check. */
export function canonicalJsonReference(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new CanonicalJsonError('value has no JSON representation');
  return text;
}

// ---------------------------------------------------------------------------------------------
// Hashes
// ---------------------------------------------------------------------------------------------

function contentDigest(content: object, skipHashes: boolean): Buffer {
  return withCanonicalBytes(content, skipHashes, sha256);
}

/** Lowercase hex SHA-256 of the canonical JSON of an event's content. */
export function contentHash(content: AuditEventContent): string {
  return contentDigest(content, false).toString('hex');
}

export function assertHexSha256(value: unknown, what: string): asserts value is string {
  if (!isHexSha256(value)) throw new TypeError(`${what} must be a lowercase hex SHA-256 digest`);
}

/** rowHash = SHA-256(prevHash bytes ‖ contentHash bytes), lowercase hex. */
export function rowHash(prevHash: string, content: AuditEventContent): string {
  assertHexSha256(prevHash, 'prevHash');
  return linkHash(prevHash, contentDigest(content, false));
}

// Reused 64-byte scratch buffer: prevHash bytes at 0..31, content digest at 32..63. Safe because
// everything here is synchronous.
const linkScratch = Buffer.alloc(64);

function linkHash(prevHashHex: string, contentDigest: Buffer): string {
  linkScratch.fill(0, 0, 32); // a malformed prevHash must not inherit the previous call's bytes
  linkScratch.write(prevHashHex, 0, 32, 'hex');
  contentDigest.copy(linkScratch, 32);
  return sha256Hex(linkScratch);
}

/**
 * The verifier's hot path: rowHash recomputed from a stored record without copying it. prevHash is
 * not format-checked here (the verifier compares it as a string with the previous rowHash or the
 * genesis hash, which are well formed, so a malformed one is reported there).
 */
export function recomputeRowHash(record: AuditEventRecord): string {
  return linkHash(record.prevHash, contentDigest(record, true));
}

/** Adds prevHash and rowHash to an event about to be appended after `prevHash` in its chain. */
export function sealEvent(unsealed: AuditEventContent, prevHash: string): AuditEventRecord {
  assertHexSha256(prevHash, 'prevHash');
  const content: AuditEventContent = { ...unsealed };
  // Reject stray hash fields instead of silently hashing or dropping them.
  if ('prevHash' in content || 'rowHash' in content) throw new TypeError('unsealed event already has hash fields');
  return { ...content, prevHash, rowHash: rowHash(prevHash, content) };
}

export interface ChainHead {
  chainId: string;
  chainSeq: number;
  rowHash: string;
}

/**
 * Digest of a set of chain heads, signed in checkpoints: SHA-256 (lowercase hex) over the lines
 * `${chainId} ${chainSeq} ${rowHash}\n`, sorted by chainId in UTF-8 byte order. Throws on input
 * that would make the line format ambiguous (whitespace in a chainId, a chain listed twice).
 */
export function headsDigest(heads: Iterable<ChainHead>): { digest: string; count: number } {
  const entries: Array<{ key: Buffer; line: string }> = [];
  for (const h of heads) {
    if (typeof h.chainId !== 'string' || h.chainId === '' || /\s/.test(h.chainId)) {
      throw new TypeError(`invalid chainId ${JSON.stringify(h.chainId)} in heads`);
    }
    if (!Number.isSafeInteger(h.chainSeq) || h.chainSeq < 1) throw new TypeError(`invalid chainSeq for chain ${h.chainId}`);
    assertHexSha256(h.rowHash, `rowHash of chain ${h.chainId}`);
    entries.push({ key: Buffer.from(h.chainId, 'utf8'), line: `${h.chainId} ${h.chainSeq} ${h.rowHash}\n` });
  }
  // Byte order, not JS string order: they differ for non-BMP characters, and other
  // implementations (SQL `ORDER BY chain_id COLLATE "C"`, Go, Rust) sort bytes.
  entries.sort((a, b) => Buffer.compare(a.key, b.key));
  const hash = crypto.createHash('sha256');
  for (let i = 0; i < entries.length; i++) {
    if (i > 0 && entries[i]!.key.equals(entries[i - 1]!.key)) {
      throw new TypeError(`chain ${entries[i]!.line.split(' ')[0]} is listed twice in heads`);
    }
    hash.update(entries[i]!.line, 'utf8');
  }
  return { digest: hash.digest('hex'), count: entries.length };
}
