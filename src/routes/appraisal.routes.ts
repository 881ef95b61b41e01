import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { errorResponses } from '../http/schemas';
import { CommandHeaders, commandMeta, sendResult } from '../http/command-headers';
import { principalOf } from '../http/access-control';
import type { AppraisalService } from '../modules/appraisal/appraisal-service';

const Id = Type.Object({ id: Type.String({ format: 'uuid' }) });
const Short = (max: number) => Type.String({ minLength: 1, maxLength: max });
const ProjectRef = Type.Ref('Project');
const commandErrors = errorResponses(400, 401, 403, 404, 409, 412, 422, 429);

const OpinionBody = Type.Object(
  {
    criteria: Type.Array(
      Type.Object(
        {
          criterion: Short(100),
          verdict: Type.Union([Type.Literal('meets'), Type.Literal('does_not_meet'), Type.Literal('not_applicable')]),
          comment: Type.Optional(Type.String({ maxLength: 4000 })),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 50, description: 'One verdict per criterion of the rulebook in force (Art. 19)' },
    ),
    recommendation: Type.Union([Type.Literal('approve'), Type.Literal('approve_with_conditions'), Type.Literal('reject')]),
    conditions: Type.Optional(Type.Array(Short(2000), { maxItems: 50 })),
    documentsReviewed: Type.Array(
      Type.Object({ documentId: Type.String({ format: 'uuid' }), sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }) }, { additionalProperties: false }),
      { minItems: 1, maxItems: 500, description: 'The exact document versions read: they must be the current ones, and cover every current required document' },
    ),
    documentsNotReviewed: Type.Optional(
      Type.Array(Type.Object({ component: Short(100), reason: Short(2000) }, { additionalProperties: false }), {
        maxItems: 50,
        description: 'Required dossier components not reviewed, each with the reason why not',
      }),
    ),
    reason: Type.Optional(Type.String({ maxLength: 4000, description: 'Why the appraiser recommends rejection: required for reject unless a criterion is does_not_meet' })),
    conflictOfInterest: Type.Object({ declared: Type.Boolean(), statement: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false }),
  },
  { additionalProperties: false },
);

export const DecisionBody = Type.Object(
  {
    outcome: Type.Union([Type.Literal('approved'), Type.Literal('approved_with_conditions'), Type.Literal('rejected')]),
    reasons: Type.Array(
      Type.Object(
        { text: Short(4000), findingId: Type.Optional(Type.String({ format: 'uuid' })), criterion: Type.Optional(Short(100)) },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 50, description: 'A rejection must cite at least one finding or criterion' },
    ),
    conditions: Type.Optional(Type.Array(Short(2000), { maxItems: 50 })),
  },
  { additionalProperties: false },
);

