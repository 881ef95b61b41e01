import type { FastifyPluginAsync } from 'fastify';
import type Provider from 'oidc-provider';

/**
 * Hands /oidc/* to the embedded provider (a Koa app) untouched: its own body parsing, cookies
 * and responses. Fastify only routes, logs and rate-limits.
 */
export const oidcProviderMount: FastifyPluginAsync<{ provider: Provider; mountPath: string }> = async (app, opts) => {
  const callback = opts.provider.callback();
  app.removeAllContentTypeParsers();
  // Leave the body stream unread: the provider parses its own (form posts to /token, /session/end).
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));
  const handler = async (request: import('fastify').FastifyRequest, reply: import('fastify').FastifyReply) => {
    reply.hijack();
    const raw = request.raw as typeof request.raw & { originalUrl?: string };
    raw.originalUrl = raw.url;
    raw.url = raw.url!.slice(opts.mountPath.length) || '/';
    callback(raw, reply.raw);
  };
  const route = { config: { access: { public: true, page: true } as const, rateLimit: false as const }, schema: { hide: true } };
  app.all(opts.mountPath, route, handler);
  app.all(`${opts.mountPath}/*`, route, handler);
};
