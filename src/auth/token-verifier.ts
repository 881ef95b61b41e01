import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey, type CryptoKey } from 'jose';
import { UnauthenticatedError } from '../errors';
import { ROLES, type Role } from './roles';
import { LOCAL_JWT_ALG } from './local-signing-key';

/** Who is calling, from a verified token. */
export interface Principal {
  sub: string;
  roles: Role[];
  /** The organisation (investor organisations own projects); null when the token has none. */
  org: string | null;
  name: string | null;
}

export interface TokenVerifier {
  verify(token: string): Promise<Principal>;
}

// Asymmetric algorithms only: a shared-secret (HS*) token can never be accepted, so a public
// key can never be abused as an HMAC secret (HS/RS confusion), and "none" is never allowed.
const OIDC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'EdDSA'];

function rolesOf(payload: JWTPayload): Role[] {
  const claimed = new Set<string>();
  if (Array.isArray(payload.roles)) for (const r of payload.roles) if (typeof r === 'string') claimed.add(r);
  // Keycloak puts realm roles under realm_access.roles.
  const realm = (payload as { realm_access?: { roles?: unknown } }).realm_access?.roles;
  if (Array.isArray(realm)) for (const r of realm) if (typeof r === 'string') claimed.add(r);
  return ROLES.filter((r) => claimed.has(r));
}

function toPrincipal(payload: JWTPayload): Principal {
  if (typeof payload.sub !== 'string' || payload.sub.length === 0 || payload.sub.length > 200) {
    throw new UnauthenticatedError('The token has no usable "sub" claim', 'TOKEN_INVALID');
  }
  const org = typeof payload.org === 'string' && payload.org.length > 0 && payload.org.length <= 200 ? payload.org : null;
  const name = typeof payload.name === 'string' ? payload.name.slice(0, 200) : null;
  return { sub: payload.sub, roles: rolesOf(payload), org, name };
}

function mapError(err: unknown): UnauthenticatedError {
  if (err instanceof UnauthenticatedError) return err;
  if (err instanceof errors.JWTExpired) return new UnauthenticatedError('The token has expired', 'TOKEN_EXPIRED');
  if (err instanceof errors.JWTClaimValidationFailed) {
    switch (err.claim) {
      case 'nbf':
        return new UnauthenticatedError('The token is not valid yet', 'TOKEN_NOT_YET_VALID');
      case 'iss':
        return new UnauthenticatedError('The token was issued by an issuer this service does not trust', 'TOKEN_ISSUER_INVALID');
      case 'aud':
        return new UnauthenticatedError('The token is not meant for this service (audience)', 'TOKEN_AUDIENCE_INVALID');
      default:
        return new UnauthenticatedError(`The token's "${err.claim}" claim is missing or invalid`, 'TOKEN_INVALID');
    }
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return new UnauthenticatedError('The token is signed with an algorithm this service does not accept', 'TOKEN_ALGORITHM_REJECTED');
  if (err instanceof errors.JWSSignatureVerificationFailed || err instanceof errors.JWKSNoMatchingKey) {
    return new UnauthenticatedError('The token signature does not verify', 'TOKEN_SIGNATURE_INVALID');
  }
  return new UnauthenticatedError('The token is malformed', 'TOKEN_INVALID');
}

/** Verify tokens signed by the embedded mode's local Ed25519 key. */
export function createLocalTokenVerifier(opts: { publicKey: CryptoKey; issuer: string; audience: string }): TokenVerifier {
  return {
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, opts.publicKey, {
          algorithms: [LOCAL_JWT_ALG],
          issuer: opts.issuer,
          audience: opts.audience,
          requiredClaims: ['sub', 'exp'],
          clockTolerance: 5,
        });
        return toPrincipal(payload);
      } catch (err) {
        throw mapError(err);
      }
    },
  };
}

/**
 * Verify tokens of an OIDC issuer (e.g. Keycloak): keys from its JWKS, found through its
 * discovery document, cached and refetched when an unknown key id appears (key rotation).
 */
export function createOidcTokenVerifier(opts: {
  issuer: string;
  audience: string;
  fetchImpl?: typeof fetch;
  /** Minimum time between two JWKS fetches (jose's cooldown), default 30 s. */
  cooldownMs?: number;
}): TokenVerifier {
  let jwks: JWTVerifyGetKey | undefined;
  const keys = async (): Promise<JWTVerifyGetKey> => {
    if (jwks) return jwks;
    const discovery = `${opts.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    const res = await (opts.fetchImpl ?? fetch)(discovery, { signal: AbortSignal.timeout(5_000) });
    if (!res.ok) throw new Error(`OIDC discovery failed: ${res.status} from ${discovery}`);
    const doc = (await res.json()) as { jwks_uri?: string; issuer?: string };
    if (!doc.jwks_uri) throw new Error(`OIDC discovery at ${discovery} has no jwks_uri`);
    jwks = createRemoteJWKSet(new URL(doc.jwks_uri), { cooldownDuration: opts.cooldownMs ?? 30_000, cacheMaxAge: 10 * 60_000, timeoutDuration: 5_000 });
    return jwks;
  };
  return {
    async verify(token) {
      const getKey = await keys();
      try {
        const { payload } = await jwtVerify(token, getKey, {
          algorithms: OIDC_ALGORITHMS,
          issuer: opts.issuer,
          audience: opts.audience,
          requiredClaims: ['sub', 'exp'],
          clockTolerance: 30,
        });
        return toPrincipal(payload);
      } catch (err) {
        throw mapError(err);
      }
    },
  };
}

/**
 * Remember verified tokens until they expire (bounded), so a client sending the same token on
 * every request pays for the signature check once. Keyed by the whole token, signature
 * included; a token is never trusted past its own `exp`.
 */
export function withVerificationCache(inner: TokenVerifier, opts: { maxEntries?: number; now?: () => number } = {}): TokenVerifier {
  const max = opts.maxEntries ?? 10_000;
  const now = opts.now ?? Date.now;
  const cache = new Map<string, { principal: Principal; expiresAt: number }>();
  return {
    async verify(token) {
      const hit = cache.get(token);
      if (hit && hit.expiresAt > now()) return hit.principal;
      if (hit) cache.delete(token);
      const principal = await inner.verify(token);
      const exp = expOf(token);
      if (exp !== undefined) {
        if (cache.size >= max) cache.delete(cache.keys().next().value!);
        cache.set(token, { principal, expiresAt: exp * 1000 });
      }
      return principal;
    },
  };
}

function expOf(token: string): number | undefined {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof payload.exp === 'number' ? payload.exp : undefined;
  } catch {
    return undefined;
  }
}
