/**
 * Fuzzing every operation of the OpenAPI document over a real listening socket: malformed path
 * parameters (invalid or upper-case UUIDs, over-long, bad percent-encoding, NUL, raw unicode),
 * query strings (wrong types, huge strings, "Infinity", overflowing numbers and cursors, invalid
 * dates, NUL, `__proto__`, unknown and repeated parameters) and bodies (wrong types, missing and
 * unknown fields, deep nesting, `__proto__` keys, overflowing numbers, NUL escapes, invalid JSON,
 * multipart without a boundary). Requests are written byte for byte on a TCP socket so that
 * what an HTTP library would refuse to send still reaches the server.
 *
 * Fails on any 5xx and on any error body outside `{ statusCode, code, message, requestId }`.
 * Fixed seed, bounded count: the same requests every run (set FUZZ_SEED / FUZZ_RUNS to explore).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { createTestEnv, type TestEnv } from '../helpers/test-env';
import { client, sampleDeclaration, sampleProject } from '../helpers/api';
import { rawRequest, type RawResponse } from '../helpers/raw-http';
import { routeCatalogue } from '../../src/http/access-control';

const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const RUNS_PER_OPERATION = Number(process.env.FUZZ_RUNS ?? 40);
const CONCURRENCY = 6;

type Json = Record<string, any>;
interface Operation {
  method: string;
  path: string;
  operationId: string;
  pathParams: string[];
  query: Array<{ name: string; schema: Json }>;
  jsonBody?: Json;
  multipart: boolean;
}
interface Case {
  label: string;
  method: string;
  target: string;
  headers: Record<string, string>;
  body?: Buffer;
}

let env: TestEnv;
let app: FastifyInstance;
let port: number;
let spec: Json;
const tokens: Record<string, string> = {};
let projectId: string;

const rawUtf8 = (s: string) => Buffer.from(s, 'utf8').toString('latin1');

beforeAll(async () => {
  env = await createTestEnv({ RATE_LIMIT_PER_MINUTE: '10000000', RATE_LIMIT_UPLOADS_PER_MINUTE: '10000000' });
  app = await env.buildApp();
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as AddressInfo).port;
  // One person holding every writing role (so role checks pass and validation is reached), and an auditor.
  tokens.staff = await env.token('fuzz-staff', ['investor', 'clerk', 'appraiser', 'approver', 'admin'], 'acme');
  tokens.auditor = await env.token('fuzz-auditor', ['auditor'], 'inspectorate');
  const api = client(app, tokens.staff);
  projectId = (await api.post('/v1/projects', sampleProject())).body.id;
  await api.put(`/v1/projects/${projectId}/technology`, sampleDeclaration());
  spec = JSON.parse((await rawRequest(port, { method: 'GET', target: '/openapi.json' })).body);
});
afterAll(async () => env?.close());

// ---- the operations, from the OpenAPI document --------------------------------------------

function resolve(schema: Json | undefined, depth = 0): Json {
  if (!schema || depth > 20) return {};
  if (typeof schema.$ref === 'string') {
    const name = schema.$ref.split('/').pop()!;
    return resolve(spec.components?.schemas?.[name], depth + 1);
  }
  return schema;
}

function operations(): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries<Json>(spec.paths)) {
    for (const [method, op] of Object.entries<Json>(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const params = (op.parameters ?? []) as Json[];
      const content = op.requestBody?.content ?? {};
      out.push({
        method: method.toUpperCase(),
        path,
        operationId: op.operationId ?? `${method} ${path}`,
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        query: params.filter((p) => p.in === 'query').map((p) => ({ name: p.name, schema: resolve(p.schema) })),
        jsonBody: content['application/json']?.schema ? resolve(content['application/json'].schema) : undefined,
        multipart: path.endsWith('/documents') && method === 'post',
      });
    }
  }
  return out;
}

/** A plausible value for a schema (the starting point that mutations then break). */
function sampleOf(schema: Json, depth = 0): unknown {
  const s = resolve(schema);
  if (depth > 6) return null;
  if ('const' in s) return s.const;
  if (Array.isArray(s.enum)) return s.enum[0];
  if (Array.isArray(s.examples) && s.examples.length) return s.examples[0];
  if ('default' in s) return s.default;
  const union = s.anyOf ?? s.oneOf;
  if (Array.isArray(union)) return sampleOf(union[0], depth + 1);
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case 'object': {
      const o: Json = {};
      for (const [k, v] of Object.entries<Json>(s.properties ?? {})) if ((s.required ?? []).includes(k) || depth === 0) o[k] = sampleOf(v, depth + 1);
      return o;
    }
    case 'array':
      return s.items ? [sampleOf(s.items, depth + 1)] : [];
    case 'integer':
      return s.minimum ?? 1;
    case 'number':
      return s.minimum ?? 1.5;
    case 'boolean':
      return true;
    case 'string':
      if (s.format === 'uuid') return projectId;
      if (s.format === 'date-time') return '2026-05-01T09:00:00Z';
      if (s.format === 'date') return '2026-05-01';
      return 'fuzz value';
    default:
      return null;
  }
}

