import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { errorResponses } from '../http/schemas';
import { principalOf } from '../http/access-control';
import type { RulebookService } from '../modules/rulebook/rulebook-service';
import { NotFoundError } from '../errors';

const Rulebook = Type.Object(
  {
    id: Type.String(),
    version: Type.String(),
    effectiveFrom: Type.String({ format: 'date' }),
    title: Type.String(),
    publishedBy: Type.String(),
    publishedAt: Type.String({ format: 'date-time' }),
    content: Type.Object({}, { additionalProperties: true, description: 'Lists, thresholds, dossier components, criteria, time limits — each entry cites its legal source' }),
  },
  { $id: 'Rulebook' },
);

export const rulebookRoutes: FastifyPluginAsync<{ rulebooks: RulebookService; clock: () => Date }> = async (fastify, { rulebooks, clock }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.addSchema(Rulebook);
  const tags = ['rulebooks'];
  app.get(
    '/v1/rulebooks',
    {
      config: { access: { roles: 'any', write: false } },
      schema: { operationId: 'listRulebooks', tags, summary: 'Every published rulebook version, newest effective date first', response: { 200: Type.Object({ items: Type.Array(Type.Ref(Rulebook)) }), ...errorResponses(401, 403, 429) } },
    },
    async () => ({ items: await rulebooks.list() }),
  );
  app.get(
    '/v1/rulebooks/current',
    {
      config: { access: { roles: 'any', write: false } },
      schema: {
        operationId: 'getCurrentRulebook',
        tags,
        summary: 'The rulebook in force now (or at ?at=ISO-8601)',
        querystring: Type.Object({ at: Type.Optional(Type.String({ format: 'date-time' })) }, { additionalProperties: false }),
        response: { 200: Type.Ref(Rulebook), ...errorResponses(400, 401, 403, 422, 429) },
      },
    },
    async (request) => rulebooks.inForce(request.query.at ? new Date(request.query.at) : clock()),
  );
  app.get(
    '/v1/rulebooks/:version',
    {
      config: { access: { roles: 'any', write: false } },
      schema: {
        operationId: 'getRulebook',
        tags,
        summary: "One rulebook version, e.g. the one a project is pinned to (the project view's rulebookVersion.version)",
        params: Type.Object({ version: Type.String({ pattern: '^\\d{4}\\.\\d{1,6}$', description: 'e.g. 2026.1' }) }),
        response: { 200: Type.Ref(Rulebook), ...errorResponses(400, 401, 403, 404, 429) },
      },
    },
    async (request) => {
      const known = (await rulebooks.list()).find((r) => r.version === request.params.version);
      if (!known) throw new NotFoundError(`Rulebook version ${request.params.version}`, 'RULEBOOK_NOT_FOUND');
      return known;
    },
  );
  app.post(
    '/v1/rulebooks',
    {
      config: { access: { roles: ['admin'], write: true } },
      schema: {
        operationId: 'publishRulebook',
        tags,
        summary: 'Publish a new rulebook version effective from a date (admin); old versions are never edited',
        body: Type.Object({}, { additionalProperties: true, description: 'RulebookContent: see GET /v1/rulebooks/current for the shape' }),
        response: { 201: Type.Ref(Rulebook), ...errorResponses(400, 401, 403, 409, 422, 429) },
      },
    },
    async (request, reply) => reply.status(201).send(await rulebooks.publish(principalOf(request), request.body, request.id)),
  );
};
