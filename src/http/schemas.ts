import { Type, type Static, type TSchema } from '@sinclair/typebox';

/** Every error body, everywhere: a public contract. */
export const ErrorResponse = Type.Object(
  {
    statusCode: Type.Integer({ minimum: 400, maximum: 599 }),
    code: Type.String({ description: 'Stable machine-readable error code', examples: ['VALIDATION_FAILED'] }),
    message: Type.String(),
    requestId: Type.String(),
    rule: Type.Optional(
      Type.String({ description: '403 only: the rule that refused (role, read_only, ownership, assignment, conflict_of_interest, independence, separation_of_duties)' }),
    ),
  },
  { $id: 'ErrorResponse', additionalProperties: true, description: 'Error envelope; some codes carry extra fields (allowedActions, missing, …)' },
);
export type ErrorBody = Static<typeof ErrorResponse>;

const errorRef = Type.Unsafe<ErrorBody>(Type.Ref('ErrorResponse'));

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request (VALIDATION_FAILED, …)',
  401: 'Missing or invalid bearer token (UNAUTHENTICATED, TOKEN_EXPIRED, …)',
  403: 'The caller may not do this (FORBIDDEN, READ_ONLY_ROLE, …)',
  404: 'Not found, or not visible to the caller (NOT_FOUND)',
  409: 'Conflicts with the current state (INVALID_TRANSITION, REVISION_CONFLICT, IDEMPOTENCY_IN_FLIGHT)',
  412: 'If-Match revision is stale (PRECONDITION_FAILED)',
  413: 'Payload too large (PAYLOAD_TOO_LARGE)',
  415: 'Unsupported media type (UNSUPPORTED_MEDIA_TYPE, EXTENSION_MISMATCH)',
  422: 'Idempotency-Key reused with another body, or a semantic rule failed',
  429: 'Rate limit exceeded (RATE_LIMITED), see Retry-After',
  503: 'Not ready (NOT_READY)',
};

/** Response schemas for the listed error statuses, for a route's `response` map. */
export function errorResponses(...statuses: number[]): Record<number, TSchema> {
  return Object.fromEntries(
    statuses.map((s) => [s, Type.Unsafe<ErrorBody>({ ...errorRef, description: DESCRIPTIONS[s] ?? 'Error' })]),
  );
}
