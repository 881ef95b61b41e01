import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { Type } from '@sinclair/typebox';
import { ErrorResponse } from './schemas';

/** The OpenAPI document is generated from the route schemas; served at /openapi.json and /docs. */
export async function registerOpenApi(app: FastifyInstance, info: { version: string }): Promise<void> {
  app.addSchema(ErrorResponse);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Technology appraisal service',
        version: info.version,
        description:
          'Takes investment projects through dossier upload, technology appraisal (Law on Technology Transfer ' +
          '07/2017/QH14, Arts. 13-21; Decision 18/2019/QĐ-TTg) and approval or rejection, with a tamper-evident audit log.',
      },
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
      security: [{ bearerAuth: [] }],
    },
    // Shared schemas ($id) become named components instead of def-0, def-1, …
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  app.get(
    '/openapi.json',
    {
      config: { access: { public: true } },
      schema: {
        operationId: 'getOpenApiDocument',
        tags: ['meta'],
        summary: 'This OpenAPI document',
        security: [],
        response: { 200: Type.Object({}, { additionalProperties: true }) },
      },
    },
    async () => app.swagger(),
  );
}
