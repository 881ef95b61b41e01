import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import formbody from '@fastify/formbody';
import secureSession from '@fastify/secure-session';
import csrfProtection from '@fastify/csrf-protection';
import helmet from '@fastify/helmet';
import type Provider from 'oidc-provider';
import type { AppConfig } from '../config';
import type { AccountStore } from '../auth/oidc-account-store';
import type { OidcWebClient } from '../auth/oidc-web-client';
import type { Role } from '../auth/roles';
import { AppError, ForbiddenError, UnauthenticatedError } from '../errors';
import { registerStaticAssets, type StaticAssets } from './static-assets';
import { localeOf, pageContext, roleHome, safeReturnTo, type PageContext } from './page-context';
import { isLocale, translator } from './i18n/translator';
import { messageView } from './views/signin.view';
import { registerSignInRoutes } from './signin-routes';
import { html } from './html';

export interface WebPluginOptions {
  config: AppConfig;
  sessionKey: Buffer;
  client: OidcWebClient;
  /** Present with the embedded provider: our sign-in screens serve its interactions. */
  embedded?: { provider: Provider; accounts: AccountStore };
  /** The rest of the pages, registered inside the web scope (session, CSRF, CSP apply). */
  pages?: (app: FastifyInstance, tools: WebTools) => Promise<void>;
  clock?: () => Date;
}

export interface WebTools {
  assets: StaticAssets;
  page(request: FastifyRequest, reply: FastifyReply): PageContext;
}

/** Session checks for `config.access.session` routes: signed in, role, read-only auditors. */
function checkSession(request: FastifyRequest): void {
  const access = request.routeOptions.config.access;
  if (!access || !('session' in access)) return;
  const user = request.session.get('user');
  if (!user) throw new UnauthenticatedError('Sign in to use this page', 'SESSION_REQUIRED');
  if (access.session !== 'any' && !(access.session as readonly Role[]).includes(user.activeRole)) {
    throw new ForbiddenError(`This page needs one of the roles: ${access.session.join(', ')}`, 'ROLE_NOT_ALLOWED');
  }
  if (access.write && user.roles.includes('auditor')) throw new ForbiddenError('Auditors have read-only access', 'READ_ONLY_ROLE');
}

