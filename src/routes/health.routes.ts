import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Database } from '../infra/database';
import type { ObjectStorage } from '../infra/object-storage';
import { errorResponses } from '../http/schemas';
import { ServiceUnavailableError } from '../errors';

const CHECK_TIMEOUT_MS = 2_000;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e) => (clearTimeout(t), reject(e)),
    );
  });
}

const Check = Type.Union([Type.Literal('ok'), Type.Literal('failing')]);

export const healthRoutes: FastifyPluginAsync<{ database: Database; storage: ObjectStorage }> = async (app, { database, storage }) => {
  app.get(
    '/healthz',
    {
      config: { access: { public: true } },
      schema: {
        operationId: 'getHealth',
        tags: ['meta'],
        summary: 'Liveness: the process is up',
        security: [],
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      config: { access: { public: true } },
      schema: {
        operationId: 'getReadiness',
        tags: ['meta'],
        summary: 'Readiness: Postgres and object storage answer',
        security: [],
        response: {
          200: Type.Object({ status: Type.Literal('ready'), checks: Type.Object({ database: Check, storage: Check }) }),
          ...errorResponses(503),
        },
      },
    },
    async (request) => {
      const [db, s3] = await Promise.allSettled([
        withTimeout(database.sql`select 1`, CHECK_TIMEOUT_MS),
        withTimeout(storage.ping(), CHECK_TIMEOUT_MS),
      ]);
      const checks = { database: db.status === 'fulfilled' ? 'ok' : 'failing', storage: s3.status === 'fulfilled' ? 'ok' : 'failing' } as const;
      if (db.status === 'rejected') request.log.warn({ err: db.reason }, 'readiness: database check failed');
      if (s3.status === 'rejected') request.log.warn({ err: s3.reason }, 'readiness: storage check failed');
      if (checks.database === 'ok' && checks.storage === 'ok') return { status: 'ready' as const, checks };
      const failing = Object.entries(checks).filter(([, v]) => v === 'failing').map(([k]) => k);
      throw new ServiceUnavailableError(`Not ready: ${failing.join(' and ')} not answering`, 'NOT_READY', { checks });
    },
  );
};
