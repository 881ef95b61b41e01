import type {} from '@fastify/secure-session';
import type {} from '@fastify/csrf-protection';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Role } from '../auth/roles';
import type { Principal } from '../auth/token-verifier';
import { isLocale, translator, type Locale, type MessageKey, type Translate } from './i18n/translator';
import { layout, type LayoutModel } from './views/layout.view';
import type { Html } from './html';
import type { StaticAssets } from './static-assets';

/** What the encrypted session cookie holds (no secrets of other people, only this user's). */
export interface SessionUser {
  sub: string;
  roles: Role[];
  org: string | null;
  name: string | null;
  activeRole: Role;
  /** For sign-out at the provider (id_token_hint). */
  idToken: string;
  /** Epoch milliseconds: sign-in time (absolute expiry) and last request (idle expiry). */
  signedInAt: number;
  seenAt: number;
}

declare module '@fastify/secure-session' {
  interface SessionData {
    user: SessionUser;
    pending: { state: string; nonce: string; codeVerifier: string; returnTo: string; startedAt: number };
    _csrf: string;
    /** A one-time password was verified in this interaction; the new one is still to be chosen. */
    passwordChange: { uid: string; sub: string; at: number };
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    locale: Locale;
  }
}

/** The principal pages pass to services: the chosen role only, so a multi-role user acts in one role at a time. */
export function webPrincipal(user: SessionUser): Principal {
  // An auditor stays read-only whatever role is chosen (the API's rule): keep 'auditor' in.
  const roles: Role[] = user.roles.includes('auditor') && user.activeRole !== 'auditor' ? [user.activeRole, 'auditor'] : [user.activeRole];
  return { sub: user.sub, roles, org: user.org, name: user.name };
}

export function localeOf(request: FastifyRequest): Locale {
  const fromCookie = request.cookies?.lang;
  return isLocale(fromCookie) ? fromCookie : 'vi';
}

/** A path on this site only (no open redirects). */
export function safeReturnTo(value: unknown, fallback = '/'): string {
  return typeof value === 'string' && /^\/(?![/\\])[^\s]*$/.test(value) && value.length < 2000 ? value : fallback;
}

/**
 * Each role's header links, its home first (where `/` leads). A link shows only once its page is
 * registered, so the header never offers a page this build does not serve.
 */
export const ROLE_NAV: Record<Role, ReadonlyArray<{ href: string; label: MessageKey }>> = {
  investor: [
    { href: '/projects', label: 'nav.projects' },
    { href: '/projects/new', label: 'nav.newProject' },
  ],
  clerk: [
    { href: '/intake', label: 'nav.intake' },
    { href: '/board', label: 'nav.board' },
    { href: '/projects', label: 'nav.projects' },
  ],
  appraiser: [
    { href: '/inbox', label: 'nav.inbox' },
    { href: '/projects', label: 'nav.projects' },
  ],
  approver: [
    { href: '/decisions', label: 'nav.decisions' },
    { href: '/projects', label: 'nav.projects' },
  ],
  auditor: [
    { href: '/audit', label: 'nav.audit' },
    { href: '/audit/reports', label: 'nav.reports' },
    { href: '/projects', label: 'nav.projects' },
  ],
  admin: [{ href: '/projects', label: 'nav.projects' }],
};

export function roleNav(request: FastifyRequest, role: Role) {
  const path = request.url.split('?')[0];
  return ROLE_NAV[role]
    .filter((item) => request.server.hasRoute({ method: 'GET', url: item.href }))
    .map((item) => ({ ...item, current: path === item.href }));
}

/** Where `/` leads a role: its first registered page. */
export function roleHome(request: FastifyRequest, role: Role): string {
  return roleNav(request, role)[0]?.href ?? '/projects';
}

export interface PageContext {
  t: Translate;
  locale: Locale;
  user: SessionUser | undefined;
  csrfToken: string;
  render(title: string, content: Html, opts?: { status?: number; hasErrors?: boolean }): FastifyReply;
}

export function pageContext(request: FastifyRequest, reply: FastifyReply, assets: StaticAssets): PageContext {
  const locale = request.locale;
  const t = translator(locale);
  const user = request.session.get('user');
  const csrfToken = reply.generateCsrf();
  return {
    t,
    locale,
    user,
    csrfToken,
    render(title, content, opts = {}) {
      const model: LayoutModel = {
        t,
        locale,
        title,
        csrfToken,
        path: request.url,
        assets: { css: assets.url('app.css') },
        hasErrors: opts.hasErrors,
        nav: user ? roleNav(request, user.activeRole) : [],
        ...(request.legalBasis ? { legalBasis: request.legalBasis } : {}),
        ...(user ? { user: { name: user.name ?? user.sub, roles: user.roles, activeRole: user.activeRole } } : {}),
      };
      return reply
        .code(opts.status ?? 200)
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(layout(model, content).value);
    },
  };
}
