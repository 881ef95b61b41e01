import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config';

describe('configuration', () => {
  it('has embedded defaults: 127.0.0.1:3000, .data/, no external services', () => {
    const c = loadConfig({}, '/srv/app');
    expect(c.host).toBe('127.0.0.1');
    expect(c.port).toBe(3000);
    expect(c.dataDir).toBe('/srv/app/.data');
    expect(c.databaseUrl).toBeUndefined();
    expect(c.s3).toBeUndefined();
    expect(c.s3Bucket).toBe('dossiers');
    expect(c.migrateOnStart).toBe(true);
  });

  it('reads external Postgres and S3', () => {
    const c = loadConfig({
      DATABASE_URL: 'postgres://app:pw@db:5432/appraisal',
      S3_ENDPOINT: 'http://minio:9000',
      S3_ACCESS_KEY: 'ak',
      S3_SECRET_KEY: 'sk',
      S3_BUCKET: 'dossier-files',
      PORT: '8080',
      HOST: '0.0.0.0',
    });
    expect(c.databaseUrl).toBe('postgres://app:pw@db:5432/appraisal');
    expect(c.s3).toEqual({ endpoint: 'http://minio:9000', accessKey: 'ak', secretKey: 'sk', bucket: 'dossier-files', region: 'us-east-1' });
    expect(c.port).toBe(8080);
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT', 'must be a port number'],
    [{ PORT: '70000' }, 'PORT', 'must be a port number'],
    [{ DATABASE_URL: 'mysql://x@y/z' }, 'DATABASE_URL', 'must use postgres'],
    [{ DATABASE_URL: 'not a url' }, 'DATABASE_URL', 'must be a URL'],
    [{ S3_ENDPOINT: 'http://minio:9000' }, 'S3_ACCESS_KEY', 'is required'],
    [{ S3_ENDPOINT: 'http://minio:9000', S3_ACCESS_KEY: 'a' }, 'S3_SECRET_KEY', 'is required'],
    [{ S3_ACCESS_KEY: 'a', S3_SECRET_KEY: 'b' }, 'S3_ENDPOINT', 'is required'],
    [{ S3_BUCKET: 'Bad_Bucket' }, 'S3_BUCKET', 'not a valid bucket name'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL', 'must be one of'],
    [{ MIGRATE_ON_START: 'maybe' }, 'MIGRATE_ON_START', 'true or false'],
    [{ DATABASE_POOL_MAX: '0' }, 'DATABASE_POOL_MAX', 'whole number'],
    [{ OIDC_ISSUER: 'https://id.example/realms/x' }, 'OIDC_AUDIENCE', 'is required'],
    [{ TRACKING_CODE_PREFIX: 'qn-1' }, 'TRACKING_CODE_PREFIX', 'capital letters'],
  ])('rejects %j naming %s', (env, variable, text) => {
    let error: unknown;
    try {
      loadConfig(env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
    expect((error as ConfigError).message).toMatch(new RegExp(`^${variable}: .*${text}`));
    expect((error as ConfigError).message).not.toContain('\n');
  });

  it('never echoes a database password in an error', () => {
    expect(() => loadConfig({ DATABASE_URL: 'mysql://u:secret@h/d' })).toThrow(ConfigError);
    try {
      loadConfig({ DATABASE_URL: 'http//u:secret@h/d' });
    } catch (e) {
      expect((e as Error).message).not.toContain('secret');
    }
  });
});
