import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Db } from '../infra/database';
import { errorResponses } from '../http/schemas';
import { projectAsOf } from '../modules/reports/as-of';
import { coverageReport } from '../modules/reports/coverage-report';

const Problem = Type.Object({ seq: Type.Integer(), action: Type.String(), detail: Type.String() });

export const reportRoutes: FastifyPluginAsync<{ db: Db; clock: () => Date }> = async (fastify, { db, clock }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/v1/projects/:id/as-of',
    {
      config: { access: { roles: ['auditor'], write: false } },
      schema: {
        operationId: 'getProjectAsOf',
        tags: ['audit'],
        summary: 'The project as it stood at an instant, rebuilt by replaying its audit events through the machine (auditor)',
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        querystring: Type.Object({ at: Type.String({ format: 'date-time' }) }, { additionalProperties: false }),
        response: {
          200: Type.Object(
            {
              projectId: Type.String(),
              at: Type.String(),
              existed: Type.Boolean(),
              state: Type.Union([Type.String(), Type.Null()]),
              round: Type.Union([Type.Integer(), Type.Null()]),
              revision: Type.Union([Type.Integer(), Type.Null()]),
              consistent: Type.Boolean({ description: 'false when the replay disagrees with the log or with the database' }),
              problems: Type.Array(Problem),
            },
            { additionalProperties: true },
          ),
          ...errorResponses(400, 401, 403, 404, 429),
        },
      },
    },
    async (request) => projectAsOf(db, request.params.id, new Date(request.query.at)),
  );

  app.get(
    '/v1/reports/coverage',
    {
      config: { access: { roles: ['auditor', 'approver'], write: false } },
      schema: {
        operationId: 'getCoverageReport',
        tags: ['audit'],
        summary: 'Submitted, decided, approved, rejected and appraised projects in a period, coverage %, and violations (must be empty)',
        querystring: Type.Object(
          { from: Type.Optional(Type.String({ format: 'date-time' })), to: Type.Optional(Type.String({ format: 'date-time' })) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object(
            {
              from: Type.String(),
              to: Type.String(),
              submitted: Type.Integer(),
              decided: Type.Integer(),
              approved: Type.Integer(),
              rejected: Type.Integer(),
              appraised: Type.Integer(),
              coveragePercent: Type.Number(),
              violations: Type.Array(Type.Object({ kind: Type.String() }, { additionalProperties: true })),
              generatedInMs: Type.Integer(),
            },
            { additionalProperties: false },
          ),
          ...errorResponses(400, 401, 403, 429),
        },
      },
    },
    async (request) => {
      const to = request.query.to ? new Date(request.query.to) : clock();
      const from = request.query.from ? new Date(request.query.from) : new Date(to.getTime() - 365 * 86400_000);
      return coverageReport(db, from, to);
    },
  );
};