export const appraisalRoutes: FastifyPluginAsync<{ appraisal: AppraisalService }> = async (fastify, { appraisal }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['appraisal'];

  app.get(
    '/v1/projects/:id/findings',
    {
      config: { access: { roles: 'any', write: false } },
      schema: {
        operationId: 'getFindings',
        tags,
        summary: 'Findings of the latest screening, the rulebook version used, and the appraisal route the law asks for',
        params: Id,
        response: {
          200: Type.Object(
            {
              projectId: Type.String(),
              screened: Type.Boolean(),
              rulebookVersion: Type.Union([Type.String(), Type.Null()]),
              screenedAt: Type.Union([Type.String(), Type.Null()]),
              rulebookEffectiveFrom: Type.Union([Type.String({ format: 'date' }), Type.Null()]),
              route: Type.Union([
                Type.Object(
                  {
                    required: Type.Boolean(),
                    body: Type.String(),
                    form: Type.String({ description: 'appraisal | opinion | none' }),
                    citation: Type.String(),
                    verified: Type.Boolean(),
                    ruleId: Type.Optional(Type.String()),
                    rulebookVersion: Type.String(),
                    effectiveFrom: Type.String({ format: 'date' }),
                  },
                  { additionalProperties: true },
                ),
                Type.Null(),
              ]),
              findings: Type.Array(
                Type.Object({
                  id: Type.String(),
                  ruleId: Type.String(),
                  severity: Type.Union([Type.Literal('prohibited'), Type.Literal('restricted'), Type.Literal('outdated'), Type.Literal('info')]),
                  subject: Type.String(),
                  evidence: Type.String(),
                  citation: Type.String(),
                  verified: Type.Boolean({ description: 'False when the rulebook entry behind it is not verified against the gazette' }),
                  note: Type.Optional(Type.String()),
                  ref: Type.Object({}, { additionalProperties: true }),
                }),
              ),
            },
            { additionalProperties: true },
          ),
          ...errorResponses(401, 403, 404, 429),
        },
      },
    },
    async (request) => appraisal.getFindings(principalOf(request), request.params.id),
  );

  app.get(
    '/v1/projects/:id/appraisal',
    {
      config: { access: { roles: 'any', write: false } },
      schema: {
        operationId: 'getAppraisal',
        tags,
        summary: 'Appraisal rounds with assigned appraisers, opinions (and the document versions they rest on) and decisions',
        params: Id,
        response: { 200: Type.Object({ projectId: Type.String(), appraisals: Type.Array(Type.Object({}, { additionalProperties: true })) }), ...errorResponses(401, 403, 404, 429) },
      },
    },
    async (request) => appraisal.appraisalView(principalOf(request), request.params.id),
  );

  app.post(
    '/v1/projects/:id/opinions',
    {
      config: { access: { roles: ['appraiser'], write: true } },
      schema: { operationId: 'recordOpinion', tags, summary: 'Record a structured opinion (assigned appraiser); immutable once recorded', params: Id, headers: CommandHeaders, body: OpinionBody, response: { 200: ProjectRef, ...commandErrors } },
    },
    async (request, reply) => sendResult(reply, await appraisal.recordOpinion(principalOf(request), request.params.id, request.body, commandMeta(request))),
  );

  app.post(
    '/v1/projects/:id/decision',
    {
      config: { access: { roles: ['approver'], write: true } },
      schema: {
        operationId: 'decideProject',
        tags,
        summary: 'Approve, approve with conditions, or reject (approver who did not appraise it); impossible while prohibited or unresolved outdated findings exist',
        params: Id,
        headers: CommandHeaders,
        body: DecisionBody,
        response: { 200: ProjectRef, ...commandErrors },
      },
    },
    async (request, reply) => sendResult(reply, await appraisal.decide(principalOf(request), request.params.id, request.body, commandMeta(request))),
  );

  app.post(
    '/v1/projects/:id/escalate',
    {
      config: { access: { roles: ['clerk'], write: true } },
      schema: {
        operationId: 'escalateToCouncil',
        tags,
        summary: 'Escalate an opinion appraisal to a council (clerk)',
        params: Id,
        headers: CommandHeaders,
        body: Type.Object({ reason: Short(2000) }, { additionalProperties: false }),
        response: { 200: ProjectRef, ...commandErrors },
      },
    },
    async (request, reply) => sendResult(reply, await appraisal.escalate(principalOf(request), request.params.id, request.body, commandMeta(request))),
  );

  app.post(
    '/v1/projects/:id/technology-change',
    {
      config: { access: { roles: ['investor'], write: true } },
      schema: {
        operationId: 'reportTechnologyChange',
        tags,
        summary: 'Report a change of the approved technology: the change is appraised again (Art. 13.4)',
        params: Id,
        headers: CommandHeaders,
        body: Type.Object({ description: Short(4000) }, { additionalProperties: false }),
        response: { 200: ProjectRef, ...commandErrors },
      },
    },
    async (request, reply) => sendResult(reply, await appraisal.reportTechnologyChange(principalOf(request), request.params.id, request.body, commandMeta(request))),
  );
};
