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
const sha256 : (data: string | Buffer) => Buffer =
  typeof crypto.hash === 'function'
    ? (data) => crypto.hash('sha256', data, 'buffer')
    : (data) => crypto.createHash('sha256').update(data).digest();

export function genesisHash(chainId: string): string {
  return sha256(GENESIS_PREFIX + chainId).toString('hex');
}

/** The record without prevHash and rowHash (a new object; the record is not modified). */
export function contentOf(record: AuditEventRecord): AuditEventContent {
  const { prevHash: _prev, rowHash: _row, ...content } = record;
  return content;
}

// ---------------------------------------------------------------------------------------------
// RFC 8785 canonical JSON
//
// `canonicalize` (v2) is the reference implementation, but with it serialization alone costs more
// than both SHA-256 computations per event (Object.keys().sort() on every object, one
// JSON.stringify call per key and string, string building through Array.reduce). canonicalJson
// below produces the identical text for every JSON value — test/unit/audit-hash.test.ts checks it
// against `canonicalize` on randomized and tricky inputs — and is what all hashing uses. It relies
// on the same primitives as canonicalize:
//   - strings: JSON.stringify (ES2019 well-formed: escapes ", \, C0 controls, lone surrogates);
//     strings with none of those characters (and no surrogates at all) are just wrapped in quotes;
//   - numbers: Number→String, the same ES6 shortest round-trip form JSON.stringify uses
//     (-0 → "0", 1e21 → "1e+21", 1e-7 → "1e-7"), which is RFC 8785 §3.2.2.3;
//   - members: sorted like Array.prototype.sort (UTF-16 code units, RFC 8785 §3.2.3), undefined
//     and symbol members dropped, undefined/symbol array items written as null, toJSON honoured.
// The sorted member order and the quoted keys are memoized per object shape (the same list of own
// keys in the same order), since an audit log repeats a handful of shapes millions of times.
// Where canonicalize would emit text that is not JSON (functions, sparse arrays) or throws (NaN,
// ±Infinity, BigInt), this throws: such a value must never be sealed.
// ---------------------------------------------------------------------------------------------

export class CanonicalJsonError extends TypeError {}

// Any of these makes JSON.stringify escape something (surrogates: conservatively, paired or not).
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

function quote(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : '"' + s + '"';
}

interface Shape {
  /** Own keys in Object.keys order: the memo key. */
  keys: string[];
  /** The same keys sorted by UTF-16 code units. */
  sorted: string[];
  /** `"key":` for each sorted key, ready to append. */
  prefix: string[];
  /** Whether sorted[i] is prevHash or rowHash (left out of a record's content). */
  isHashField: boolean[];
}

// Shapes bucketed by key count; a few per bucket, replaced round-robin so that objects with
// ever-changing keys cannot pin memory or push out the common shapes for good.
const SHAPES_PER_BUCKET = 16;
const MAX_MEMO_KEYS = 64;
const shapeBuckets = new Map<number, { shapes: Shape[]; next: number }>();

function buildShape(keys: string[]): Shape {
  const sorted = keys.slice().sort();
  return {
    keys,
    sorted,
    prefix: sorted.map((k) => quote(k) + ':'),
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

function serialize(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError(`${value} is not allowed in canonical JSON`);
      return String(value); // identical to JSON.stringify for finite numbers (incl. -0 → "0")
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      return serializeObject(value as Record<string, unknown>, false);
    default:
      // undefined/symbol only get here at top level (members and array items are handled before).
      throw new CanonicalJsonError(`a ${typeof value} is not allowed in canonical JSON`);
  }
}

function serializeArrayItem(arr: unknown[], i: number): string {
  const item = arr[i];
  if (item === undefined) {
    if (!(i in arr)) throw new CanonicalJsonError('sparse arrays are not allowed in canonical JSON');
    return 'null';
  }
  return typeof item === 'symbol' ? 'null' : serialize(item);
}

/** skipHashes: at the top level of a record, leave out prevHash and rowHash (= contentOf). */
function serializeObject(obj: Record<string, unknown>, skipHashes: boolean): string {
  if (typeof obj.toJSON === 'function') return serialize((obj.toJSON as () => unknown)());
  if (Array.isArray(obj)) {
    const n = obj.length;
    if (n === 0) return '[]';
    let out = '[' + serializeArrayItem(obj, 0);
    for (let i = 1; i < n; i++) out += ',' + serializeArrayItem(obj, i);
    return out + ']';
  }
  const shape = shapeOf(Object.keys(obj));
  const { sorted, prefix, isHashField } = shape;
  let out = '{';
  let first = true;
  for (let i = 0; i < sorted.length; i++) {
    if (skipHashes && isHashField[i]) continue;
    const v = obj[sorted[i]!];
    if (v === undefined || typeof v === 'symbol') continue;
    if (typeof v === 'function') throw new CanonicalJsonError(`member ${JSON.stringify(sorted[i])} is a function`);
    out += (first ? prefix[i] : ',' + prefix[i]) + serialize(v);
    first = false;
  }
  return out + '}';
}

/** RFC 8785 canonical JSON text of a JSON value; same output as the `canonicalize` package. */
export function canonicalJson(value: unknown): string {
  return serialize(value);
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

/** Lowercase hex SHA-256 of the canonical JSON of an event's content. */
export function contentHash(content: AuditEventContent): string {
  return sha256(canonicalJson(content)).toString('hex');
}

function assertHexSha256(value: unknown, what: string): asserts value is string {
  if (!isHexSha256(value)) throw new TypeError(`${what} must be a lowercase hex SHA-256 digest`);
}

/** rowHash = SHA-256(prevHash bytes ‖ contentHash bytes), lowercase hex. */
export function rowHash(prevHash: string, content: AuditEventContent): string {
  assertHexSha256(prevHash, 'prevHash');
  return linkHash(prevHash, sha256(canonicalJson(content)));
}

// Reused 64-byte scratch buffer: prevHash bytes at 0..31, content digest at 32..63. Safe because
// everything here is synchronous.
const linkScratch = Buffer.alloc(64);

function linkHash(prevHashHex: string, contentDigest: Buffer): string {
  linkScratch.fill(0, 0, 32); // a malformed prevHash must not inherit the previous call's bytes
  linkScratch.write(prevHashHex, 0, 32, 'hex');
  contentDigest.copy(linkScratch, 32);
  return sha256(linkScratch).toString('hex');
}

/**
 * The verifier's hot path: rowHash recomputed from a stored record without copying it. prevHash is
 * not format-checked here (the verifier compares it as a string with the previous rowHash or the
 * genesis hash, which are well formed, so a malformed one is reported there).
 */
export function recomputeRowHash(record: AuditEventRecord): string {
  return linkHash(record.prevHash, sha256(serializeObject(record as unknown as Record<string, unknown>, true)));
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
