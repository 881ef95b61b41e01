import type Provider from 'oidc-provider';
import type { Adapter, Configuration, KoaContextWithOIDC } from 'oidc-provider';
import type { AccountStore } from './oidc-account-store';
import type { ProviderSecrets } from './oidc-provider-keys';

/**
 * The embedded OpenID provider (oidc-provider, OpenID Certified), mounted under /oidc of the
 * same app. It is a real provider: discovery, JWKS, authorization code + PKCE, ID tokens,
 * RP-initiated logout. People come from the account store; the sign-in screens are ours
 * (src/web), never the library's development interactions.
 *
 * Its own records (interactions, codes, provider sessions) are kept in Postgres
 * (oidc-provider-adapter.ts), so replicas share them. The library is loaded only when the
 * provider is built: it prints a warning on Node 20 (it prefers Node 22), which must not reach
 * the one-line start-up errors.
 */
export const WEB_CLIENT_ID = 'tech-appraisal-web';
export const WEB_SCOPES = 'openid profile appraisal';

export interface ProviderPages {
  /** The logout confirmation: `form` is the provider's hidden form (id op.logoutForm). */
  logout(locale: string, form: string): string;
  loggedOut(locale: string): string;
  error(locale: string, code: string, description: string): string;
}

export interface EmbeddedProviderOptions {
  /** e.g. http://127.0.0.1:3000/oidc */
  issuer: string;
  /** The web app's own base URL (redirect and post-logout URIs). */
  publicUrl: string;
  secrets: ProviderSecrets;
  accounts: AccountStore;
  pages: ProviderPages;
  /** Absolute lifetime of a provider session, seconds (the web session's absolute limit). */
  sessionTtlSeconds: number;
  adapter: new (model: string) => Adapter;
}

function localeOf(ctx: KoaContextWithOIDC): string {
  const fromParam = ctx.oidc?.params?.ui_locales;
  if (typeof fromParam === 'string' && fromParam.startsWith('en')) return 'en';
  return ctx.cookies.get('lang') === 'en' ? 'en' : 'vi';
}

export async function createEmbeddedProvider(opts: EmbeddedProviderOptions): Promise<Provider> {
  const { default: ProviderClass } = await import('oidc-provider');
  const base = opts.publicUrl.replace(/\/$/, '');
  const configuration: Configuration = {
    adapter: opts.adapter,
    clients: [
      {
        client_id: WEB_CLIENT_ID,
        client_secret: opts.secrets.webClientSecret,
        redirect_uris: [`${base}/auth/callback`],
        post_logout_redirect_uris: [`${base}/auth/signed-out`],
        response_types: ['code'],
        grant_types: ['authorization_code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: { keys: [opts.secrets.signingJwk as never] },
    cookies: { keys: opts.secrets.cookieKeys },
    pkce: { required: () => true },
    scopes: ['openid', 'profile', 'appraisal'],
    claims: { openid: ['sub'], profile: ['name'], appraisal: ['roles', 'org'] },
    // The ID token carries the claims of the granted scopes, so the web app needs no userinfo call.
    conformIdTokenClaims: false,
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          ctx.type = 'html';
          ctx.body = opts.pages.logout(localeOf(ctx), form);
        },
        postLogoutSuccessSource: async (ctx) => {
          ctx.type = 'html';
          ctx.body = opts.pages.loggedOut(localeOf(ctx));
        },
      },
    },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = opts.pages.error(localeOf(ctx), String(out.error ?? 'error'), String(out.error_description ?? ''));
    },
    interactions: { url: async (_ctx, interaction) => `/signin/${interaction.uid}` },
    // Our own web client is first-party: its scopes are granted without a consent screen.
    loadExistingGrant: async (ctx) => {
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session!.grantIdFor(ctx.oidc.client!.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      if (ctx.oidc.client!.clientId !== WEB_CLIENT_ID) return undefined;
      const grant = new ctx.oidc.provider.Grant({ clientId: WEB_CLIENT_ID, accountId: ctx.oidc.session!.accountId! });
      grant.addOIDCScope(WEB_SCOPES);
      await grant.save();
      return grant;
    },
    findAccount: async (_ctx, sub) => {
      const account = await opts.accounts.find(sub);
      if (!account || account.disabled) return undefined;
      return {
        accountId: sub,
        claims: async () => ({ sub, name: account.displayName ?? sub, roles: account.roles, ...(account.organisation ? { org: account.organisation } : {}) }),
      };
    },
    ttl: {
      Session: opts.sessionTtlSeconds,
      Interaction: 10 * 60,
      AuthorizationCode: 60,
      IdToken: 10 * 60,
      AccessToken: 10 * 60,
      Grant: opts.sessionTtlSeconds,
    },
  };
  return new ProviderClass(opts.issuer, configuration);
}
