import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { ValidationError } from '../errors';
import type { CommandMeta } from '../modules/projects/project-command';
import type { RunResult } from '../modules/commands/command-runner';

/** Headers every command accepts (documented in OpenAPI). */
export const CommandHeaders = Type.Object({
  'if-match': Type.Optional(Type.String({ description: 'The revision the client last saw (ETag of GET /v1/projects/{id}); stale → 412' })),
  'idempotency-key': Type.Optional(
    Type.String({ description: 'Makes a retry safe: a replay returns the first response; another body with the same key → 422; in flight → 409' }),
  ),
});

const KEY_RE = /^[A-Za-z0-9._:-]{8,200}$/;

export function commandMeta(request: FastifyRequest): CommandMeta {
  const meta: CommandMeta = { requestId: request.id };
  const key = request.headers['idempotency-key'];
  if (key !== undefined) {
    if (typeof key !== 'string' || !KEY_RE.test(key)) {
      throw new ValidationError('Idempotency-Key must be 8-200 characters of letters, digits and ._:-', {}, 'INVALID_IDEMPOTENCY_KEY');
    }
    meta.idempotencyKey = key;
  }
  const ifMatch = request.headers['if-match'];
  if (ifMatch !== undefined) {
    const m = typeof ifMatch === 'string' ? /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(ifMatch) : null;
    if (!m) throw new ValidationError('If-Match must be a project revision such as "3"', {}, 'INVALID_IF_MATCH');
    meta.ifMatch = Number(m[1]);
  }
  return meta;
}

/** Send a command's result: status, ETag of the new revision, and whether it is a replay. */
export function sendResult(reply: FastifyReply, result: RunResult) {
  const body = result.body as { revision?: number };
  if (typeof body?.revision === 'number') reply.header('etag', `"${body.revision}"`);
  if (result.replayed) reply.header('idempotent-replayed', 'true');
  return reply.status(result.status).send(result.body);
}
