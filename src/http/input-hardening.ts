/**
 * Malformed input stops at the door with a 400 in the error envelope, for every route at once,
 * instead of failing deep inside (a Postgres error, a 500) or in a body Fastify's router writes
 * itself. Found by test/fuzz/openapi-fuzz.test.ts.
 */
import type { FastifyInstance, FastifyRequest, FastifyReply, RouteOptions } from 'fastify';
import type { Socket } from 'node:net';
import { ValidationError } from '../errors';

type Schema = Record<string, unknown>;

/**
 * Every number and integer in a request schema gets finite bounds unless it has its own: ajv
 * coerces "Infinity" or "1e400" in a query string to a number that passes a bare
 * `{ type: 'number' }` and overflows in the database; integers stay within what JavaScript and
 * a bigint column hold exactly. Applied once per route, before its validators are compiled.
 */
export function boundNumbers(schema: unknown, seen = new Set<unknown>()): void {
  if (!schema || typeof schema !== 'object' || seen.has(schema)) return;
  seen.add(schema);
  const s = schema as Schema;
  const types = Array.isArray(s.type) ? s.type : [s.type];
  if (types.includes('integer')) {
    if (s.maximum === undefined && s.exclusiveMaximum === undefined) s.maximum = Number.MAX_SAFE_INTEGER;
    if (s.minimum === undefined && s.exclusiveMinimum === undefined) s.minimum = Number.MIN_SAFE_INTEGER;
  } else if (types.includes('number')) {
    if (s.maximum === undefined && s.exclusiveMaximum === undefined) s.maximum = Number.MAX_VALUE;
    if (s.minimum === undefined && s.exclusiveMinimum === undefined) s.minimum = -Number.MAX_VALUE;
  }
  for (const key of ['properties', 'patternProperties', '$defs', 'definitions'] as const) {
    const group = s[key];
    if (group && typeof group === 'object') for (const sub of Object.values(group)) boundNumbers(sub, seen);
  }
  for (const key of ['items', 'additionalProperties', 'not', 'if', 'then', 'else', 'contains'] as const) boundNumbers(s[key], seen);
  for (const key of ['anyOf', 'oneOf', 'allOf', 'prefixItems'] as const) {
    const list = s[key];
    if (Array.isArray(list)) for (const sub of list) boundNumbers(sub, seen);
  }
}

/** The JSON pointer of the first non-finite number in a parsed value, if any (iterative: no stack limit). */
export function nonFinitePath(value: unknown): string | undefined {
  const stack: Array<[unknown, string]> = [[value, '']];
  while (stack.length > 0) {
    const [v, path] = stack.pop()!;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return path;
    } else if (v && typeof v === 'object' && !Buffer.isBuffer(v)) {
      for (const [k, child] of Object.entries(v)) stack.push([child, `${path}/${k}`]);
    }
  }
  return undefined;
}

const UUID_ANY_CASE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// A NUL byte, raw or percent-encoded, anywhere in the URL: Postgres text cannot hold it.
const NUL_IN_URL = /%00|\u0000/i;

function envelope(statusCode: number, code: string, message: string, requestId: string) {
  return { statusCode, code, message, requestId };
}

