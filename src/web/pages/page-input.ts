/**
 * What every page reads from a request the same way: the signed-in principal, a UUID in the
 * path (anything else is a 404 before a service or the database sees it), and the command
 * metadata a form carries (its hidden `revision` → If-Match, `_idem` → Idempotency-Key).
 */
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../../auth/token-verifier';
import { AppError } from '../../errors';
import { webPrincipal } from '../page-context';

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The session's principal in its chosen role (routes with `access.session` have a user). */
export function sessionPrincipal(request: FastifyRequest): Principal {
  return webPrincipal(request.session.get('user')!);
}

/** The UUID path parameter `key`, or 404 with `message`. */
export function pathUuid(request: FastifyRequest, key = 'id', message = 'Not found'): string {
  const id = (request.params as Record<string, string | undefined>)[key];
  if (!id || !UUID_RE.test(id)) throw new AppError(404, 'NOT_FOUND', message);
  return id;
}

/** The command metadata of a posted form: the revision it was rendered at and its idempotency key. */
// A field repeated in the form arrives as an array: only a single string counts.
export function formCommandMeta(request: FastifyRequest, body: { revision?: unknown; _idem?: unknown } | undefined): { requestId: string; ifMatch?: number; idempotencyKey?: string } {
  const revision = body?.revision;
  const idem = body?._idem;
  return {
    requestId: request.id,
    ...(typeof revision === 'string' && /^\d{1,15}$/.test(revision) ? { ifMatch: Number(revision) } : {}),
    ...(typeof idem === 'string' && UUID_RE.test(idem) ? { idempotencyKey: idem } : {}),
  };
}
