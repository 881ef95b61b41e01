import fs from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, calculateJwkThumbprint, type JWK } from 'jose';

/**
 * Secrets of the embedded OpenID provider and of the web session, created on first start under
 * DATA_DIR/keys (0600). Replicas sharing DATA_DIR (or given the same files) agree on them, so a
 * session cookie or an ID token made by one is accepted by another.
 */
async function readOrCreate(file: string, make: () => Promise<string>): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  // 'wx' fails if another process created it in the meantime; then we read theirs.
  await fs.writeFile(file, await make(), { mode: 0o600, flag: 'wx' }).catch((err) => {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  });
  return fs.readFile(file, 'utf8');
}

export interface ProviderSecrets {
  /** RS256 signing key of ID tokens (RS256 is what every OIDC client accepts by default). */
  signingJwk: JWK;
  /** Keys that sign the provider's own cookies (interaction, session). */
  cookieKeys: string[];
  /** The web client's secret at the embedded provider. */
  webClientSecret: string;
}

export async function loadOrCreateProviderSecrets(dataDir: string): Promise<ProviderSecrets> {
  const dir = path.join(dataDir, 'keys');
  const signing = await readOrCreate(path.join(dir, 'oidc-provider-signing.jwk.json'), async () => {
    const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
    const jwk = await exportJWK(privateKey);
    return JSON.stringify({ ...jwk, alg: 'RS256', use: 'sig', kid: await calculateJwkThumbprint(jwk) });
  });
  const cookie = await readOrCreate(path.join(dir, 'oidc-provider-cookie-keys.json'), async () => JSON.stringify([randomBytes(32).toString('base64url')]));
  const secret = await readOrCreate(path.join(dir, 'oidc-web-client-secret'), async () => randomBytes(32).toString('base64url'));
  return { signingJwk: JSON.parse(signing) as JWK, cookieKeys: JSON.parse(cookie) as string[], webClientSecret: secret.trim() };
}

/** The web session's encryption key: SESSION_KEY if configured, else a 32-byte key under DATA_DIR. */
export async function loadOrCreateSessionKey(dataDir: string, configured: Buffer | undefined): Promise<Buffer> {
  if (configured) return configured;
  const text = await readOrCreate(path.join(dataDir, 'keys', 'web-session.key'), async () => randomBytes(32).toString('base64'));
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32) throw new Error(`${path.join(dataDir, 'keys', 'web-session.key')} must hold 32 bytes in base64`);
  return key;
}
