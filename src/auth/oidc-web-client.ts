import * as oidc from 'openid-client';
import { ROLES, type Role } from './roles';
import type { Principal } from './token-verifier';

/**
 * The server side of web sign-in: an OIDC relying party (openid-client) using the
 * authorization code flow with PKCE, state and nonce. The same code talks to the embedded
 * provider or to OIDC_ISSUER (Keycloak, a national SSO). Discovery happens on first use, so
 * the app starts even while the provider is still coming up.
 */
export interface OidcWebClientOptions {
  issuer: string;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  postLogoutRedirectUri: string;
  scope: string;
  /** Rewrite requests to the provider (the embedded one is reached over loopback). */
  fetchImpl?: typeof fetch;
}

export interface PendingSignIn {
  state: string;
  nonce: string;
  codeVerifier: string;
}

export interface SignedIn {
  principal: Principal;
  idToken: string;
}

function rolesOf(claims: Record<string, unknown>): Role[] {
  const claimed = new Set<string>();
  if (Array.isArray(claims.roles)) for (const r of claims.roles) if (typeof r === 'string') claimed.add(r);
  const realm = (claims.realm_access as { roles?: unknown } | undefined)?.roles;
  if (Array.isArray(realm)) for (const r of realm) if (typeof r === 'string') claimed.add(r);
  return ROLES.filter((r) => claimed.has(r));
}

export function createOidcWebClient(opts: OidcWebClientOptions) {
  let configuration: Promise<oidc.Configuration> | undefined;
  const insecure = new URL(opts.issuer).protocol === 'http:';
  const config = () => {
    configuration ??= oidc
      .discovery(new URL(opts.issuer), opts.clientId, undefined, oidc.ClientSecretBasic(opts.clientSecret), {
        execute: insecure ? [oidc.allowInsecureRequests] : [],
        ...(opts.fetchImpl ? { [oidc.customFetch]: opts.fetchImpl } : {}),
      })
      .then((c) => {
        if (opts.fetchImpl) c[oidc.customFetch] = opts.fetchImpl as oidc.CustomFetch;
        return c;
      })
      .catch((err) => {
        configuration = undefined; // try again next time
        throw err;
      });
    return configuration;
  };

  return {
    async start(locale: string): Promise<{ url: string; pending: PendingSignIn }> {
      const c = await config();
      const pending = { state: oidc.randomState(), nonce: oidc.randomNonce(), codeVerifier: oidc.randomPKCECodeVerifier() };
      const url = oidc.buildAuthorizationUrl(c, {
        redirect_uri: opts.redirectUri,
        scope: opts.scope,
        code_challenge: await oidc.calculatePKCECodeChallenge(pending.codeVerifier),
        code_challenge_method: 'S256',
        state: pending.state,
        nonce: pending.nonce,
        ui_locales: locale,
      });
      return { url: url.href, pending };
    },

    async finish(callbackUrl: URL, pending: PendingSignIn): Promise<SignedIn> {
      const c = await config();
      const tokens = await oidc.authorizationCodeGrant(c, callbackUrl, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      let claims: Record<string, unknown> = { ...tokens.claims()! };
      // Providers that keep roles out of the ID token (Keycloak's default) give them at userinfo.
      if (rolesOf(claims).length === 0 && tokens.access_token) {
        const info = await oidc.fetchUserInfo(c, tokens.access_token, claims.sub as string);
        claims = { ...info, ...claims, roles: info.roles ?? claims.roles, realm_access: info.realm_access ?? claims.realm_access };
      }
      const name = typeof claims.name === 'string' ? claims.name.slice(0, 200) : typeof claims.preferred_username === 'string' ? claims.preferred_username : null;
      return {
        principal: { sub: claims.sub as string, roles: rolesOf(claims), org: typeof claims.org === 'string' && claims.org ? claims.org : null, name },
        idToken: tokens.id_token!,
      };
    },

    /** Where to send the browser to end the provider's session too (undefined if it has no end_session endpoint). */
    async endSessionUrl(idToken: string | undefined): Promise<string | undefined> {
      const c = await config();
      if (!c.serverMetadata().end_session_endpoint) return undefined;
      return oidc.buildEndSessionUrl(c, { post_logout_redirect_uri: opts.postLogoutRedirectUri, ...(idToken ? { id_token_hint: idToken } : {}) }).href;
    },
  };
}
export type OidcWebClient = ReturnType<typeof createOidcWebClient>;