export const webPlugin: FastifyPluginAsync<WebPluginOptions> = async (app, opts) => {
  const { config } = opts;
  const clock = opts.clock ?? (() => new Date());
  const idleMs = config.web.sessionIdleMinutes * 60_000;
  const maxMs = config.web.sessionMaxHours * 3_600_000;

  await app.register(formbody, { bodyLimit: 256 * 1024 });
  await app.register(secureSession, {
    key: opts.sessionKey,
    cookieName: 'ta_session',
    // The cookie itself outlives no session: its absolute limit is the session's.
    expiry: config.web.sessionMaxHours * 3600,
    cookie: { path: '/', httpOnly: true, sameSite: 'lax', secure: config.web.cookieSecure },
  });
  await app.register(csrfProtection, {
    sessionPlugin: '@fastify/secure-session',
    // Multipart forms carry the token in the action URL: their body is read by the handler, after this check.
    getToken: (request) => (request.body as { _csrf?: string } | undefined)?._csrf ?? (request.query as { _csrf?: string } | undefined)?._csrf,
  });
  const providerOrigin = config.jwt.oidcIssuer ? new URL(config.jwt.oidcIssuer).origin : undefined;
  await app.register(helmet, {
    // No inline script anywhere: every behaviour works with links and forms.
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        frameAncestors: ["'none'"],
        // Form posts that end in a redirect to the provider (sign-out) need its origin here.
        formAction: ["'self'", ...(providerOrigin ? [providerOrigin] : [])],
        ...(config.web.cookieSecure ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    hsts: config.web.cookieSecure,
    crossOriginEmbedderPolicy: false,
  });

  const assets = registerStaticAssets(app);
  const tools: WebTools = { assets, page: (request, reply) => pageContext(request, reply, assets) };

  app.decorateRequest('locale', 'vi');
  app.addHook('onRequest', async (request) => {
    request.locale = localeOf(request);
    const user = request.session.get('user');
    if (user) {
      const now = clock().getTime();
      if (now - user.seenAt > idleMs || now - user.signedInAt > maxMs) {
        // delete() only drops the cookie at the reply; the data must go for this request too.
        request.session.set('user', undefined);
        request.session.delete();
      } else if (now - user.seenAt > 60_000) {
        // Rewriting the cookie at most once a minute keeps idle expiry without a write per request.
        request.session.set('user', { ...user, seenAt: now });
      }
    }
    try {
      checkSession(request);
    } catch (err) {
      // A page asked for without a session: go and sign in, then come back.
      if (err instanceof UnauthenticatedError && request.method === 'GET') {
        throw Object.assign(new AppError(303, 'SESSION_REQUIRED', 'Sign in'), { location: `/auth/signin?returnTo=${encodeURIComponent(request.url)}` });
      }
      throw err;
    }
  });
  app.addHook('preHandler', (request, reply, done) => {
    if (request.method === 'POST') app.csrfProtection(request, reply, done);
    else done();
  });

  // Pages answer in HTML; the code and request id are shown so a person can quote them.
  app.setErrorHandler((error: Error & { statusCode?: number; code?: string; location?: string }, request, reply) => {
    if (error.statusCode === 303 && error.location) return reply.redirect(error.location, 303);
    const status = error instanceof AppError ? error.statusCode : typeof error.statusCode === 'number' && error.statusCode < 500 ? error.statusCode : 500;
    const code = error instanceof AppError ? error.code : error.code === 'FST_CSRF_INVALID_TOKEN' || error.code === 'FST_CSRF_MISSING_SECRET' ? 'CSRF_TOKEN_INVALID' : status >= 500 ? 'INTERNAL' : (error.code ?? 'BAD_REQUEST');
    if (status >= 500) request.log.error({ err: error }, 'page failed');
    const t = translator(request.locale ?? 'vi');
    const message =
      code === 'CSRF_TOKEN_INVALID' ? t('error.csrf') : status === 403 ? t('error.forbidden') : status === 404 ? t('error.notFound') : status >= 500 ? t('error.title') : error.message;
    const ctx = tools.page(request, reply);
    return ctx.render(t('error.title'), messageView({ t, heading: t('error.title'), paragraphs: [message, t('error.code', { code, requestId: request.id })], link: { href: '/', text: t('error.back') } }), {
      status,
    });
  });

  // --- language and role: small posts that return where the person was
  app.post<{ Body: { locale?: string; returnTo?: string } }>('/language', { config: { access: { public: true, page: true } }, schema: { hide: true } }, async (request, reply) => {
    const locale = isLocale(request.body?.locale) ? request.body.locale : 'vi';
    reply.setCookie('lang', locale, { path: '/', maxAge: 365 * 24 * 3600, sameSite: 'lax', httpOnly: true, secure: config.web.cookieSecure });
    return reply.redirect(safeReturnTo(request.body?.returnTo), 303);
  });
  app.post<{ Body: { role?: string; returnTo?: string } }>('/role', { config: { access: { session: 'any', write: false } }, schema: { hide: true } }, async (request, reply) => {
    const user = request.session.get('user')!;
    const role = user.roles.find((r) => r === request.body?.role);
    if (role) request.session.set('user', { ...user, activeRole: role });
    // A page of the old role may not exist for the new one: go home.
    return reply.redirect(role && role !== user.activeRole ? '/' : safeReturnTo(request.body?.returnTo), 303);
  });

  // --- sign-in as a relying party (embedded provider or OIDC_ISSUER)
  app.get<{ Querystring: { returnTo?: string } }>('/auth/signin', { config: { access: { public: true, page: true } }, schema: { hide: true } }, async (request, reply) => {
    const returnTo = safeReturnTo(request.query.returnTo);
    if (request.session.get('user')) return reply.redirect(returnTo, 303);
    const { url, pending } = await opts.client.start(request.locale);
    request.session.set('pending', { ...pending, returnTo, startedAt: clock().getTime() });
    return reply.redirect(url, 303);
  });

  app.get<{ Querystring: Record<string, string> }>('/auth/callback', { config: { access: { public: true, page: true } }, schema: { hide: true } }, async (request, reply) => {
    const ctx = tools.page(request, reply);
    const pending = request.session.get('pending');
    const again = { href: '/auth/signin', text: ctx.t('signout.again') };
    if (!pending || clock().getTime() - pending.startedAt > 10 * 60_000) {
      return ctx.render(ctx.t('provider.errorTitle'), messageView({ t: ctx.t, heading: ctx.t('provider.errorTitle'), paragraphs: [ctx.t('signin.expired')], link: again }), { status: 400 });
    }
    if (request.query.error) {
      request.session.set('pending', undefined);
      return ctx.render(
        ctx.t('provider.errorTitle'),
        messageView({ t: ctx.t, heading: ctx.t('provider.errorTitle'), paragraphs: [String(request.query.error_description ?? request.query.error)], link: again }),
        { status: 400 },
      );
    }
    let signedIn;
    try {
      signedIn = await opts.client.finish(new URL(request.url, config.web.publicUrl), pending);
    } catch (err) {
      request.log.warn({ err }, 'OIDC callback refused');
      request.session.set('pending', undefined);
      return ctx.render(ctx.t('provider.errorTitle'), messageView({ t: ctx.t, heading: ctx.t('provider.errorTitle'), paragraphs: [ctx.t('signin.expired')], link: again }), { status: 400 });
    }
    request.session.set('pending', undefined);
    const { principal, idToken } = signedIn;
    if (principal.roles.length === 0) throw new ForbiddenError('Your account carries none of the roles this service knows', 'NO_ROLE');
    const now = clock().getTime();
    request.session.set('user', { sub: principal.sub, roles: principal.roles, org: principal.org, name: principal.name, activeRole: principal.roles[0]!, idToken, signedInAt: now, seenAt: now });
    return reply.redirect(pending.returnTo, 303);
  });

  app.post('/auth/signout', { config: { access: { public: true, page: true } }, schema: { hide: true } }, async (request, reply) => {
    const idToken = request.session.get('user')?.idToken;
    request.session.set('user', undefined);
    request.session.delete();
    const endSession = await opts.client.endSessionUrl(idToken).catch(() => undefined);
    return reply.redirect(endSession ?? '/auth/signed-out', 303);
  });

  app.get('/auth/signed-out', { config: { access: { public: true, page: true } }, schema: { hide: true } }, async (request, reply) => {
    const ctx = tools.page(request, reply);
    return ctx.render(ctx.t('signout.title'), messageView({ t: ctx.t, heading: ctx.t('signout.title'), paragraphs: [ctx.t('signout.done')], link: { href: '/auth/signin', text: ctx.t('signout.again') } }));
  });

  if (opts.embedded) registerSignInRoutes(app, { ...opts.embedded, tools, clock });

  app.get('/', { config: { access: { session: 'any', write: false } }, schema: { hide: true } }, async (request, reply) => {
    // Each role's home is where its work starts.
    if (opts.pages) return reply.redirect(roleHome(request, request.session.get('user')!.activeRole), 303);
    const ctx = tools.page(request, reply);
    return ctx.render(ctx.t('home.title'), html`<h1>${ctx.t('home.welcome', { name: ctx.user!.name ?? ctx.user!.sub })}</h1>`);
  });

  if (opts.pages) await opts.pages(app, tools);
};
