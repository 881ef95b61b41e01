/**
 * Which failures mean "a dependency is not reachable right now" rather than "a bug": the error
 * handler answers those with 503 and a stable code (DATABASE_UNAVAILABLE, STORAGE_UNAVAILABLE)
 * instead of 500, and the upload/download paths use the same checks.
 */
import { ServiceUnavailableError } from '../errors';

/** Seconds a client should wait before retrying while a dependency is down. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 2;

// Socket-level failures (node's own codes) as raised by net/http for either dependency.
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

// postgres.js's own connection error codes.
const DRIVER_CODES = new Set(['CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT']);

// SQLSTATEs that say the server, not the statement, is the problem: class 08 (connection
// exception), 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now (starting up
// or shutting down), 53300 too_many_connections.
function isUnavailableSqlState(code: string): boolean {
  return code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300';
}

interface ErrLike {
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  query?: unknown;
  severity?: unknown;
}

function chain(err: unknown): ErrLike[] {
  const out: ErrLike[] = [];
  let e = err as ErrLike | undefined;
  for (let depth = 0; e && typeof e === 'object' && depth < 6; depth++) {
    out.push(e);
    e = e.cause as ErrLike | undefined;
  }
  return out;
}

/**
 * postgres.js attaches `query` to every error it rejects a query with (and drizzle wraps them in
 * an error that carries `query` too), and server errors carry `severity`; minio passes the raw
 * socket error through without either. That is how a socket error is told apart by its source.
 */
function fromDatabaseDriver(links: ErrLike[]): boolean {
  return links.some((e) => 'query' in e || typeof e.severity === 'string');
}

export function isDatabaseUnavailable(err: unknown): boolean {
  const links = chain(err);
  for (const e of links) {
    if (typeof e.code !== 'string') continue;
    if (DRIVER_CODES.has(e.code)) return true;
    if (/^[0-9A-Z]{5}$/.test(e.code) && typeof e.severity === 'string' && isUnavailableSqlState(e.code)) return true;
  }
  return fromDatabaseDriver(links) && links.some((e) => typeof e.code === 'string' && SOCKET_CODES.has(e.code));
}

// S3 answers that mean the store itself is unwell (minio surfaces them as `code`).
const S3_UNAVAILABLE_CODES = new Set(['ServiceUnavailable', 'SlowDown', 'InternalError', 'RequestTimeout']);

/**
 * A socket error that did not come through the database driver: in this service the only other
 * dependency reached with raw sockets on the generic paths is object storage (the OIDC issuer's
 * and the virus scanner's failures are handled where they are called).
 */
export function isStorageUnavailable(err: unknown): boolean {
  const links = chain(err);
  if (fromDatabaseDriver(links)) return false;
  return links.some(
    (e) =>
      typeof e.code === 'string' &&
      (SOCKET_CODES.has(e.code) || S3_UNAVAILABLE_CODES.has(e.code)),
  );
}

/** The 503 a request gets when `err` says a dependency is down, or undefined for anything else. */
export function unavailableErrorFor(err: unknown): ServiceUnavailableError | undefined {
  if (isDatabaseUnavailable(err)) {
    return new ServiceUnavailableError('The database is not reachable right now; retry shortly', 'DATABASE_UNAVAILABLE', {
      retryAfterSeconds: UNAVAILABLE_RETRY_AFTER_SECONDS,
    });
  }
  if (isStorageUnavailable(err)) {
    return new ServiceUnavailableError('Object storage is not reachable right now; retry shortly', 'STORAGE_UNAVAILABLE', {
      retryAfterSeconds: UNAVAILABLE_RETRY_AFTER_SECONDS,
    });
  }
  return undefined;
}
