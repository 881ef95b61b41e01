import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Db } from '../infra/database';
import { errorResponses } from '../http/schemas';
import { principalOf } from '../http/access-control';
import { loadVisibleProject } from '../modules/projects/project-access';
import { projectHistory } from '../modules/audit/audit-reader';
import type { CheckpointService } from '../modules/audit/checkpoint-service';

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

const InclusionProofSchema = Type.Object(
  {
    checkpoint: Type.Object(
      {
        id: Type.Integer(),
        version: Type.Literal(2),
        previousId: Type.Union([Type.Integer(), Type.Null()]),
        createdAt: Type.String({ format: 'date-time' }),
        seqHighWater: Type.Integer(),
        chainCount: Type.Integer({ description: 'Tree size' }),
        headsDigest: Type.String({ description: 'RFC 6962 Merkle root over every chain head' }),
        counts: Type.Object({ decided: Type.Integer(), appraised: Type.Integer(), events: Type.Integer() }),
        keyId: Type.String(),
        signature: Type.String({ description: 'base64url Ed25519 over the RFC 8785 JSON of version, createdAt, seqHighWater, chainCount, headsDigest, previousId, counts' }),
        reason: Type.String(),
      },
      { description: 'The latest signed checkpoint (without its changed heads)' },
    ),
    leafIndex: Type.Integer(),
    treeSize: Type.Integer(),
    leaf: Type.Object({ chainId: Type.String(), chainSeq: Type.Integer(), rowHash: Type.String() }, { description: 'The head this checkpoint holds for the project: leaf = SHA-256(0x00 ‖ "chainId chainSeq rowHash")' }),
    auditPath: Type.Array(Type.String(), { description: 'Sibling hashes, leaf to root (RFC 6962 §2.1.1)' }),
  },
  { description: 'Proof that the project chain up to leaf.chainSeq is included in a signed checkpoint; check it with `npm run verify-export -- --history <this response> --public-key <pem>`' },
);

export const historyRoutes: FastifyPluginAsync<{ db: Db; checkpoints?: CheckpointService }> = async (fastify, { db, checkpoints }) => {
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
        querystring: Type.Object(
          {
            proof: Type.Boolean({
              default: false,
              description: 'Also return the proof that the chain is included in the latest signed checkpoint (null when no checkpoint covers it yet)',
            }),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            projectId: Type.String(),
            events: Type.Array(Type.Ref(AuditEvent)),
            proof: Type.Optional(Type.Union([InclusionProofSchema, Type.Null()])),
          }),
          ...errorResponses(400, 401, 403, 404, 429),
        },
      },
    },
    async (request) => {
      const { project } = await loadVisibleProject(db, principalOf(request), request.params.id);
      const events = await projectHistory(db, project.id);
      if (!request.query.proof) return { projectId: project.id, events };
      // The proof's head is the checkpoint's; events appended since are in `events` and chain onto it.
      const proof = checkpoints ? await checkpoints.inclusionProof(project.id) : null;
      return { projectId: project.id, events, proof: proof as Static<typeof InclusionProofSchema> | null };
    },
  );
};
