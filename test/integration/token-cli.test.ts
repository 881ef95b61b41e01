import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateLocalSigningKey } from '../../src/auth/local-signing-key';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
let dataDir: string;

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'appraisal-token-'));
  await loadOrCreateLocalSigningKey(dataDir); // what the service does on its first start
});
afterAll(async () => fs.rm(dataDir, { recursive: true, force: true }));

function token(args: string[], env: Record<string, string> = {}) {
  return run(process.execPath, ['--import', 'tsx', 'src/cli/token.ts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, DATA_DIR: dataDir, ...env },
  });
}

describe('npm run token', () => {
  it('prints a JWT signed with the local key of DATA_DIR, carrying sub, roles and org, and says which DATA_DIR', async () => {
    const { stdout, stderr } = await token(['--sub', 'alice', '--role', 'investor', '--role', 'clerk', '--org', 'acme']);
    expect(stderr).toBe(`token: signed with the key of DATA_DIR ${dataDir}\n`);
    const jwt = stdout.trim();
    expect(jwt.split('.')).toHaveLength(3);
    const stat = await fs.stat(path.join(dataDir, 'keys', 'jwt-signing-key.jwk.json'));
    expect(stat.mode & 0o077).toBe(0); // private key readable by the owner only

    const key = await loadOrCreateLocalSigningKey(dataDir);
    const { payload } = await jwtVerify(jwt, key.publicKey, {
      issuer: 'urn:tech-appraisal:local',
      audience: 'tech-appraisal-api',
      algorithms: ['EdDSA'],
    });
    expect(payload).toMatchObject({ sub: 'alice', roles: ['investor', 'clerk'], org: 'acme' });
    expect(payload.exp! - payload.iat!).toBe(8 * 3600);
    expect(decodeProtectedHeader(jwt)).toMatchObject({ alg: 'EdDSA', kid: key.kid });

    // The same key is reused, not replaced.
    const again = (await token(['--sub', 'bob', '--role', 'auditor'])).stdout.trim();
    await expect(jwtVerify(again, key.publicKey)).resolves.toBeTruthy();
  });

  it.each([
    [['--role', 'investor'], '--sub is required'],
    [['--sub', 'x'], 'at least one --role is required'],
    [['--sub', 'x', '--role', 'king'], 'unknown role "king"'],
    [['--sub', 'x', '--role', 'clerk', '--ttl', 'forever'], '--ttl must look like'],
  ])('refuses %j', async (args, message) => {
    const err = await token(args).catch((e) => e);
    expect(err.code).toBe(2);
    expect(err.stderr).toContain(message);
  });

  it('never creates a key: on a DATA_DIR without one it exits 1 naming the DATA_DIR, with a hint, and writes nothing', async () => {
    const empty = await fs.mkdtemp(path.join(os.tmpdir(), 'appraisal-token-empty-'));
    try {
      const err = await token(['--sub', 'x', '--role', 'clerk'], { DATA_DIR: empty }).catch((e) => e);
      expect(err.code).toBe(1);
      expect(err.stdout).toBe('');
      expect(err.stderr).toContain(`DATA_DIR ${empty} has no signing key`);
      expect(err.stderr).toContain('start the service once with this DATA_DIR');
      expect(await fs.readdir(empty)).toEqual([]);
    } finally {
      await fs.rm(empty, { recursive: true, force: true });
    }
  });

  it('refuses when an OIDC issuer is configured', async () => {
    const err = await token(['--sub', 'x', '--role', 'clerk'], { OIDC_ISSUER: 'https://id.example/realms/p', OIDC_AUDIENCE: 'api' }).catch((e) => e);
    expect(err.code).toBe(2);
    expect(err.stderr).toContain('OIDC_ISSUER is set');
  });
});
