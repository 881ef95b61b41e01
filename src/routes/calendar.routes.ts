import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { errorResponses } from '../http/schemas';
import { principalOf } from '../http/access-control';
import { ValidationError } from '../errors';
import type { CalendarService } from '../modules/calendar/calendar-service';
import { DAY_KINDS, isLocalDate } from '../modules/calendar/calendar-types';
import { UNITS, type PauseInterval } from '../modules/calendar/due-date';

const DATE = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'A Vietnamese calendar date, YYYY-MM-DD' });

const CalendarEntry = Type.Object(
  {
    date: DATE,
    kind: Type.Union(DAY_KINDS.map((k) => Type.Literal(k))),
    name: Type.String({ minLength: 1, maxLength: 300 }),
    source: Type.String({ minLength: 1, maxLength: 1000, description: 'The legal basis of this day' }),
    verified: Type.Boolean({ description: 'False when not yet confirmed against the official notice' }),
    note: Type.Optional(Type.Union([Type.String({ maxLength: 2000 }), Type.Null()])),
  },
  { $id: 'CalendarEntry', additionalProperties: false },
);

const summaryFields = {
  id: Type.String({ format: 'uuid' }),
  year: Type.Integer(),
  version: Type.Integer(),
  current: Type.Boolean({ description: "The year's latest version, the one due dates use" }),
  notice: Type.String(),
  supersedesId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
  publishedBy: Type.String(),
  publishedAt: Type.String({ format: 'date-time' }),
  entryCount: Type.Integer(),
  unverifiedCount: Type.Integer(),
};
const CalendarVersion = Type.Object(summaryFields, { $id: 'CalendarVersion' });
const CalendarYear = Type.Object({ ...summaryFields, entries: Type.Array(Type.Ref(CalendarEntry)) }, { $id: 'CalendarYear' });

const SkippedDay = Type.Object({
  date: DATE,
  kind: Type.Union([...DAY_KINDS, 'weekly_rest', 'paused'].map((k) => Type.Literal(k))),
  name: Type.String(),
  source: Type.String(),
  verified: Type.Optional(Type.Boolean()),
});

const DueDate = Type.Object(
  {
    from: DATE,
    limit: Type.Integer(),
    unit: Type.Union(UNITS.map((u) => Type.Literal(u))),
    due: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'End of the last day, Vietnam time (UTC+7), as a UTC instant; null while an open pause holds the clock' }),
    dueDate: Type.Union([DATE, Type.Null()], { description: 'The last day of the period (Vietnamese date)' }),
    calendarVersion: Type.String({ description: 'Calendar years and versions read, e.g. "2026.1"' }),
    skipped: Type.Array(SkippedDay, { description: 'Days that did not count, with their kind and legal source' }),
    countedRestDays: Type.Array(SkippedDay, { description: 'Saturdays/Sundays that counted as swapped working days' }),
    pausedDays: Type.Integer(),
    remaining: Type.Integer({ description: 'Units left while paused (0 once the due date is known)' }),
  },
  { $id: 'DueDate' },
);

const PAUSE_RE = /^(\d{4}-\d{2}-\d{2})\/(\d{4}-\d{2}-\d{2})?$/;

function parsePauses(values: string[] | undefined): PauseInterval[] {
  return (values ?? []).map((v) => {
    const m = PAUSE_RE.exec(v);
    if (!m || !isLocalDate(m[1]!) || (m[2] !== undefined && !isLocalDate(m[2]))) {
      throw new ValidationError(`pause "${v}" must be FROM/TO or FROM/ (still paused), dates as YYYY-MM-DD`, { pause: v }, 'INVALID_PAUSE');
    }
    return { from: m[1]!, to: m[2] ?? null };
  });
}

