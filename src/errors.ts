/**
 * One error model. Services throw these; the HTTP error handler maps them to
 * `{ statusCode, code, message, requestId, ...details }`. `code` values are a public contract.
 */
export class AppError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    /** Extra fields clients may rely on (e.g. allowedActions, missing). */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends AppError {
  constructor(message: string, details: Record<string, unknown> = {}, code = 'VALIDATION_FAILED') {
    super(400, code, message, details);
  }
}
export class UnauthenticatedError extends AppError {
  constructor(message = 'A valid bearer token is required', code = 'UNAUTHENTICATED') {
    super(401, code, message);
  }
}
export class ForbiddenError extends AppError {
  constructor(message: string, code = 'FORBIDDEN', details: Record<string, unknown> = {}) {
    super(403, code, message, details);
  }
}
export class NotFoundError extends AppError {
  constructor(what: string, code = 'NOT_FOUND') {
    super(404, code, `${what} not found`);
  }
}
export class ConflictError extends AppError {
  constructor(message: string, code = 'CONFLICT', details: Record<string, unknown> = {}) {
    super(409, code, message, details);
  }
}
export class InvalidTransitionError extends AppError {
  constructor(action: string, state: string, allowedActions: string[], reason?: string) {
    super(
      409,
      'INVALID_TRANSITION',
      `"${action}" is not allowed in state "${state}"${reason ? `: ${reason}` : ''}`,
      { state, allowedActions },
    );
  }
}
export class PreconditionFailedError extends AppError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(412, 'PRECONDITION_FAILED', message, details);
  }
}
export class PayloadTooLargeError extends AppError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(413, 'PAYLOAD_TOO_LARGE', message, details);
  }
}
export class UnsupportedMediaTypeError extends AppError {
  constructor(message: string, code = 'UNSUPPORTED_MEDIA_TYPE', details: Record<string, unknown> = {}) {
    super(415, code, message, details);
  }
}
export class UnprocessableError extends AppError {
  constructor(message: string, code: string, details: Record<string, unknown> = {}) {
    super(422, code, message, details);
  }
}
export class ServiceUnavailableError extends AppError {
  constructor(message: string, code = 'NOT_READY', details: Record<string, unknown> = {}) {
    super(503, code, message, details);
  }
}
