import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import multipart from '@fastify/multipart';
import { errorResponses } from '../http/schemas';
import { CommandHeaders, commandMeta, sendResult } from '../http/command-headers';
import { principalOf } from '../http/access-control';
import { ValidationError } from '../errors';
import type { DocumentService } from '../modules/documents/document-service';
import { contentDispositionFor } from '../modules/documents/file-name';
import { FileTooLargeError } from '../modules/documents/upload-streams';

const Document = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    projectId: Type.String({ format: 'uuid' }),
    component: Type.String(),
    version: Type.Integer({ minimum: 1 }),
    status: Type.Union([Type.Literal('active'), Type.Literal('superseded')]),
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    size: Type.Integer({ minimum: 0 }),
    mediaType: Type.String(),
    originalName: Type.String(),
    uploadedBy: Type.String(),
    uploadedAt: Type.String({ format: 'date-time' }),
    supersededAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  },
  { $id: 'Document' },
);

export interface DocumentRoutesOptions {
  documents: DocumentService;
  maxBytes: number;
  uploadsPerMinute: number;
}

export const documentRoutes: FastifyPluginAsync<DocumentRoutesOptions> = async (fastify, { documents, maxBytes, uploadsPerMinute }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.addSchema(Document);
  await app.register(multipart, {
    // One file, a few small fields. fileSize is set so the parser stops at the limit (it would
    // otherwise truncate silently at 1 MiB); the service's own size limiter fails at limit + 1.
    limits: { fileSize: maxBytes, files: 1, fields: 5, fieldSize: 1024, parts: 8, headerPairs: 50 },
    throwFileSizeLimit: true,
  });
  const Id = Type.Object({ id: Type.String({ format: 'uuid' }) });

  app.post(
    '/v1/projects/:id/documents',
    {
      config: { access: { roles: ['investor'], write: true }, rateLimit: { max: uploadsPerMinute, timeWindow: 60_000 } },
      schema: {
        operationId: 'uploadDocument',
        tags: ['documents'],
        summary: 'Upload a dossier file (multipart: field `component`, optional field `sha256`, then the file part); streamed, verified, versioned',
        description:
          `Only the owning investor, only in draft or while supplementing. At most ${maxBytes} bytes (413). The type is sniffed from the bytes ` +
          'and must be allowed and match the file extension (415 UNSUPPORTED_MEDIA_TYPE / EXTENSION_MISMATCH). A declared sha256 must match (422 CHECKSUM_MISMATCH).',
        params: Id,
        headers: CommandHeaders,
        consumes: ['multipart/form-data'],
        response: { 201: Type.Ref(Document), 200: Type.Ref(Document), ...errorResponses(400, 401, 403, 404, 409, 412, 413, 415, 422, 429) },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      if (!request.isMultipart()) throw new ValidationError('Send multipart/form-data: field "component", then the file', {}, 'MULTIPART_REQUIRED');
      const part = await request.file();
      if (!part) throw new ValidationError('The request has no file part', {}, 'FILE_REQUIRED');
      const field = (name: string) => {
        const f = part.fields[name];
        const v = Array.isArray(f) ? f[0] : f;
        return v && 'value' in v && typeof v.value === 'string' ? v.value : undefined;
      };
      const component = field('component');
      if (!component) {
        part.file.resume();
        throw new ValidationError('The "component" field must come before the file part', {}, 'COMPONENT_REQUIRED');
      }
      // @fastify/multipart stops a file at limits.fileSize by truncating it quietly: turn that
      // into an error at once, and check `truncated` again when the stream has ended.
      part.file.once('limit', () => part.file.destroy(new FileTooLargeError(maxBytes)));
      const result = await documents.upload(
        principal,
        request.params.id,
        { component, fileName: part.filename, declaredSha256: field('sha256'), stream: part.file, truncated: () => part.file.truncated },
        commandMeta(request),
      );
      return sendResult(reply, result);
    },
  );

  app.get(
    '/v1/projects/:id/documents',
    {
      config: { access: { roles: 'any', write: false } },
      schema: {
        operationId: 'listDocuments',
        tags: ['documents'],
        summary: 'Current versions, superseded history, and the dossier checklist (required components present / missing)',
        params: Id,
        response: {
          200: Type.Object({
            projectId: Type.String(),
            current: Type.Array(Type.Ref(Document)),
            history: Type.Array(Type.Ref(Document)),
            checklist: Type.Object({
              rulebookVersion: Type.String(),
              rulebookEffectiveFrom: Type.String({ format: 'date' }),
              rulebookPinned: Type.Boolean({ description: 'True once the dossier was accepted complete: the checklist follows that version from then on' }),
              required: Type.Array(Type.Object({ component: Type.String(), title: Type.String(), present: Type.Boolean(), citation: Type.String(), verified: Type.Boolean(), note: Type.Optional(Type.String()) })),
              missing: Type.Array(Type.String()),
            }),
          }),
          ...errorResponses(401, 403, 404, 429),
        },
      },
    },
    async (request) => documents.list(principalOf(request), request.params.id),
  );

  app.get(
    '/v1/documents/:id/content',
    {
      config: { access: { roles: 'any', write: false } },
      schema: {
        operationId: 'getDocumentContent',
        tags: ['documents'],
        summary: 'The bytes, streamed, with the SHA-256 in x-content-sha256 and Repr-Digest, and a safe Content-Disposition',
        params: Id,
        produces: ['application/octet-stream'],
        response: { 200: Type.Unsafe<unknown>({ type: 'string', format: 'binary' }), ...errorResponses(401, 403, 404, 429) },
      },
    },
    async (request, reply) => {
      const { doc, stream } = await documents.content(principalOf(request), request.params.id);
      reply
        .header('content-type', doc.mediaType)
        .header('content-length', String(doc.size))
        .header('content-disposition', contentDispositionFor(doc.originalName))
        .header('x-content-sha256', doc.sha256)
        .header('repr-digest', `sha-256=:${Buffer.from(doc.sha256, 'hex').toString('base64')}:`)
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'private, no-store');
      return reply.send(stream);
    },
  );

  app.get(
    '/v1/documents/:id/download-url',
    {
      config: { access: { roles: 'any', write: false } },
      schema: {
        operationId: 'getDocumentDownloadUrl',
        tags: ['documents'],
        summary: 'A short-lived (5 min) presigned URL to download the bytes directly from object storage',
        params: Id,
        response: {
          200: Type.Object({ url: Type.String(), expiresAt: Type.String({ format: 'date-time' }), sha256: Type.String(), size: Type.Integer() }),
          ...errorResponses(401, 403, 404, 429),
        },
      },
    },
    async (request) => documents.downloadUrl(principalOf(request), request.params.id),
  );
};
