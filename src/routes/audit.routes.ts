import { Readable } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Db } from '../infra/database';
import { errorResponses } from '../http/schemas';
import { sqlClientOf, type CheckpointService } from '../modules/audit/checkpoint-service';
import type { AuditEventFilter } from '../modules/audit/audit-query';
import { AuditBusyError, createAuditVerification, type AuditVerification } from '../modules/audit/audit-verification';
import { AuditEvent } from './history.routes';

export interface AuditRoutesOptions {
  db: Db;
  checkpoints: CheckpointService;
  /** Verification and exports with their concurrency caps, shared with the auditor's pages (one is made when absent). */
  verification?: AuditVerification;
}

const AUDITOR_ONLY = { access: { roles: ['auditor'] as const, write: false } };

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

const EventQuery = Type.Object(
  {
    projectId: Type.Optional(Type.String({ format: 'uuid', description: "Only this project's events (its chain)" })),
    actor: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'Only events by this actor (token `sub`)' })),
    action: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'Only this action, e.g. `decision.recorded`' })),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'occurredAt ≥ from (inclusive)' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'occurredAt < to (exclusive)' })),
    after: Type.Optional(Type.Integer({ minimum: 0, description: 'Cursor: only events with seq greater than this (`nextCursor` of the previous page)' })),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: 'Page size (json only; exports stream every match)' }),
    format: Type.Union([Type.Literal('json'), Type.Literal('ndjson'), Type.Literal('csv')], {
      default: 'json',
      description: '`json`: one page. `ndjson` / `csv`: every matching event (from `after` on), streamed as a download',
    }),
  },
  { additionalProperties: false },
);

const EventPage = Type.Object({
  items: Type.Array(Type.Ref(AuditEvent)),
  nextCursor: Nullable(Type.Integer({ description: 'Pass as `after` for the next page; null on the last page' })),
});

const CheckpointSummary = Type.Object({
  id: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
  seqHighWater: Type.Integer(),
  chainCount: Type.Integer(),
  headsDigest: Type.String(),
});

const VerifyReport = Type.Object({
  ok: Type.Boolean({ description: 'Every chain, every checkpoint and every live head verifies' }),
  checked: Type.Integer({ description: 'Events walked' }),
  firstBadSeq: Nullable(Type.Integer({ description: 'Smallest seq with a problem (for a checkpoint head that is gone: its seqHighWater)' })),
  head: Type.Object({ seq: Nullable(Type.Integer()), chains: Type.Integer() }),
  checkpoints: Type.Object({ checked: Type.Integer(), ok: Type.Integer(), latest: Nullable(CheckpointSummary) }),
  problemCount: Type.Integer(),
  problems: Type.Array(
    Type.Object({
      source: Type.Union([Type.Literal('chain'), Type.Literal('checkpoint'), Type.Literal('live_head')]),
      kind: Type.String({ description: 'hash_mismatch, broken_link, chain_gap, bad_genesis, out_of_order, duplicate; signature, missing, mismatch, untracked; unrecorded' }),
      seq: Nullable(Type.Integer()),
      chainId: Nullable(Type.String()),
      chainSeq: Nullable(Type.Integer()),
      checkpointId: Nullable(Type.Integer()),
      detail: Type.String(),
    }),
    { description: 'The first problems found (problemCount has the total)' },
  ),
  mode: Type.Union([Type.Literal('incremental'), Type.Literal('full')], { description: 'incremental: from a checkpoint on; full: the whole log' }),
  since: Nullable(Type.Object({ checkpointId: Type.Integer(), seqHighWater: Type.Integer() }, { description: 'The checkpoint an incremental verification started from' })),
  durationMs: Type.Integer(),
});

const ChainHeadSchema = Type.Object({ chainId: Type.String(), chainSeq: Type.Integer(), rowHash: Type.String() });
const SignedCheckpointSchema = Type.Object(
  {
    id: Type.Integer(),
    version: Type.Literal(1),
    createdAt: Type.String({ format: 'date-time' }),
    seqHighWater: Type.Integer(),
    chainCount: Type.Integer(),
    headsDigest: Type.String(),
    counts: Type.Object({ decided: Type.Integer(), appraised: Type.Integer(), events: Type.Integer() }),
    keyId: Type.String(),
    signature: Type.String({ description: 'base64url Ed25519 over the RFC 8785 JSON of version, createdAt, seqHighWater, chainCount, headsDigest, counts' }),
    reason: Type.String(),
    heads: Type.Array(ChainHeadSchema),
  },
  { $id: 'SignedCheckpoint' },
);

