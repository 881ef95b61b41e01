import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { AppConfig } from '../config';
import type { Db } from '../infra/database';
import { createAccountStore } from '../auth/oidc-account-store';
import { postgresAdapterFactory } from '../auth/oidc-provider-adapter';
import { createEmbeddedProvider, WEB_CLIENT_ID, WEB_SCOPES } from '../auth/oidc-provider';
import { loadOrCreateProviderSecrets, loadOrCreateSessionKey } from '../auth/oidc-provider-keys';
import { createOidcWebClient, type OidcWebClient } from '../auth/oidc-web-client';
import { ServiceUnavailableError } from '../errors';
import { oidcProviderMount } from './oidc-mount';
import { assetUrl } from './static-assets';
import { providerPages } from './views/provider-pages.view';
import { webPlugin, type WebPluginOptions } from './web-plugin';

/**
 * Wires the web interface into the app: the embedded OpenID provider under /oidc (unless
 * OIDC_ISSUER names another), the relying party, and the pages.
 */
export async function registerWeb(app: FastifyInstance, deps: { config: AppConfig; db: Db; clock: () => Date; pages?: WebPluginOptions['pages'] }) {
  const { config } = deps;
  const base = config.web.publicUrl;
  const sessionKey = await loadOrCreateSessionKey(config.dataDir, config.web.sessionKey);
  const common = { redirectUri: `${base}/auth/callback`, postLogoutRedirectUri: `${base}/auth/signed-out`, scope: WEB_SCOPES };
  let client: OidcWebClient;
  let embedded: WebPluginOptions['embedded'];

  if (!config.jwt.oidcIssuer) {
    const accounts = createAccountStore(deps.db, deps.clock);
    const secrets = await loadOrCreateProviderSecrets(config.dataDir);
    const issuer = `${base}/oidc`;
    const provider = await createEmbeddedProvider({
      adapter: postgresAdapterFactory(deps.db, deps.clock),
      issuer,
      publicUrl: base,
      secrets,
      accounts,
      pages: providerPages(() => assetUrl('app.css')),
      sessionTtlSeconds: config.web.sessionMaxHours * 3600,
    });
    await app.register(oidcProviderMount, { provider, mountPath: '/oidc' });
    // The server reaches its own provider over loopback, whatever address people use.
    const publicOrigin = new URL(base).origin;
    const loopback: typeof fetch = (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      const address = app.server.address() as AddressInfo | null;
      if (url.origin === publicOrigin && address) {
        const host = address.address === '0.0.0.0' ? '127.0.0.1' : address.address === '::' ? '[::1]' : address.family === 'IPv6' ? `[${address.address}]` : address.address;
        url.protocol = 'http:';
        url.host = `${host}:${address.port}`;
      }
      return fetch(input instanceof Request ? new Request(url, input) : url, init);
    };
    client = createOidcWebClient({ issuer, clientId: WEB_CLIENT_ID, clientSecret: secrets.webClientSecret, fetchImpl: loopback, ...common });
    embedded = { provider, accounts };
  } else if (config.web.oidcClientId) {
    client = createOidcWebClient({ issuer: config.jwt.oidcIssuer, clientId: config.web.oidcClientId, clientSecret: config.web.oidcClientSecret!, ...common });
  } else {
    const refuse = async (): Promise<never> => {
      throw new ServiceUnavailableError('Web sign-in needs OIDC_CLIENT_ID and OIDC_CLIENT_SECRET for OIDC_ISSUER', 'WEB_SIGNIN_NOT_CONFIGURED');
    };
    client = { start: refuse, finish: refuse, endSessionUrl: async () => undefined };
  }
  await app.register(webPlugin, { config, sessionKey, client, embedded, pages: deps.pages, clock: deps.clock });
}