export function registerInputHardening(app: FastifyInstance): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    const schema = route.schema as Record<string, unknown> | undefined;
    if (!schema) return;
    for (const part of ['params', 'querystring', 'body', 'headers'] as const) boundNumbers(schema[part]);
  });

  app.addHook('onRequest', async (request) => {
    if (NUL_IN_URL.test(request.url)) {
      throw new ValidationError('The URL must not contain NUL (%00) characters', {}, 'INVALID_CHARACTERS');
    }
    // The multipart parser fails with a bare error (a 500) when the boundary is missing.
    const type = request.headers['content-type'];
    if (typeof type === 'string' && /^\s*multipart\//i.test(type)) {
      // RFC 2046 §5.1.1: 1 to 70 characters (the parser throws on longer ones).
      const boundary = /;\s*boundary=(?:"([^"]*)"|([^\s;]*))/i.exec(type);
      const value = boundary ? (boundary[1] ?? boundary[2] ?? '') : '';
      if (value.length < 1 || value.length > 70) {
        throw new ValidationError('A multipart/form-data request needs a boundary of 1-70 characters: Content-Type: multipart/form-data; boundary=…', {}, 'MULTIPART_BOUNDARY_MISSING');
      }
    }
  });

  // Ajv coerces "Infinity" (or "1e400") in a query string to Infinity, which passes even a
  // bounded integer schema (ajv's minimum/maximum let non-finite numbers through), and JSON.parse
  // reads 1e400 in a body as Infinity: refuse them after validation, before any handler runs.
  app.addHook('preHandler', async (request: FastifyRequest) => {
    for (const [part, value] of [['query', request.query], ['params', request.params], ['body', request.body]] as const) {
      const path = nonFinitePath(value);
      if (path !== undefined) {
        throw new ValidationError(`${part}${path || ''} must be a finite number`, { errors: [{ path: path || '/', message: 'must be a finite number' }] }, 'VALIDATION_FAILED');
      }
    }
  });

  // One spelling of an id: UUIDs compare, key idempotency fingerprints and name audit chains in
  // lower case, whatever case the client used.
  app.addHook('preValidation', async (request: FastifyRequest) => {
    const params = request.params as Record<string, unknown> | undefined;
    if (!params) return;
    for (const [k, v] of Object.entries(params)) {
      if (typeof v === 'string' && UUID_ANY_CASE.test(v)) params[k] = v.toLowerCase();
    }
  });
}

/**
 * The multipart parser (busboy) reports a body that is not the multipart it announced with a bare
 * Error: it is the client's mistake, a 400, not a 500.
 */
export function asMalformedBodyError(error: unknown): ValidationError | undefined {
  const e = error as { message?: unknown; stack?: unknown; statusCode?: unknown } | undefined;
  if (!e || e.statusCode !== undefined || typeof e.message !== 'string' || typeof e.stack !== 'string') return undefined;
  if (/busboy/.test(e.stack) && /multipart|boundary/i.test(e.message)) {
    return new ValidationError(`The multipart body is malformed (${e.message}); send field "component", then the file part, then the closing boundary`, {}, 'MALFORMED_MULTIPART');
  }
  return undefined;
}

/**
 * Fastify's own refusals before routing (a path with bad percent-encoding, a failing async
 * constraint) in the envelope, with the request id header every other answer carries.
 */
export function frameworkErrors(error: Error & { code?: string; statusCode?: number }, request: FastifyRequest, reply: FastifyReply): void {
  const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
  // Fastify's messages quote the offending URL part, which may be 100 kB long: say it in words.
  const known: Record<string, [string, string]> = {
    FST_ERR_BAD_URL: ['BAD_URL', 'The URL is not valid: check its percent-encoding (%XX with two hex digits, UTF-8)'],
    FST_ERR_MAX_PARAM_LENGTH: ['PATH_PARAMETER_TOO_LONG', 'A path parameter is longer than 500 characters; ids are UUIDs (36 characters)'],
  };
  const [code, message] = known[error.code ?? ''] ?? ['BAD_REQUEST', error.message.slice(0, 300)];
  reply.header('x-request-id', request.id).code(status).send(envelope(status, code, message, request.id));
}

/**
 * Requests Node's HTTP parser refuses (a malformed request line or header, a header block that is
 * too large) never reach Fastify: answer them in the envelope too, then close.
 */
export function clientErrorHandler(requestIdOf: () => string) {
  return (err: Error & { code?: string }, socket: Socket): void => {
    if (!socket.writable || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
    const status = tooLarge ? 431 : 400;
    const requestId = requestIdOf();
    const body = JSON.stringify(
      envelope(status, tooLarge ? 'HEADERS_TOO_LARGE' : 'MALFORMED_REQUEST', tooLarge ? 'The request line or headers are too large (URL or path parameters too long?)' : 'The HTTP request is malformed', requestId),
    );
    socket.end(
      `HTTP/1.1 ${status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
    );
  };
}
