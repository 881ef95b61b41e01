import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { errorResponses } from '../http/schemas';
import { principalOf } from '../http/access-control';
import { ValidationError } from '../errors';
import type { SlipService } from '../modules/slips/slip-service';
import { SLIP_FORMS } from '../modules/slips/slip-views';

const Slip = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    projectId: Type.String({ format: 'uuid' }),
    form: Type.Union(SLIP_FORMS.map((f) => Type.Literal(f))),
    formLabel: Type.Union([Type.String(), Type.Null()], { description: '"Mẫu số 01" … (null for the result document)' }),
    number: Type.Integer({ description: 'Numbered per form and year' }),
    numberLabel: Type.String({ examples: ['12/2026/TNHS'] }),
    year: Type.Integer(),
    issuedAt: Type.String({ format: 'date-time' }),
    issuedBy: Type.String(),
    sha256: Type.String({ description: "SHA-256 of the PDF file" }),
    contentSha256: Type.String({ description: 'SHA-256 of the canonical content the verification code is derived from' }),
    verificationCode: Type.String({ description: 'Printed on the PDF; check it at GET /v1/slips/verify' }),
    sizeBytes: Type.Integer(),
    correctsSlipId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
  },
  { $id: 'Slip' },
);

const VerifyResult = Type.Object(
  {
    known: Type.Boolean({ description: 'Whether the code (or file) is an issued slip' }),
    fileMatches: Type.Optional(Type.Boolean({ description: 'With a file or sha256: whether it is the issued file byte for byte' })),
    slip: Type.Optional(
      Type.Object({
        form: Type.String(),
        formLabel: Type.Union([Type.String(), Type.Null()]),
        numberLabel: Type.String(),
        issuedAt: Type.String({ format: 'date-time' }),
        projectCode: Type.String(),
        sha256: Type.String(),
        verificationCode: Type.String(),
      }),
    ),
  },
  { $id: 'SlipVerification' },
);

const MAX_VERIFY_BYTES = 20 * 1024 * 1024;

export const slipRoutes: FastifyPluginAsync<{ slips: SlipService }> = async (fastify, { slips }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.addSchema(Slip);
  app.addSchema(VerifyResult);
  // The file to verify is sent as it is (this plugin's scope only).
  app.addContentTypeParser(['application/pdf', 'application/octet-stream'], { parseAs: 'buffer', bodyLimit: MAX_VERIFY_BYTES }, (_req, body, done) => done(null, body));
  const tags = ['slips'];
  const Id = Type.Object({ id: Type.String({ format: 'uuid' }) });

  app.get(
    '/v1/projects/:id/slips',
    {
      config: { access: { roles: 'any', write: false } },
      schema: {
        operationId: 'listProjectSlips',
        tags,
        summary: 'The slips and result documents issued for a project, newest first',
        params: Id,
        response: { 200: Type.Object({ items: Type.Array(Type.Ref(Slip)) }), ...errorResponses(400, 401, 403, 404, 429) },
      },
    },
    async (request) => ({ items: await slips.list(principalOf(request), request.params.id) }),
  );

  app.get(
    '/v1/slips/:id/content',
    {
      config: { access: { roles: 'any', write: false } },
      schema: {
        operationId: 'getSlipContent',
        tags,
        summary: 'The PDF of an issued slip (whoever may see the project)',
        params: Id,
        produces: ['application/pdf'],
        response: { 200: Type.Unsafe<unknown>({ type: 'string', format: 'binary', description: 'The PDF bytes' }), ...errorResponses(400, 401, 403, 404, 429) },
      },
    },
    async (request, reply) => {
      const { slip, stream } = await slips.content(principalOf(request), request.params.id);
      return reply
        .header('content-type', 'application/pdf')
        .header('content-length', String(slip.sizeBytes))
        .header('content-disposition', `inline; filename="${slip.form}-${slip.year}-${slip.number}.pdf"`)
        .header('x-content-sha256', slip.sha256)
        .header('repr-digest', `sha-256=:${Buffer.from(slip.sha256, 'hex').toString('base64')}:`)
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'private, no-store')
        .send(stream);
    },
  );

  app.get(
    '/v1/slips/verify',
    {
      config: { access: { public: true } },
      schema: {
        operationId: 'verifySlipCode',
        tags,
        summary: 'Public check of a printed verification code; with sha256, whether a file is the issued one byte for byte',
        querystring: Type.Object(
          {
            code: Type.String({ minLength: 1, maxLength: 64 }),
            sha256: Type.Optional(Type.String({ pattern: '^[0-9a-fA-F]{64}$' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Ref(VerifyResult), ...errorResponses(400, 429) },
      },
    },
    async (request) => slips.verifyCode(request.query.code, request.query.sha256),
  );

  app.post(
    '/v1/slips/verify',
    {
      config: { access: { public: true } },
      bodyLimit: MAX_VERIFY_BYTES,
      schema: {
        operationId: 'verifySlipFile',
        tags,
        summary: 'Public check of a slip file: send the PDF bytes (application/pdf); any changed byte answers known: false',
        consumes: ['application/pdf', 'application/octet-stream'],
        response: { 200: Type.Ref(VerifyResult), ...errorResponses(400, 413, 415, 429) },
      },
    },
    async (request) => {
      if (!Buffer.isBuffer(request.body) || request.body.length === 0) {
        throw new ValidationError('Send the PDF file as the request body (Content-Type: application/pdf)', {}, 'SLIP_FILE_REQUIRED');
      }
      return slips.verifyFile(request.body);
    },
  );
};
