import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ForbiddenError, UnauthenticatedError, type AppError } from '../errors';
import type { Principal, TokenVerifier } from '../auth/token-verifier';
import type { Role } from '../auth/roles';

/**
 * Every route declares who may call it, in `config.access`; a route without a declaration
 * stops the app from starting. So no route can forget authentication.
 *
 * - `{ public: true }`: no token (health, API documentation).
 * - `{ roles: [...] | 'any', write }`: a verified bearer token carrying one of the roles.
 *   `write: true` routes are refused to any token holding `auditor` (auditors never write).
 * Object-level rules (whose project) are the services' work.
 */
export type AccessRule = { public: true } | { roles: readonly Role[] | 'any'; write: boolean };

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: AccessRule;
  }
  interface FastifyRequest {
    principal?: Principal;
    /** Set when access control refused the request; answered after the rate limiter counted it. */
    accessDenial?: AccessDenial;
  }
}

export interface AccessDenial {
  principal: Principal | undefined;
  request: FastifyRequest;
  error: AppError;
}

/** The principal of an authenticated route (throws if called on a public route). */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new UnauthenticatedError();
  return request.principal;
}

// Documentation assets registered by @fastify/swagger-ui are public by nature.
const DOC_ASSETS = /^\/docs(\/|$)/;

export interface AccessControlOptions {
  verifier: TokenVerifier;
  /** Called after a principal is verified (e.g. to keep the directory of people current). */
  onPrincipal?: (principal: Principal) => Promise<void>;
  /**
   * Called when a request is refused (401/403) before reaching its handler, after the rate
   * limiter has counted it (a refused request over the limit gets 429 and is not recorded).
   */
  onDenied?: (denial: AccessDenial) => Promise<void>;
}

export interface RouteEntry {
  method: string;
  url: string;
  access: AccessRule;
}
const catalogues = new WeakMap<FastifyInstance, RouteEntry[]>();

/** Every route registered after access control, with its rule (the authorization matrix test reads this). */
export function routeCatalogue(app: FastifyInstance): readonly RouteEntry[] {
  return catalogues.get(app) ?? [];
}

export function registerAccessControl(app: FastifyInstance, opts: AccessControlOptions): void {
  const catalogue: RouteEntry[] = [];
  catalogues.set(app, catalogue);
  app.addHook('onRoute', (route) => {
    const methods = (Array.isArray(route.method) ? route.method : [route.method]).map(String).filter((m) => m !== 'HEAD');
    if (DOC_ASSETS.test(route.url)) {
      route.config = { ...(route.config ?? {}), access: { public: true } } as typeof route.config;
      return;
    }
    const access = (route.config as { access?: AccessRule } | undefined)?.access;
    if (!access) {
      throw new Error(`route ${methods.join(',')} ${route.url} declares no access rule (config.access)`);
    }
    for (const method of methods) catalogue.push({ method, url: route.url, access });
  });

  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config.access;
    // Unmatched URLs reach the not-found handler with no access rule: nothing to protect.
    if (!access || 'public' in access) return;

    // The refusal is answered in preParsing, not here: the rate limiter (an onRequest hook of
    // each route, so after this one) must count refused requests too, or a flood of them is free.
    const deny = (error: AppError, principal?: Principal) => {
      request.accessDenial = { principal, request, error };
    };

    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(header.trim()) : null;
    if (!match) {
      return deny(new UnauthenticatedError(header ? 'The Authorization header must be "Bearer <token>"' : 'A bearer token is required'));
    }
    let principal: Principal;
    try {
      principal = await opts.verifier.verify(match[1]!);
    } catch (err) {
      return deny(err as AppError);
    }
    // request.principal is set only once every check passed: nothing downstream can mistake a
    // refused caller for an admitted one.
    if (principal.roles.length === 0) {
      return deny(new ForbiddenError('The token carries none of the roles this service knows', 'NO_ROLE', { rule: 'role' }), principal);
    }
    if (access.roles !== 'any' && !principal.roles.some((r) => (access.roles as readonly Role[]).includes(r))) {
      return deny(new ForbiddenError(`This action needs one of the roles: ${access.roles.join(', ')}`, 'ROLE_NOT_ALLOWED', { rule: 'role' }), principal);
    }
    if (access.write && principal.roles.includes('auditor')) {
      return deny(new ForbiddenError('Auditors have read-only access', 'READ_ONLY_ROLE', { rule: 'read_only' }), principal);
    }
    request.principal = principal;
    await opts.onPrincipal?.(principal);
  });

  app.addHook('preParsing', async (request) => {
    const denial = request.accessDenial;
    if (!denial) return;
    const { principal, error } = denial;
    request.log.warn(
      { caller: principal?.sub ?? null, roles: principal?.roles ?? [], route: `${request.method} ${request.routeOptions.url}`, reason: error.code },
      'access denied',
    );
    await opts.onDenied?.(denial).catch((err) => request.log.error({ err }, 'recording a denial failed'));
    throw error;
  });
}