export const calendarRoutes: FastifyPluginAsync<{ calendars: CalendarService }> = async (fastify, { calendars }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.addSchema(CalendarEntry);
  app.addSchema(CalendarVersion);
  app.addSchema(CalendarYear);
  app.addSchema(DueDate);
  const tags = ['calendar'];
  const Year = Type.Object({ year: Type.Integer({ minimum: 2000, maximum: 2100 }) });

  app.get(
    '/v1/calendar/due-date',
    {
      config: { access: { roles: 'any', write: false } },
      schema: {
        operationId: 'computeDueDate',
        tags,
        summary: 'When a period ends: Civil Code counting over the working-day calendar (the same code as the deadlines)',
        querystring: Type.Object(
          {
            from: Type.String({ description: 'The day of the event that starts the period (YYYY-MM-DD, Vietnam); counting starts the day after' }),
            limit: Type.Integer({ minimum: 1, maximum: 3650 }),
            unit: Type.Union(UNITS.map((u) => Type.Literal(u))),
            pause: Type.Optional(Type.Array(Type.String(), { maxItems: 50, description: 'Pauses as FROM/TO (supplementation request / complete dossier) or FROM/ while still paused; repeatable' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Ref(DueDate), ...errorResponses(400, 401, 403, 422, 429) },
      },
    },
    async (request) => {
      const { from, limit, unit } = request.query;
      if (!isLocalDate(from)) throw new ValidationError(`from "${from}" is not a date (YYYY-MM-DD)`, { from }, 'INVALID_DATE');
      const r = await calendars.dueDate({ start: from, limit, unit, pauses: parsePauses(request.query.pause) });
      const { start, ...rest } = r;
      return { from: start, ...rest };
    },
  );

  app.get(
    '/v1/calendars',
    {
      config: { access: { roles: 'any', write: false } },
      schema: {
        operationId: 'listCalendars',
        tags,
        summary: 'Every published calendar version by year (the latest of each year is current)',
        response: { 200: Type.Object({ items: Type.Array(Type.Ref(CalendarVersion)) }), ...errorResponses(401, 403, 429) },
      },
    },
    async () => ({ items: await calendars.list() }),
  );

  app.get(
    '/v1/calendars/:year',
    {
      config: { access: { roles: 'any', write: false } },
      schema: {
        operationId: 'getCalendarYear',
        tags,
        summary: "A year's entries: its current version, or ?version=N",
        params: Year,
        querystring: Type.Object({ version: Type.Optional(Type.Integer({ minimum: 1 })) }, { additionalProperties: false }),
        response: { 200: Type.Ref(CalendarYear), ...errorResponses(400, 401, 403, 404, 429) },
      },
    },
    async (request) => calendars.year(request.params.year, request.query.version),
  );

  app.get(
    '/v1/calendars/:year/proposal',
    {
      config: { access: { roles: 'any', write: false } },
      schema: {
        operationId: 'proposeCalendarYear',
        tags,
        summary: 'A draft year for an admin to check: fixed holidays, lunar ones computed, compensatory days; all unverified',
        params: Year,
        response: {
          200: Type.Object({ year: Type.Integer(), proposal: Type.Literal(true), notice: Type.String(), entries: Type.Array(Type.Ref(CalendarEntry)) }),
          ...errorResponses(400, 401, 403, 422, 429),
        },
      },
    },
    async (request) => calendars.propose(request.params.year),
  );

  app.post(
    '/v1/calendars',
    {
      config: { access: { roles: ['admin'], write: true } },
      schema: {
        operationId: 'publishCalendarYear',
        tags,
        summary: "Publish a year (admin): its next version supersedes the previous one, which stays readable; audited",
        body: Type.Object(
          {
            year: Type.Integer({ minimum: 2000, maximum: 2100 }),
            notice: Type.String({ minLength: 1, maxLength: 2000, description: 'The official notice(s) the year comes from' }),
            entries: Type.Array(Type.Ref(CalendarEntry), { maxItems: 366 }),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Ref(CalendarYear), ...errorResponses(400, 401, 403, 409, 422, 429) },
      },
    },
    async (request, reply) => reply.status(201).send(await calendars.publish(principalOf(request), request.body, request.id)),
  );
};
