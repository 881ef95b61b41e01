import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppConfig } from './config';
import type { Database } from './infra/database';
import type { ObjectStorage } from './infra/object-storage';
import { registerErrorHandling } from './http/error-handler';
import { registerOpenApi } from './http/openapi';
import { healthRoutes } from './routes/health.routes';
import { SERVICE_VERSION } from './version';

export interface AppDeps {
  config: AppConfig;
  database: Database;
  storage: ObjectStorage;
  /** A pino logger (server.ts), or undefined for a silent app (tests). */
  logger?: FastifyBaseLogger;
}

// A client-supplied request id is echoed only when it is short and plain.
const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

/** Builds the whole app without listening: external plugins → app plugins → routes. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID_RE.test(incoming) ? incoming : randomUUID();
    },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  registerErrorHandling(app);
  await registerOpenApi(app, { version: SERVICE_VERSION });

  await app.register(healthRoutes, { database: deps.database, storage: deps.storage });

  return app;
}
