import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { errorResponses } from '../http/schemas';
import { CommandHeaders, commandMeta, sendResult } from '../http/command-headers';
import { principalOf } from '../http/access-control';
import { ACTIONS, STATES } from '../../workflows/appraisal/appraisal.machine';
import { vietnamYear, type ProjectService } from '../modules/projects/project-service';
import { ValidationError } from '../errors';

const Id = Type.Object({ id: Type.String({ format: 'uuid' }) });
const Text = (max: number, extra: object = {}) => Type.String({ minLength: 1, maxLength: max, pattern: '^[^\\u0000]*\\S[^\\u0000]*$', ...extra });

export const NewProjectBody = Type.Object(
  {
    name: Text(300),
    description: Type.Optional(Type.String({ maxLength: 5000, pattern: '^[^\\u0000]*$' })),
    sector: Type.String({ pattern: '^[a-z][a-z_]{1,39}$', description: 'Sector code of the rulebook in force (GET /v1/rulebooks/current); an unknown code answers 400 UNKNOWN_SECTOR with the list', examples: ['cement'] }),
    location: Text(200),
    capitalVnd: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'Total investment capital in VND (an integer)' }),
    stage: Type.Union([Type.Literal('investment_policy'), Type.Literal('investment_decision')]),
    group: Type.Union([Type.Literal('national_key'), Type.Literal('A'), Type.Literal('B'), Type.Literal('C')]),
    capitalSource: Type.Union([Type.Literal('state_budget'), Type.Literal('state_non_budget'), Type.Literal('private'), Type.Literal('foreign'), Type.Literal('mixed')]),
    decidingLevel: Type.Union([
      Type.Literal('national_assembly'),
      Type.Literal('prime_minister'),
      Type.Literal('provincial_peoples_committee'),
      Type.Literal('investor'),
    ]),
    environmentalGroup: Type.Optional(
      Type.Union([Type.Literal('I'), Type.Literal('II'), Type.Literal('III'), Type.Literal('IV')], {
        description: 'Environmental group under the Law on Environmental Protection 2020; the environmental risk (Art. 13.2(b)) follows from it per the rulebook',
      }),
    ),
    environmentalRisk: Type.Optional(
      Type.Boolean({ description: 'Deprecated: the investor\'s own flag, accepted without environmentalGroup for older clients (shown with basis "declared", unverified); with a group it must agree with it' }),
    ),
    technologyAsCapital: Type.Optional(Type.Boolean({ description: 'Technology contributed as capital (a draft transfer contract is then required)' })),
    highTechZone: Type.Optional(Type.Boolean({ description: 'Project in a high-tech zone: criterion 19.1(g) applies' })),
    construction: Type.Optional(Type.Boolean({ description: 'Construction investment project (Art. 13.3); required at the investment-decision stage' })),
  },
  { additionalProperties: false },
);

const StateEnum = Type.Union(STATES.map((s) => Type.Literal(s)));
const ActionEnum = Type.Union(Object.keys(ACTIONS).map((a) => Type.Literal(a)));

const Instant = Type.String({ format: 'date-time' });
const OrNull = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
export const DeadlineView = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    step: Type.String({ description: 'forward_to_reviewer, opinion (policy stage) or appraisal (decision stage)' }),
    round: Type.Integer(),
    startedAt: Instant,
    dueAt: OrNull(Instant),
    dueDate: OrNull(Type.String({ format: 'date', description: 'The last day, Vietnam time' })),
    unit: Type.Union([Type.Literal('working_days'), Type.Literal('calendar_days')]),
    limit: Type.Integer(),
    extensionDays: Type.Integer(),
    extensionNotice: OrNull(Type.String()),
    status: Type.Union([Type.Literal('running'), Type.Literal('paused'), Type.Literal('met'), Type.Literal('overdue')]),
    pausedDays: Type.Integer(),
    pauses: Type.Array(Type.Object({ from: Instant, to: OrNull(Instant) })),
    closedAt: OrNull(Instant),
    late: Type.Boolean(),
    calendarVersion: Type.String({ description: 'Calendar year versions the due date was computed with, e.g. 2026.1' }),
    timeLimit: Type.Object({ id: Type.String(), rulebookVersion: Type.String(), citation: Type.String(), verified: Type.Boolean() }),
    apologyDraft: OrNull(Type.Object({ draftedAt: Instant, proposedDate: Type.String({ format: 'date' }) })),
    rescheduledTo: OrNull(Type.String({ format: 'date' })),
  },
  { additionalProperties: false },
);

