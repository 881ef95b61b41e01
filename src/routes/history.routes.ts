import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Db } from '../infra/database';
import { errorResponses } from '../http/schemas';
import { principalOf } from '../http/access-control';
import { loadVisibleProject } from '../modules/projects/project-access';
import { projectHistory } from '../modules/audit/audit-reader';

export const AuditEvent = Type.Object(
  {
    seq: Type.Integer(),
    chainId: Type.String(),
    chainSeq: Type.Integer(),
    occurredAt: Type.String({ format: 'date-time' }),
    actor: Type.Object({ sub: Type.String(), roles: Type.Array(Type.String()), org: Type.Union([Type.String(), Type.Null()]) }),
    action: Type.String(),
    projectId: Type.Union([Type.String(), Type.Null()]),
    fromState: Type.Union([Type.String(), Type.Null()]),
    toState: Type.Union([Type.String(), Type.Null()]),
    revision: Type.Union([Type.Integer(), Type.Null()]),
    machine: Type.Union([Type.Object({ id: Type.String(), version: Type.Integer() }), Type.Null()]),
    requestId: Type.Union([Type.String(), Type.Null()]),
    idempotencyKey: Type.Union([Type.String(), Type.Null()]),
    payload: Type.Object({}, { additionalProperties: true }),
    prevHash: Type.String(),
    rowHash: Type.String(),
  },
  { $id: 'AuditEvent' },
);

export const historyRoutes: FastifyPluginAsync<{ db: Db }> = async (fastify, { db }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/v1/projects/:id/history',
    {
      config: { access: { roles: 'any', write: false } },
      schema: {
        operationId: 'getProjectHistory',
        tags: ['audit'],
        summary: "The project's audit events in order (its hash chain)",
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        response: { 200: Type.Object({ projectId: Type.String(), events: Type.Array(Type.Ref(AuditEvent)) }), ...errorResponses(401, 403, 404, 429) },
      },
    },
    async (request) => {
      const { project } = await loadVisibleProject(db, principalOf(request), request.params.id);
      return { projectId: project.id, events: await projectHistory(db, project.id) };
    },
  );
};
