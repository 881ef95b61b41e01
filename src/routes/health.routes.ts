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
const Dependency = Type.Object({ status: Check, latencyMs: Type.Number(), error: Type.Optional(Type.String()) });

/** A dependency probe beyond Postgres and storage (the identity provider; a scanner where configured). */
export type ReadinessProbe = () => Promise<unknown>;

/** The identity provider answers its discovery document (when OIDC_ISSUER is set). */
export function oidcDiscoveryProbe(issuer: string): ReadinessProbe {
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  return async () => {
    const res = await fetch(url, { signal: AbortSignal.timeout(CHECK_TIMEOUT_MS) });
    await res.body?.cancel();
    if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  };
}

async function timedProbe(probe: () => Promise<unknown>): Promise<{ status: 'ok' | 'failing'; latencyMs: number; error?: string; reason?: unknown }> {
  const started = performance.now();
  try {
    await withTimeout(probe(), CHECK_TIMEOUT_MS);
    return { status: 'ok', latencyMs: Math.round((performance.now() - started) * 10) / 10 };
  } catch (err) {
    // The reason is logged; the answer says only which dependency and that it failed.
    return { status: 'failing', latencyMs: Math.round((performance.now() - started) * 10) / 10, error: /timed out/.test(String((err as Error)?.message)) ? 'timed out' : 'not answering', reason: err };
  }
}

export const healthRoutes: FastifyPluginAsync<{ database: Database; storage: ObjectStorage; probes?: Record<string, ReadinessProbe> }> = async (app, { database, storage, probes = {} }) => {
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
          200: Type.Object({
            status: Type.Literal('ready'),
            checks: Type.Object({ database: Check, storage: Check }),
            /** Every dependency with its latency: database, storage, and identityProvider / scanner when configured. */
            dependencies: Type.Record(Type.String(), Dependency),
          }),
          ...errorResponses(503),
        },
      },
    },
    async (request) => {
      const named: Array<[string, ReadinessProbe]> = [['database', () => database.sql`select 1`], ['storage', () => storage.ping()], ...Object.entries(probes)];
      const results = await Promise.all(named.map(async ([name, probe]) => [name, await timedProbe(probe)] as const));
      const dependencies: Record<string, { status: 'ok' | 'failing'; latencyMs: number; error?: string }> = {};
      for (const [name, { reason, ...r }] of results) {
        if (r.status === 'failing') request.log.warn({ err: reason, dependency: name }, `readiness: ${name} check failed`);
        dependencies[name] = r;
      }
      const checks = { database: dependencies.database!.status, storage: dependencies.storage!.status };
      if (results.every(([, r]) => r.status === 'ok')) return { status: 'ready' as const, checks, dependencies };
      const failing = results.filter(([, r]) => r.status === 'failing').map(([name]) => name);
      throw new ServiceUnavailableError(`Not ready: ${failing.join(' and ')} not answering`, 'NOT_READY', { checks, dependencies });
    },
  );
};