export const ProjectView = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    code: Type.String({ examples: ['QN-2026-000123'] }),
    organisation: Type.String(),
    name: Type.String(),
    description: Type.Union([Type.String(), Type.Null()]),
    sector: Type.String(),
    location: Type.String(),
    capitalVnd: Type.Integer(),
    stage: Type.String(),
    group: Type.String(),
    capitalSource: Type.String(),
    decidingLevel: Type.String(),
    environmentalGroup: Type.Union([Type.String(), Type.Null()]),
    environmentalRisk: Type.Boolean({ description: 'Derived from environmentalGroup under the project\'s rulebook version; the investor\'s flag for older projects' }),
    environmentalRiskBasis: Type.Union([Type.Literal('environmental_group'), Type.Literal('declared')]),
    technologyAsCapital: Type.Boolean(),
    highTechZone: Type.Boolean(),
    construction: Type.Union([Type.Boolean(), Type.Null()]),
    rulebookVersion: Type.Object(
      { version: Type.String(), effectiveFrom: Type.String({ format: 'date' }), pinned: Type.Boolean(), pinnedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]) },
      { description: 'The version the project follows: pinned when the dossier is accepted complete, before that the version in force now' },
    ),
    state: StateEnum,
    round: Type.Integer({ description: 'Appraisal round: 2+ after a reported technology change (Art. 13.4)' }),
    appraisalMode: Type.Union([Type.Literal('opinion'), Type.Literal('council'), Type.Null()]),
    revision: Type.Integer({ description: 'Also sent as ETag; send it back in If-Match' }),
    machine: Type.Object({ id: Type.String(), version: Type.Integer() }),
    createdBy: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
    allowedActions: Type.Array(ActionEnum, { description: 'What the caller can do now' }),
    appointmentDate: Type.Union([Type.String({ format: 'date' }), Type.Null()], { description: "The receipt's appointment date (Vietnam): the result step's due date, or the apology's new date" }),
    deadlines: Type.Array(DeadlineView, { description: 'The statutory deadlines of the current round, one per step (docs/clock.md)' }),
  },
  { $id: 'Project', additionalProperties: true },
);
const ProjectRef = Type.Ref(ProjectView);

