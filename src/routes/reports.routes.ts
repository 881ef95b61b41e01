import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Db } from '../infra/database';
import { errorResponses } from '../http/schemas';
import { projectAsOf } from '../modules/reports/as-of';
import { coverageReport } from '../modules/reports/coverage-report';
import { onTimeReport } from '../modules/deadlines/on-time-report';
import { reportPeriod } from '../modules/reports/report-period';
import type { DeadlineService } from '../modules/deadlines/deadline-service';
import { NotFoundError, ValidationError } from '../errors';

/** The period a report covers (ISO-8601 instants; both optional). */
const PeriodQuery = Type.Object(
  { from: Type.Optional(Type.String({ format: 'date-time' })), to: Type.Optional(Type.String({ format: 'date-time' })) },
  { additionalProperties: false },
);

const Problem = Type.Object({ seq: Type.Integer(), action: Type.String(), detail: Type.String() });

export const reportRoutes: FastifyPluginAsync<{ db: Db; clock: () => Date; deadlines?: DeadlineService }> = async (fastify, { db, clock, deadlines }) => {
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
        querystring: PeriodQuery,
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
      const { from, to } = reportPeriod(request.query, clock());
      return coverageReport(db, from, to);
    },
  );

  const Counts = {
    total: Type.Integer(),
    onTime: Type.Integer(),
    late: Type.Integer(),
    running: Type.Integer(),
    overdue: Type.Integer(),
    paused: Type.Integer(),
    withdrawn: Type.Integer({ description: 'Closed by a withdrawal: not in total' }),
    onTimeRate: Type.Union([Type.Number(), Type.Null()], { description: 'onTime / (onTime + late); null when nothing closed' }),
  };
  app.get(
    '/v1/reports/on-time',
    {
      config: { access: { roles: ['auditor', 'approver', 'clerk'], write: false } },
      schema: {
        operationId: 'getOnTimeReport',
        tags: ['reports'],
        summary: 'Deadlines opened in a period, per step and overall: on time, late, running, overdue, paused, and the on-time rate',
        querystring: PeriodQuery,
        response: {
          200: Type.Object(
            {
              from: Type.String(),
              to: Type.String(),
              at: Type.String(),
              steps: Type.Array(Type.Object({ step: Type.String(), ...Counts }, { additionalProperties: false })),
              overall: Type.Object(Counts, { additionalProperties: false }),
            },
            { additionalProperties: false },
          ),
          ...errorResponses(400, 401, 403, 429),
        },
      },
    },
    async (request) => {
      const now = clock();
      const { from, to } = reportPeriod(request.query, now);
      if (from.getTime() > to.getTime()) throw new ValidationError('from must not be after to', {}, 'INVALID_PERIOD');
      return onTimeReport(db, from, to, now);
    },
  );

  app.get(
    '/v1/deadlines/:id/as-of',
    {
      config: { access: { roles: ['auditor'], write: false } },
      schema: {
        operationId: 'getDeadlineAsOf',
        tags: ['audit'],
        summary: 'A deadline as it stood at an instant, recomputed from its stored inputs with the calendar versions it was computed with (auditor)',
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        querystring: Type.Object({ at: Type.String({ format: 'date-time' }) }, { additionalProperties: false }),
        response: {
          200: Type.Object(
            {
              status: Type.Union([Type.Literal('running'), Type.Literal('paused'), Type.Literal('met'), Type.Literal('overdue')]),
              due: Type.Union([Type.String(), Type.Null()]),
              late: Type.Boolean(),
              pausedDays: Type.Integer(),
            },
            { additionalProperties: false },
          ),
          ...errorResponses(400, 401, 403, 404, 429),
        },
      },
    },
    async (request) => {
      if (!deadlines) throw new NotFoundError('Deadline');
      return deadlines.asOf(db, request.params.id, new Date(request.query.at));
    },
  );
};
