import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Database } from '../infra/database';
import type { ObjectStorage } from '../infra/object-storage';
import { errorResponses } from '../http/schemas';
import { ServiceUnavailableError } from '../errors';
import type { VirusScanSettings } from '../config';
import { DEFAULT_CLAMD_SOCKET } from '../config';
import { clamdPing } from '../infra/clamd-client';
import { existsSync } from 'node:fs';

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
const Dependency = Type.Object({
  status: Check,
  latencyMs: Type.Number(),
  error: Type.Optional(Type.String()),
  /** true when the service works without it (a scanner found but not configured: uploads are then "not scanned"); its failure does not make the answer 503. */
  optional: Type.Optional(Type.Boolean()),
});

/** A dependency probe beyond Postgres and storage (the identity provider; a scanner where configured). */
export type ReadinessProbe = () => Promise<unknown>;
/** A probe whose failure is reported but does not make the service unready. */
export type OptionalProbe = { probe: ReadinessProbe; optional: true };

/**
 * The virus scanner, when there is one: configured (CLAMD_SOCKET/CLAMD_HOST or VIRUS_SCAN=required:
 * uploads fail closed without it, so readiness does too), or found at Debian's default socket in
 * `auto` mode (reported, optional: without it uploads are recorded as not scanned).
 */
export function scannerProbe(settings: VirusScanSettings): ReadinessProbe | OptionalProbe | undefined {
  if (settings.mode === 'off') return undefined;
  const probe = () => clamdPing(settings.target, CHECK_TIMEOUT_MS);
  if (settings.mode === 'required' || settings.explicit) return probe;
  if ('socket' in settings.target && settings.target.socket === DEFAULT_CLAMD_SOCKET && existsSync(DEFAULT_CLAMD_SOCKET)) return { probe, optional: true };
  return undefined;
}

/** The embedded OpenID provider (mounted under `mountPath` of this app) answers its discovery document. */
export function embeddedProviderProbe(app: FastifyInstance, mountPath = '/oidc'): ReadinessProbe {
  return async () => {
    const res = await app.inject({ method: 'GET', url: `${mountPath}/.well-known/openid-configuration` });
    if (res.statusCode !== 200) throw new Error(`embedded provider discovery answered ${res.statusCode}`);
    if (typeof res.json().issuer !== 'string') throw new Error('embedded provider discovery has no issuer');
  };
}

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

export const healthRoutes: FastifyPluginAsync<{ database: Database; storage: ObjectStorage; probes?: Record<string, ReadinessProbe | OptionalProbe | undefined> }> = async (app, { database, storage, probes = {} }) => {
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
        summary: 'Readiness: Postgres, object storage, the identity provider and (where configured) the virus scanner answer',
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
      const named: Array<[string, ReadinessProbe | OptionalProbe]> = [['database', () => database.sql`select 1`], ['storage', () => storage.ping()]];
      for (const [name, p] of Object.entries(probes)) if (p) named.push([name, p]);
      const results = await Promise.all(
        named.map(async ([name, p]) => {
          const optional = typeof p !== 'function';
          return [name, { ...(await timedProbe(optional ? p.probe : p)), ...(optional ? { optional: true } : {}) }] as const;
        }),
      );
      const dependencies: Record<string, { status: 'ok' | 'failing'; latencyMs: number; error?: string; optional?: boolean }> = {};
      for (const [name, { reason, ...r }] of results) {
        if (r.status === 'failing') request.log.warn({ err: reason, dependency: name }, `readiness: ${name} check failed`);
        dependencies[name] = r;
      }
      const checks = { database: dependencies.database!.status, storage: dependencies.storage!.status };
      const failing = results.filter(([, r]) => r.status === 'failing' && !r.optional).map(([name]) => name);
      if (failing.length === 0) return { status: 'ready' as const, checks, dependencies };
      throw new ServiceUnavailableError(`Not ready: ${failing.join(' and ')} not answering`, 'NOT_READY', { checks, dependencies });
    },
  );
};