const Machinery = Type.Object(
  {
    name: Text(300),
    hsCode: Type.String({ pattern: '^\\d{4}(\\.?\\d{2}){0,3}$', description: 'HS code: 4 to 10 digits, e.g. 8462 or 8462.10.10' }),
    manufactureYear: Type.Integer({ minimum: 1900, description: 'Not in the future' }),
    condition: Type.Union([Type.Literal('new'), Type.Literal('used')]),
    plannedImportYear: Type.Optional(Type.Integer({ minimum: 1900, maximum: 2999, description: 'Year the (used) machine is to be imported: its age is counted against it (Decision 18/2019)' })),
    oecdFactoriesInUse: Type.Optional(Type.Integer({ minimum: 0, maximum: 100000, description: 'Used technological line: number of factories in OECD countries where it is in use' })),
    evidenceDocument: Type.Optional(Type.String({ maxLength: 100, description: "Evidence of a used machine's year and standards: manufacturer_certificate | inspection_certificate" })),
    remainingCapacityPct: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
    consumptionVsDesignPct: Type.Optional(Type.Number({ minimum: 0, maximum: 1000, description: 'Material/energy consumption as % of design (100 = as designed)' })),
    standards: Type.Array(Text(100), { maxItems: 30 }),
    partOfLine: Type.Optional(Type.Boolean({ description: 'Part of a technological line (line thresholds apply)' })),
    quantity: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
  },
  { additionalProperties: false },
);
export const TechnologyDeclarationBody = Type.Object(
  {
    technologies: Type.Array(
      Type.Object(
        {
          name: Text(300),
          origin: Text(200),
          description: Type.Optional(Type.String({ maxLength: 5000, pattern: '^[^\\u0000]*$' })),
          provenInDevelopedCountries: Type.Optional(Type.Boolean()),
          figures: Type.Optional(
            Type.Record(Type.String({ pattern: '^[a-z0-9][a-z0-9_]{0,63}$' }), Type.Number(), {
              description: 'Declared figures the lists\' numeric conditions are evaluated against, e.g. { "annual_capacity_m2": 1500000 }',
              maxProperties: 20,
            }),
          ),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 100 },
    ),
    machinery: Type.Array(Machinery, { maxItems: 2000 }),
  },
  { additionalProperties: false },
);
export type TechnologyDeclaration = Static<typeof TechnologyDeclarationBody>;

const NoteBody = Type.Object({ note: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false });

export interface ProjectRoutesOptions {
  projects: ProjectService;
  clock: () => Date;
}

export const projectRoutes: FastifyPluginAsync<ProjectRoutesOptions> = async (fastify, { projects, clock }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['projects'];
  const commandErrors = errorResponses(400, 401, 403, 404, 409, 412, 422, 429);

  app.post(
    '/v1/projects',
    {
      config: { access: { roles: ['investor'], write: true } },
      schema: {
        operationId: 'createProject',
        tags,
        summary: 'Register a project (state draft) for your organisation',
        headers: Type.Pick(CommandHeaders, ['idempotency-key']),
        body: NewProjectBody,
        response: { 201: ProjectRef, ...errorResponses(400, 401, 403, 409, 422, 429) },
      },
    },
    async (request, reply) => sendResult(reply, await projects.create(principalOf(request), request.body, commandMeta(request))),
  );

  app.get(
    '/v1/projects',
    {
      config: { access: { roles: 'any', write: false } },
      schema: {
        operationId: 'listProjects',
        tags,
        summary: 'Projects visible to the caller, newest first, with cursor paging',
        querystring: Type.Object(
          {
            state: Type.Optional(StateEnum),
            stage: Type.Optional(Type.Union([Type.Literal('investment_policy'), Type.Literal('investment_decision')])),
            organisation: Type.Optional(Type.String({ maxLength: 200 })),
            q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Search in name and tracking code' })),
            limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
            cursor: Type.Optional(Type.String({ maxLength: 500 })),
            due_before: Type.Optional(Type.String({ format: 'date-time', description: 'Projects with an open deadline due before this instant' })),
            overdue: Type.Optional(Type.Boolean({ description: 'Projects with (true) or without (false) an open deadline past its due instant' })),
            paused: Type.Optional(Type.Boolean({ description: 'Projects whose clock is (true) or is not (false) paused for supplementation' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ items: Type.Array(ProjectRef), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...errorResponses(400, 401, 403, 429) },
      },
    },
    async (request) => {
      const { due_before, ...q } = request.query;
      return projects.list(principalOf(request), { ...q, ...(due_before ? { dueBefore: due_before } : {}) });
    },
  );

  app.get(
    '/v1/projects/:id',
    {
      config: { access: { roles: 'any', write: false } },
      schema: {
        operationId: 'getProject',
        tags,
        summary: 'A project, its revision (also the ETag) and what the caller can do now',
        params: Id,
        response: { 200: ProjectRef, ...errorResponses(401, 403, 404, 429) },
      },
    },
    async (request, reply) => {
      const view = await projects.get(principalOf(request), request.params.id);
      reply.header('etag', `"${view.revision}"`);
      return view;
    },
  );

  app.put(
    '/v1/projects/:id/technology',
    {
      config: { access: { roles: ['investor'], write: true } },
      schema: {
        operationId: 'declareTechnology',
        tags,
        summary: 'Declare (or replace) the technology and machinery; only while the project is editable',
        params: Id,
        headers: CommandHeaders,
        body: TechnologyDeclarationBody,
        response: { 200: ProjectRef, ...commandErrors },
      },
    },
    async (request, reply) => {
      const year = vietnamYear(clock());
      request.body.machinery.forEach((m, i) => {
        if (m.manufactureYear > year) {
          throw new ValidationError(`machinery[${i}].manufactureYear ${m.manufactureYear} is in the future`, { errors: [{ path: `/machinery/${i}/manufactureYear`, message: 'is in the future' }] });
        }
      });
      return sendResult(reply, await projects.declareTechnology(principalOf(request), request.params.id, request.body, commandMeta(request)));
    },
  );

  app.get(
    '/v1/projects/:id/technology',
    {
      config: { access: { roles: 'any', write: false } },
      schema: {
        operationId: 'getTechnologyDeclaration',
        tags,
        summary: 'The current technology and machinery declaration',
        params: Id,
        response: { 200: Type.Object({ version: Type.Integer(), declaredBy: Type.String(), declaredAt: Type.String() }, { additionalProperties: true }), ...errorResponses(401, 403, 404, 429) },
      },
    },
    async (request) => {
      const decl = await projects.currentDeclaration(principalOf(request), request.params.id);
      if (!decl) throw new ValidationError('This project has no technology declaration yet', {}, 'DECLARATION_MISSING');
      return decl;
    },
  );

  const command = <B extends Parameters<typeof Type.Object>[0]>(
    path: string,
    operationId: string,
    summary: string,
    roles: Array<'investor' | 'clerk' | 'appraiser' | 'approver'>,
    body: ReturnType<typeof Type.Object<B>>,
    run: (principal: ReturnType<typeof principalOf>, id: string, input: Static<typeof body>, meta: ReturnType<typeof commandMeta>) => ReturnType<ProjectService['submit']>,
  ) =>
    app.post(
      path,
      {
        config: { access: { roles, write: true } },
        schema: { operationId, tags, summary, params: Id, headers: CommandHeaders, body, response: { 200: ProjectRef, ...commandErrors } },
      },
      async (request, reply) =>
        sendResult(reply, await run(principalOf(request), (request.params as { id: string }).id, (request.body ?? {}) as Static<typeof body>, commandMeta(request))),
    );

  command('/v1/projects/:id/submit', 'submitProject', 'Submit the dossier: screening runs, then completeness review (investor)', ['investor'], NoteBody, (p, id, b, m) =>
    projects.submit(p, id, b, m),
  );
  command('/v1/projects/:id/resubmit', 'resubmitProject', 'Answer a supplementation request (investor)', ['investor'], NoteBody, (p, id, b, m) => projects.resubmit(p, id, b, m));
  command(
    '/v1/projects/:id/completeness',
    'checkCompleteness',
    'Completeness check: complete → appraisal; incomplete → supplementation request (clerk)',
    ['clerk'],
    Type.Object(
      {
        result: Type.Union([Type.Literal('complete'), Type.Literal('incomplete')]),
        missing: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 50 })),
        note: Type.Optional(Type.String({ maxLength: 2000 })),
        reasons: Type.Optional(
          Type.Record(Type.String({ pattern: '^[a-z0-9_.-]{1,200}$' }), Type.String({ minLength: 1, maxLength: 2000 }), {
            maxProperties: 50,
            description: 'Why each missing component is needed (by component code); printed on the supplementation request (Mẫu 02). Default: the note',
          }),
        ),
      },
      { additionalProperties: false },
    ),
    (p, id, b, m) => projects.completeness(p, id, b, m),
  );
  command(
    '/v1/projects/:id/deadline-extension',
    'extendDeadline',
    'Extend a decision-stage period once, by at most its own length, with the written notice and its reasons (Art. 18.1(d)) (clerk, appraiser)',
    ['clerk', 'appraiser'],
    Type.Object(
      {
        step: Type.String({ minLength: 1, maxLength: 100, description: 'The deadline step, e.g. appraisal' }),
        days: Type.Integer({ minimum: 1, maximum: 365 }),
        notice: Type.String({ minLength: 10, maxLength: 4000, description: 'The written notice to the investor / construction authority, with the reasons' }),
      },
      { additionalProperties: false },
    ),
    (p, id, b, m) => projects.extendDeadline(p, id, b, m),
  );
  command(
    '/v1/projects/:id/apology',
    'issueApology',
    'Issue the apology slip (Mẫu 04) with a new appointment date, by default the one drafted before the due date (clerk)',
    ['clerk'],
    Type.Object(
      {
        step: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
        newAppointmentDate: Type.Optional(Type.String({ format: 'date' })),
        reason: Type.String({ minLength: 5, maxLength: 2000, description: 'Why the result will be late' }),
      },
      { additionalProperties: false },
    ),
    (p, id, b, m) => projects.issueApology(p, id, b, m),
  );
  command(
    '/v1/projects/:id/assignments',
    'assignAppraisers',
    'Assign appraisers for the current round (clerk)',
    ['clerk'],
    Type.Object(
      {
        appraisers: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { minItems: 1, maxItems: 25 }),
        mode: Type.Optional(Type.Union([Type.Literal('opinion'), Type.Literal('council')])),
      },
      { additionalProperties: false },
    ),
    (p, id, b, m) => projects.assign(p, id, b, m),
  );
  command(
    '/v1/projects/:id/conflict-of-interest',
    'declareConflictOfInterest',
    'Declare a conflict of interest: the appraiser is recused and cannot be assigned again (assigned appraiser)',
    ['appraiser'],
    Type.Object({ statement: Text(2000) }, { additionalProperties: false }),
    (p, id, b, m) => projects.declareConflict(p, id, b, m),
  );
  command(
    '/v1/projects/:id/withdraw',
    'withdrawProject',
    'Withdraw the project before a decision (investor)',
    ['investor'],
    Type.Object({ reason: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false }),
    (p, id, b, m) => projects.withdraw(p, id, b, m),
  );
};