// ---- malformed values ------------------------------------------------------------------------

const hugeString = fc.constantFrom(10_000, 100_000).map((n) => 'x'.repeat(n));
const nastyText = fc.oneof(
  fc.constantFrom('', ' ', 'null', 'true', '[]', '{}', '0', '-1', '1.5', 'NaN', 'Infinity', '-Infinity', '1e400', '-1e400', '99999999999999999999999999'),
  fc.constantFrom('9223372036854775808', '18446744073709551616', '0x10', '1_000', '٣', 'Ⅻ', '2026-13-45T99:99:99Z', '2026-02-30', '0000-00-00T00:00:00Z', '+275760-09-13T00:00:01Z'),
  fc.constantFrom('00000000-0000-0000-0000-00000000000g', 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF', '{uuid}', '../../etc/passwd', '<script>alert(1)</script>', "' or 1=1 --"),
  fc.constantFrom('Hạ Long', 'Đông Triều', '𝕳𝖊𝖑𝖑𝖔', '\u202Eevil', '\uFEFF', 'a\u0301', '\uD800', '\u0000', 'x\u0000y'),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  hugeString,
);
/** Query-string fragments, already encoded (some deliberately badly). */
const nastyQueryValue = fc.oneof(
  nastyText.map((t) => encodeURIComponent(t.replace(/[\uD800-\uDFFF]/g, '?'))),
  fc.constantFrom('%', '%zz', '%E0%A4%A', '%C3%28', '%FF%FE', '%00', 'a%00b', '%2500', '+%20+', '%uD800'),
  fc.constantFrom(rawUtf8('Hạ Long'), 'a\u0000b'),
);

function mutateValue(original: unknown): fc.Arbitrary<unknown> {
  return fc.oneof(
    nastyText,
    fc.constantFrom(null, true, false, 0, -1, 1.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 2 ** 63, [], {}, [original], { value: original }),
    fc.constantFrom({ __proto__: { admin: true } }, { constructor: { prototype: { admin: true } } }),
    fc.integer({ min: 50, max: 3000 }).map((depth) => JSON.parse('['.repeat(depth) + ']'.repeat(depth))),
  );
}

/** A JSON body text: a sample of the schema with one or more fields broken, or broken JSON. */
function bodyArbitrary(schema: Json): fc.Arbitrary<{ label: string; text: string }> {
  const sample = sampleOf(schema) as Json;
  const keys = sample && typeof sample === 'object' && !Array.isArray(sample) ? Object.keys(sample) : [];
  const mutated = keys.length
    ? fc
        .tuple(fc.constantFrom(...keys), fc.constantFrom(...keys))
        .chain(([k1, k2]) =>
          fc.tuple(fc.constant(k1), fc.constant(k2), mutateValue(sample[k1]), fc.boolean()).map(([a, b, v, drop]) => {
            const copy: Json = { ...sample, [a]: v };
            if (drop) delete copy[b];
            return { label: `field ${a} broken${drop ? `, ${b} dropped` : ''}`, text: JSON.stringify(copy) };
          }),
        )
    : fc.constant({ label: 'sample', text: JSON.stringify(sample ?? {}) });
  return fc.oneof(
    { weight: 6, arbitrary: mutated },
    {
      weight: 4,
      arbitrary: fc.oneof(
        fc.constant({ label: 'empty body', text: '' }),
        fc.constant({ label: 'unknown field', text: JSON.stringify({ ...sample, unknownField: 1 }) }),
        fc.constant({ label: '__proto__ key', text: `{"__proto__": {"isAdmin": true}, ${JSON.stringify(sample).slice(1)}` }),
        fc.constant({ label: 'constructor.prototype', text: JSON.stringify({ ...sample, constructor: { prototype: { isAdmin: true } } }) }),
        fc.constant({ label: 'overflowing number', text: JSON.stringify(sample).replace(/:(-?\d+(\.\d+)?)/, ':1e400') }),
        fc.constant({ label: 'NUL escape', text: JSON.stringify(sample).replace(/"([^"]*)"(?=[,}\]])/, '"a\\u0000b"') }),
        fc.constant({ label: 'not JSON', text: '{"a": ' }),
        fc.constant({ label: 'JSON scalar', text: '42' }),
        fc.constant({ label: 'JSON array', text: '[1,2,3]' }),
        fc.integer({ min: 1000, max: 20_000 }).map((d) => ({ label: `nesting ${d}`, text: '{"a":'.repeat(d) + '1' + '}'.repeat(d) })),
        fc.constant({ label: 'unicode everywhere', text: JSON.stringify(Object.fromEntries(keys.map((k) => [k, 'Đông Triều 𝕳 \u202E']))) }),
      ),
    },
  );
}

function pathWith(op: Operation, values: Record<string, string>): string {
  return op.path.replace(/\{([^}]+)\}/g, (_, name) => values[name] ?? 'x');
}

const pathValue = fc.oneof(
  fc.constant('PROJECT'),
  fc.constant('PROJECT_UPPER'),
  fc.uuid().map((u) => u),
  fc.constantFrom('not-a-uuid', '0', '-1', '%zz', '%', '%C3%28', '%00', 'a%00b', '%2F..%2F', '..', '%20', rawUtf8('Hạ'), 'x'.repeat(101), 'x'.repeat(5000), '9'.repeat(400)),
);

function caseArbitrary(op: Operation): fc.Arbitrary<Case> {
  const access = routeCatalogue(app).find((r) => r.method === op.method && r.url === op.path.replace(/\{([^}]+)\}/g, ':$1'))?.access;
  const auditorOnly = access && 'roles' in access && Array.isArray(access.roles) && access.roles.every((r) => r === 'auditor');
  const auth = { authorization: `Bearer ${auditorOnly ? tokens.auditor : tokens.staff}` };

  const params = fc.record(Object.fromEntries(op.pathParams.map((p) => [p, pathValue]))) as fc.Arbitrary<Record<string, string>>;
  const queryPart = fc.array(
    fc.oneof(
      ...(op.query.length ? [fc.tuple(fc.constantFrom(...op.query.map((q) => q.name)), nastyQueryValue)] : []),
      fc.tuple(fc.constantFrom('__proto__', 'constructor', 'unknown', '__proto__[x]', 'a[b][c]', '%zz', ''), nastyQueryValue),
    ),
    { minLength: 0, maxLength: 4 },
  );
  const body: fc.Arbitrary<{ label: string; headers: Record<string, string>; body?: Buffer }> = op.multipart
    ? fc.oneof(
        fc.constant({ label: 'multipart without boundary', headers: { 'content-type': 'multipart/form-data' }, body: Buffer.from('--x\r\nContent-Disposition: form-data; name="component"\r\n\r\nx\r\n--x--\r\n') }),
        fc.constant({ label: 'multipart, empty boundary', headers: { 'content-type': 'multipart/form-data; boundary=' }, body: Buffer.from('garbage') }),
        fc.constant({ label: 'multipart garbage', headers: { 'content-type': 'multipart/form-data; boundary=abc' }, body: Buffer.from('not multipart at all') }),
        fc.constant({ label: 'multipart, no parts', headers: { 'content-type': 'multipart/form-data; boundary=abc' }, body: Buffer.from('--abc--\r\n') }),
        fc.constant({ label: 'JSON to an upload', headers: { 'content-type': 'application/json' }, body: Buffer.from('{}') }),
        fc.constant({ label: 'no content type', headers: {}, body: Buffer.from('abc') }),
      )
    : op.jsonBody
      ? fc.oneof(
          { weight: 9, arbitrary: bodyArbitrary(op.jsonBody).map((b) => ({ label: b.label, headers: { 'content-type': 'application/json' }, body: Buffer.from(b.text) })) },
          { weight: 1, arbitrary: fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1', 'multipart/form-data').map((t) => ({ label: `content-type ${t}`, headers: { 'content-type': t }, body: Buffer.from('a=1') })) },
        )
      : fc.constant({ label: 'no body', headers: {} });

  return fc.tuple(params, queryPart, body, fc.boolean()).map(([p, q, b, idem]) => {
    const values = Object.fromEntries(Object.entries(p).map(([k, v]) => [k, v === 'PROJECT' ? projectId : v === 'PROJECT_UPPER' ? projectId.toUpperCase() : v]));
    const query = q.map(([k, v]) => `${k}=${v}`).join('&');
    const target = pathWith(op, values) + (query ? `?${query}` : '');
    const headers: Record<string, string> = { ...auth, ...b.headers };
    if (op.method !== 'GET' && idem) headers['idempotency-key'] = `fuzz-${Math.abs(target.length * 7919 + (b.body?.length ?? 0))}`;
    return { label: b.label, method: op.method, target, headers, ...(b.body ? { body: b.body } : {}) };
  });
}

function envelopeProblem(res: RawResponse): string | undefined {
  if (res.status >= 500) return `status ${res.status}`;
  if (res.status < 400) return undefined;
  let body: Json;
  try {
    body = JSON.parse(res.body);
  } catch {
    return `error body is not JSON: ${JSON.stringify(res.body.slice(0, 200))}`;
  }
  if (body.statusCode !== res.status || typeof body.code !== 'string' || typeof body.message !== 'string' || typeof body.requestId !== 'string') {
    return `error body outside the envelope: ${res.body.slice(0, 300)}`;
  }
  return undefined;
}

async function runAll(cases: Case[]): Promise<string[]> {
  const failures: string[] = [];
  let next = 0;
  async function worker() {
    while (next < cases.length) {
      const c = cases[next++]!;
      let problem: string | undefined;
      try {
        problem = envelopeProblem(await rawRequest(port, c));
      } catch (err) {
        problem = `no answer: ${(err as Error).message}`;
      }
      if (problem) failures.push(`${c.method} ${c.target.slice(0, 160)}${c.target.length > 160 ? '…' : ''} [${c.label}] → ${problem}`);
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return failures;
}

describe('fuzzing the OpenAPI operations over a socket', () => {
  it('answers every malformed request with a 4xx in the error envelope, never a 5xx', { timeout: 180_000 }, async () => {
    const ops = operations();
    expect(ops.length).toBeGreaterThan(20);
    const cases: Case[] = [];
    ops.forEach((op, i) => cases.push(...fc.sample(caseArbitrary(op), { seed: SEED + i, numRuns: RUNS_PER_OPERATION })));
    // And, for certain, each query parameter and path parameter with each of the values that
    // broke the service before (overflowing cursors, non-finite numbers, NUL, bad encoding).
    const critical = ['Infinity', '-Infinity', 'NaN', '1e400', '1099511627776', '-1099511627776', '2.5', '99999999999999999999999', '9223372036854775808', '-1', '%00', '%zz', 'x'.repeat(10_000), '2026-13-45T99:99:99Z', '%C3%28'];
    for (const op of ops) {
      const access = routeCatalogue(app).find((r) => r.method === op.method && r.url === op.path.replace(/\{([^}]+)\}/g, ':$1'))?.access;
      const auditorOnly = access && 'roles' in access && Array.isArray(access.roles) && access.roles.every((r) => r === 'auditor');
      const headers = { authorization: `Bearer ${auditorOnly ? tokens.auditor : tokens.staff}`, ...(op.jsonBody ? { 'content-type': 'application/json' } : {}) };
      const body = op.jsonBody ? Buffer.from(JSON.stringify(sampleOf(op.jsonBody))) : undefined;
      const base = pathWith(op, Object.fromEntries(op.pathParams.map((p) => [p, projectId])));
      for (const q of op.query) for (const v of critical) cases.push({ label: `query ${q.name}`, method: op.method, target: `${base}?${q.name}=${v}`, headers, ...(body ? { body } : {}) });
      if (op.method !== 'GET') {
        const odd: Array<Record<string, string>> = [
          { 'if-match': 'abc' },
          { 'if-match': '99999999999999999999' },
          { 'if-match': '"-1"' },
          { 'idempotency-key': 'short' },
          { 'idempotency-key': 'k'.repeat(5000) },
          { 'idempotency-key': rawUtf8('khóa-Đông-Triều') },
          { authorization: 'Bearer' },
          { authorization: `Bearer ${'a'.repeat(20_000)}` },
          { authorization: 'Basic dXNlcjpwYXNz' },
          { 'content-length': '99999999999' },
        ];
        for (const h of odd) cases.push({ label: `header ${Object.keys(h)[0]}`, method: op.method, target: base, headers: { ...headers, ...h }, ...(body ? { body } : {}) });
      }
      for (const p of op.pathParams) {
        for (const v of [...critical, projectId.toUpperCase(), 'x'.repeat(101), '9'.repeat(400)]) {
          cases.push({ label: `path ${p}`, method: op.method, target: pathWith(op, { ...Object.fromEntries(op.pathParams.map((n) => [n, projectId])), [p]: v }), headers, ...(body ? { body } : {}) });
        }
      }
    }
    // Requests no operation describes: the router's own refusals.
    for (const target of ['/v1/projects/%zz', '/v1/projects/%', '/%C3%28', '/v1/%00', `/v1/projects/${'a'.repeat(100_000)}`, '/v1/projects?limit=%zz', '/v1/projects?q=%00', '//', '/v1/projects/;', '*']) {
      cases.push({ label: 'router', method: 'GET', target, headers: { authorization: `Bearer ${tokens.staff}` } });
    }
    cases.push({ label: 'huge header', method: 'GET', target: '/v1/projects', headers: { authorization: `Bearer ${tokens.staff}`, 'x-filler': 'x'.repeat(40_000) } });
    cases.push({ label: 'malformed request line', method: 'GET', target: '/v1/projects HTTP/9.9 junk', headers: {} });
    const failures = (await runAll(cases)).sort((a, b) => Number(b.includes('→ status 5')) - Number(a.includes('→ status 5')));
    const fiveHundreds = failures.filter((f) => f.includes('→ status 5')).length;
    expect(failures.slice(0, 40), `${failures.length} of ${cases.length} requests failed (${fiveHundreds} with a 5xx)`).toEqual([]);
    // Not vacuous: the project the fuzz worked on still answers, and requests were sent.
    expect(cases.length).toBeGreaterThan(ops.length * RUNS_PER_OPERATION);
    expect((await client(app, tokens.staff).get(`/v1/projects/${projectId}`)).status).toBe(200);
  });
});
