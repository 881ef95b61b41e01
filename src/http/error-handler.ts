import type { FastifyError, FastifyInstance } from 'fastify';
import type { FastifyReply } from 'fastify';
import { AppError } from '../errors';
import { formatValidationErrors } from './validation-errors';
import { asMalformedBodyError } from './input-hardening';
import { unavailableErrorFor, UNAVAILABLE_RETRY_AFTER_SECONDS } from '../infra/infra-errors';

// Stable codes for errors raised by Fastify itself or its plugins, by status.
const CODE_BY_STATUS: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  408: 'REQUEST_TIMEOUT',
  411: 'LENGTH_REQUIRED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
};

/**
 * The one place errors become HTTP responses: `{ statusCode, code, message, requestId }`.
 * 5xx internals are logged with the request id and never sent to the client.
 */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((raised: FastifyError | AppError | Error, request, reply) => {
    const error = asInfrastructureError(asMalformedBodyError(raised) ?? raised, reply);
    const requestId = request.id;
    if (error instanceof AppError) {
      if (error.statusCode >= 500) request.log.error({ err: error }, 'request failed');
      return reply.status(error.statusCode).send({
        ...error.details,
        statusCode: error.statusCode,
        code: error.code,
        message: error.message,
        requestId,
      });
    }
    const fe = error as FastifyError;
    if (fe.validation) {
      const { message, errors } = formatValidationErrors(fe.validation, fe.validationContext);
      return reply.status(400).send({ statusCode: 400, code: 'VALIDATION_FAILED', message, requestId, errors });
    }
    const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
    if (status >= 400 && status < 500) {
      return reply.status(status).send({
        statusCode: status,
        code: CODE_BY_STATUS[status] ?? 'BAD_REQUEST',
        message: fe.message,
        requestId,
      });
    }
    request.log.error({ err: error }, 'request failed');
    return reply.status(500).send({
      statusCode: 500,
      code: 'INTERNAL',
      message: 'Internal server error; quote the requestId when reporting it',
      requestId,
    });
  });

  app.setNotFoundHandler((request, reply) => {
    // The path is echoed for orientation, not in full: it may be 100 kB long.
    const path = request.url.split('?')[0]!;
    return reply.status(404).send({
      statusCode: 404,
      code: 'ROUTE_NOT_FOUND',
      message: `No route ${request.method} ${path.length > 200 ? `${path.slice(0, 200)}…` : path}`,
      requestId: request.id,
    });
  });
}

const UNAVAILABLE_CODES = new Set(['DATABASE_UNAVAILABLE', 'STORAGE_UNAVAILABLE', 'SCANNER_UNAVAILABLE']);

/**
 * Dependency outages are not bugs: a raw driver/storage connection error becomes a 503 with a
 * stable code, and every such 503 (mapped here or thrown explicitly) tells the client when to retry.
 */
function asInfrastructureError(error: FastifyError | AppError | Error, reply: FastifyReply): FastifyError | AppError | Error {
  let mapped: FastifyError | AppError | Error = error;
  if (!(error instanceof AppError)) {
    const unavailable = unavailableErrorFor(error);
    if (unavailable) {
      unavailable.cause = error; // logged with the 503 below, never sent
      mapped = unavailable;
    }
  }
  if (mapped instanceof AppError && mapped.statusCode === 503 && UNAVAILABLE_CODES.has(mapped.code) && !reply.hasHeader('retry-after')) {
    const seconds = typeof mapped.details.retryAfterSeconds === 'number' ? mapped.details.retryAfterSeconds : UNAVAILABLE_RETRY_AFTER_SECONDS;
    reply.header('retry-after', String(seconds));
  }
  return mapped;
}
