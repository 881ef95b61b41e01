import fs from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { exportJWK, generateKeyPair, importJWK, calculateJwkThumbprint, type JWK, type CryptoKey } from 'jose';

/**
 * The embedded mode's token signing key: an Ed25519 key pair kept under DATA_DIR, created on
 * first start. Tokens it signs are for local use (`npm run token`); with an OIDC issuer
 * configured the service trusts that issuer instead.
 */
export const LOCAL_JWT_ALG = 'EdDSA';

export interface LocalSigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
}

export function localKeyPath(dataDir: string): string {
  return path.join(dataDir, 'keys', 'jwt-signing-key.jwk.json');
}

export class MissingLocalSigningKeyError extends Error {
  override name = 'MissingLocalSigningKeyError';
  constructor(readonly dataDir: string) {
    super(
      `DATA_DIR ${dataDir} has no signing key (${localKeyPath(dataDir)}); ` +
        'start the service once with this DATA_DIR (npm start), or pass the DATA_DIR the service runs with (DATA_DIR=… npm run --silent token -- …)',
    );
  }
}

/** The key the service created under DATA_DIR; never creates one (the token command uses this). */
export async function loadLocalSigningKey(dataDir: string): Promise<LocalSigningKey> {
  if (!existsSync(localKeyPath(dataDir))) throw new MissingLocalSigningKeyError(dataDir);
  return readLocalSigningKey(localKeyPath(dataDir));
}

export async function loadOrCreateLocalSigningKey(dataDir: string): Promise<LocalSigningKey> {
  const file = localKeyPath(dataDir);
  if (!existsSync(file)) {
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    const { privateKey } = await generateKeyPair(LOCAL_JWT_ALG, { crv: 'Ed25519', extractable: true });
    const jwk = await exportJWK(privateKey);
    jwk.kid = await calculateJwkThumbprint(jwk);
    jwk.alg = LOCAL_JWT_ALG;
    // 'wx' fails if another process created it in the meantime; then we read theirs.
    await fs.writeFile(file, JSON.stringify(jwk, null, 2), { mode: 0o600, flag: 'wx' }).catch((err) => {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    });
  }
  return readLocalSigningKey(file);
}

async function readLocalSigningKey(file: string): Promise<LocalSigningKey> {
  const jwk = JSON.parse(await fs.readFile(file, 'utf8')) as JWK;
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || !jwk.d || !jwk.kid) {
    throw new Error(`${file} is not an Ed25519 private key`);
  }
  const { d: _d, ...publicJwk } = jwk;
  return {
    kid: jwk.kid,
    privateKey: (await importJWK(jwk, LOCAL_JWT_ALG)) as CryptoKey,
    publicKey: (await importJWK(publicJwk, LOCAL_JWT_ALG)) as CryptoKey,
    publicJwk,
  };
}