const CheckpointList = Type.Object({
  publicKeyPem: Type.String({ description: 'Ed25519 public key (SPKI PEM); obtain it out of band too, to prove origin' }),
  keyId: Type.String(),
  checkpoints: Type.Array(Type.Ref(SignedCheckpointSchema)),
});

/** Auditor routes: event search and exports, chain verification, signed checkpoints. */
export const auditRoutes: FastifyPluginAsync<AuditRoutesOptions> = async (fastify, { db, checkpoints, verification: shared }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const client = sqlClientOf(db);
  app.addSchema(SignedCheckpointSchema);
  // A checkpoint being signed must finish before the database closes under it.
  app.addHook('onClose', async () => checkpoints.stop());

  const verification = shared ?? createAuditVerification({ db, checkpoints });
  // A refusal for too many running at once says when to come back.
  const retryWhenBusy = <T>(reply: { header(name: string, value: string): unknown }, work: () => T): T => {
    try {
      return work();
    } catch (err) {
      if (err instanceof AuditBusyError) reply.header('retry-after', '5');
      throw err;
    }
  };

  app.get(
    '/v1/audit/events',
    {
      config: AUDITOR_ONLY,
      schema: {
        operationId: 'searchAuditEvents',
        tags: ['audit'],
        summary: 'Search the audit log; export it as NDJSON or CSV',
        description:
          'Filters combine with AND; events come in seq order. `format=json` answers one page (`limit`, cursor `after`). ' +
          '`format=ndjson` streams every matching event as one AuditEvent JSON per line — the input of `npm run verify-export` ' +
          '(export without filters for a verifiable file) — and `format=csv` as RFC 4180 CSV with a header row ' +
          '(roles space-separated, payload as JSON text).',
        querystring: EventQuery,
        response: {
          200: {
            description: 'A page (json), or the export (ndjson, csv)',
            content: {
              'application/json': { schema: EventPage },
              'application/x-ndjson': { schema: Type.String({ description: 'One AuditEvent JSON per line' }) },
              'text/csv': { schema: Type.String({ description: 'RFC 4180, header row, CRLF line ends' }) },
            },
          },
          ...errorResponses(400, 401, 403, 429),
        },
      },
    },
    async (request, reply) => {
      const q = request.query as Static<typeof EventQuery>;
      const filter: AuditEventFilter = { projectId: q.projectId, actor: q.actor, action: q.action, from: q.from, to: q.to, after: q.after };
      if (q.format === 'json') {
        return reply.type('application/json; charset=utf-8').send(await verification.search(filter, q.limit));
      }
      const { stream, contentType, fileName } = retryWhenBusy(reply, () => verification.openExport(filter, q.format as 'csv' | 'ndjson'));
      stream.once('error', (err) => request.log.error({ err }, 'audit export failed mid-stream'));
      return reply
        .type(contentType)
        .header('content-disposition', `attachment; filename="${fileName}"`)
        .header('cache-control', 'no-store')
        .send(stream as never); // a stream is sent as is; the type provider only knows the json shape
    },
  );

  app.get(
    '/v1/audit/verify',
    {
      config: AUDITOR_ONLY,
      schema: {
        operationId: 'verifyAuditLog',
        tags: ['audit'],
        summary: 'Verify the hash chains, the signed checkpoints and the live chain heads',
        description:
          'By default incremental: the checkpoint chain (signatures, previousId, Merkle roots), the heads of checkpoint `since` ' +
          '(default: the latest) still in the log, and every event after them, which costs what changed since that checkpoint. ' +
          '`full=true` walks the whole log in seq order (one consistent snapshot) with the same rules as `npm run verify-export`: ' +
          'hashes, links and gapless positions of every chain; every checkpoint signature and its heads still present with the same hash ' +
          '(which catches a truncated or re-sealed tail); and the live heads the write path appends from. Only the full walk rehashes events older than `since`.',
        querystring: Type.Object(
          {
            full: Type.Boolean({ default: false, description: 'Walk and rehash the whole log (for audits)' }),
            since: Type.Optional(Type.Integer({ minimum: 1, description: 'Incremental from this checkpoint id (default: the latest)' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: VerifyReport, ...errorResponses(400, 401, 403, 404, 429) },
      },
    },
    async (request, reply) => {
      const { full, since } = request.query;
      try {
        return await verification.verify({ full, since });
      } catch (err) {
        if (err instanceof AuditBusyError) reply.header('retry-after', '5');
        throw err;
      }
    },
  );

  app.get(
    '/v1/audit/denials',
    {
      config: AUDITOR_ONLY,
      schema: {
        operationId: 'listAccessDenials',
        tags: ['audit'],
        summary: 'Refused commands, counted per caller, project and 10-minute window',
        description:
          'A flood of refused commands cannot grow the audit log: the first refusal of a caller on a project in a window appends one ' +
          '`access.denied` event (`auditSeq`), and later ones are counted here (how many, which actions and codes, first and last time). ' +
          'The next window’s event carries the previous window’s totals into the hash chain. Newest windows first.',
        querystring: Type.Object(
          {
            projectId: Type.Optional(Type.String({ format: 'uuid' })),
            actor: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
            limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                actor: Type.String(),
                projectId: Type.String({ format: 'uuid' }),
                windowStart: Type.String({ format: 'date-time' }),
                count: Type.Integer(),
                actions: Type.Record(Type.String(), Type.Integer()),
                codes: Type.Record(Type.String(), Type.Integer()),
                firstAt: Type.String({ format: 'date-time' }),
                lastAt: Type.String({ format: 'date-time' }),
                auditSeq: Nullable(Type.Integer()),
              }),
            ),
          }),
          ...errorResponses(400, 401, 403, 429),
        },
      },
    },
    async (request) => {
      const { projectId, actor, limit } = request.query;
      const rows = await client<Array<{ principal_sub: string; project_id: string; window_start: Date; count: number; actions: Record<string, number>; codes: Record<string, number>; first_at: Date; last_at: Date; audit_seq: string | null }>>`
        select * from access_denial_windows
        where (${projectId ?? null}::uuid is null or project_id = ${projectId ?? null}::uuid)
          and (${actor ?? null}::text is null or principal_sub = ${actor ?? null}::text)
        order by window_start desc, last_at desc limit ${limit}
      `;
      return {
        items: rows.map((r) => ({
          actor: r.principal_sub,
          projectId: r.project_id,
          windowStart: new Date(r.window_start).toISOString(),
          count: r.count,
          actions: r.actions,
          codes: r.codes,
          firstAt: new Date(r.first_at).toISOString(),
          lastAt: new Date(r.last_at).toISOString(),
          auditSeq: r.audit_seq === null ? null : Number(r.audit_seq),
        })),
      };
    },
  );

  app.get(
    '/v1/audit/checkpoints/public-key',
    {
      config: AUDITOR_ONLY,
      schema: {
        operationId: 'getAuditCheckpointPublicKey',
        tags: ['audit'],
        summary: 'The Ed25519 public key that signs the checkpoints, as a PEM file',
        description:
          'Save it as `checkpoint.pub.pem` and pass it to `npm run verify-export -- events.ndjson checkpoints.json --public-key checkpoint.pub.pem`; ' +
          'compare its key id (header `x-key-id`) with one obtained out of band to prove the checkpoints come from this service.',
        response: {
          200: { description: 'SPKI PEM', content: { 'application/x-pem-file': { schema: Type.String() } } },
          ...errorResponses(401, 403, 429),
        },
      },
    },
    async (_request, reply) => {
      const { pem, keyId } = await checkpoints.publicKey();
      return reply
        .type('application/x-pem-file')
        .header('content-disposition', 'attachment; filename="checkpoint.pub.pem"')
        .header('x-key-id', keyId)
        .send(pem);
    },
  );

  app.get(
    '/v1/audit/checkpoints',
    {
      config: AUDITOR_ONLY,
      schema: {
        operationId: 'listAuditCheckpoints',
        tags: ['audit'],
        summary: 'Signed checkpoints of the chain heads, with the public key',
        description:
          'Exactly the checkpoints file `npm run verify-export -- <events.ndjson> <checkpoints.json>` reads (save the body as is). ' +
          'Oldest first, streamed; `latest=N` returns only the newest N. Every checkpoint lists every chain head.',
        querystring: Type.Object(
          { latest: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, description: 'Only the newest N checkpoints' })) },
          { additionalProperties: false },
        ),
        response: { 200: CheckpointList, ...errorResponses(400, 401, 403, 429) },
      },
    },
    async (request, reply) => {
      // Streamed: every checkpoint carries every chain head, and there is one per interval.
      await checkpoints.publicKey(); // fail here (a clean 500) rather than mid-stream
      const stream = Readable.from(checkpoints.exportJson({ latest: request.query.latest }), { objectMode: false });
      stream.once('error', (err) => request.log.error({ err }, 'checkpoint listing failed mid-stream'));
      return reply.type('application/json; charset=utf-8').header('cache-control', 'no-store').send(stream as never);
    },
  );
};
