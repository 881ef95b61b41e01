/**
 * No Docker engine runs where the tests run, so this test keeps docker-compose.yml honest:
 * the services exist with health checks and volumes, and the app's environment is exactly
 * what the app's configuration reads and agrees with the Postgres and MinIO services.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, loadConfig } from '../../src/config';
import { POSTGRES_MAJOR } from '../../src/infra/embedded-postgres';

const ROOT = path.resolve(import.meta.dirname, '../..');
const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'));
const services = compose.services as Record<string, any>;

// Compose interpolation (${VAR}, ${VAR:?msg}, ${VAR:-default}) with sample values for the secrets.
const SAMPLE = { POSTGRES_PASSWORD: 'pg-secret', MINIO_ROOT_USER: 'minio-user', MINIO_ROOT_PASSWORD: 'minio-secret', KEYCLOAK_ADMIN_PASSWORD: 'kc-secret' } as Record<string, string>;
function interpolate(value: string): string {
  return value.replace(/\$\{([A-Z0-9_]+)(?::([?-])([^}]*))?\}/g, (_m, name: string, op?: string, arg?: string) => {
    if (name in SAMPLE) return SAMPLE[name]!;
    if (op === '-') return arg ?? '';
    throw new Error(`docker-compose.yml uses \${${name}} with no default and no sample value`);
  });
}
function envOf(service: string): Record<string, string> {
  return Object.fromEntries(Object.entries(services[service].environment ?? {}).map(([k, v]) => [k, interpolate(String(v))]));
}
function secretsRequired(service: string): string[] {
  return Object.values(services[service].environment ?? {}).flatMap((v) => [...String(v).matchAll(/\$\{([A-Z0-9_]+):\?/g)].map((m) => m[1]!));
}

describe('docker-compose.yml', () => {
  it('has the app, Postgres, MinIO, the bucket initialiser, clamd and an optional Keycloak', () => {
    expect(Object.keys(services).sort()).toEqual(['app', 'clamd', 'keycloak', 'minio', 'minio-init', 'postgres']);
    expect(services.clamd.image).toMatch(/^clamav\/clamav:/);
    expect(services.app.depends_on.clamd.condition).toBe('service_healthy');
    // Keycloak is an example behind a profile: `docker compose up` does not start it.
    expect(services.keycloak.profiles).toEqual(['keycloak']);
    expect(services.app.build).toBe('.');
    expect(existsSync(path.join(ROOT, 'Dockerfile'))).toBe(true);
  });

  it('gives every long-running service a health check, a restart policy and a volume', () => {
    for (const name of ['app', 'postgres', 'minio', 'clamd']) {
      expect(services[name].healthcheck?.test, name).toBeDefined();
      expect(services[name].restart, name).toBe('unless-stopped');
      expect(services[name].volumes?.length, name).toBeGreaterThan(0);
      for (const v of services[name].volumes) expect(Object.keys(compose.volumes)).toContain(String(v).split(':')[0]);
    }
  });

  it('runs the same Postgres major as the embedded server', () => {
    expect(services.postgres.image).toBe(`postgres:${POSTGRES_MAJOR}-alpine`);
  });

  it('sets only variables the app reads, and the app accepts them', () => {
    const env = envOf('app');
    for (const key of Object.keys(env)) expect(CONFIG_VARIABLES, key).toContain(key);
    const config = loadConfig(env);
    expect(config.host).toBe('0.0.0.0');
    expect(config.dataDir).toBe('/var/lib/appraisal');
    expect(services.app.volumes).toContain(`appdata:${config.dataDir}`);
    // External services only: nothing embedded in production.
    expect(config.databaseUrl).toBeDefined();
    expect(config.s3).toBeDefined();
  });

  it('points DATABASE_URL at the postgres service with its user, password and database', () => {
    const url = new URL(envOf('app').DATABASE_URL!);
    const pg = envOf('postgres');
    expect(url.hostname).toBe('postgres');
    expect(url.port).toBe('5432');
    expect(url.username).toBe(pg.POSTGRES_USER);
    expect(decodeURIComponent(url.password)).toBe(pg.POSTGRES_PASSWORD);
    expect(url.pathname).toBe(`/${pg.POSTGRES_DB}`);
    expect(services.postgres.healthcheck.test.join(' ')).toContain(`-U ${pg.POSTGRES_USER} -d ${pg.POSTGRES_DB}`);
    expect(services.app.depends_on.postgres.condition).toBe('service_healthy');
  });

  it('points S3_* at the minio service, with its credentials and the bucket minio-init creates', () => {
    const app = loadConfig(envOf('app'));
    const minio = envOf('minio');
    const endpoint = new URL(app.s3!.endpoint);
    expect(endpoint.hostname).toBe('minio');
    const apiPort = services.minio.command[services.minio.command.indexOf('--address') + 1];
    expect(`:${endpoint.port}`).toBe(apiPort);
    expect(app.s3!.accessKey).toBe(minio.MINIO_ROOT_USER);
    expect(app.s3!.secretKey).toBe(minio.MINIO_ROOT_PASSWORD);
    const init = services['minio-init'].entrypoint.join(' ');
    expect(init).toContain(`http://minio${apiPort}`);
    expect(init).toContain(`mc mb --ignore-existing local/${app.s3Bucket}`);
    expect(services.app.depends_on['minio-init'].condition).toBe('service_completed_successfully');
    expect(services['minio-init'].depends_on.minio.condition).toBe('service_healthy');
  });

  it('publishes the port the app listens on, and health-checks /readyz on it', () => {
    const app = loadConfig(envOf('app'));
    expect(services.app.ports).toContain(`${app.port}:${app.port}`);
    expect(services.app.healthcheck.test.join(' ')).toContain(`http://127.0.0.1:${app.port}/readyz`);
  });

  it('documents the identity provider settings the app reads, pointing at the Keycloak example', () => {
    const text = readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');
    const issuer = /#\s*OIDC_ISSUER:\s*(\S+)/.exec(text)?.[1];
    const audience = /#\s*OIDC_AUDIENCE:\s*(\S+)/.exec(text)?.[1];
    expect(issuer, 'a commented OIDC_ISSUER on the app').toBeDefined();
    const config = loadConfig({ ...envOf('app'), OIDC_ISSUER: issuer!, OIDC_AUDIENCE: audience! });
    expect(new URL(config.jwt.oidcIssuer!).host).toBe(`keycloak:${services.keycloak.command[services.keycloak.command.indexOf('--http-port') + 1]}`);
  });

  it('serves metrics on a separate port that is not published', () => {
    const config = loadConfig(envOf('app'));
    expect(config.metrics.port).toBeDefined();
    expect(config.metrics.token).toBeUndefined();
    expect(services.app.ports.join(' ')).not.toContain(String(config.metrics.port));
  });

  it('has no default for any secret', () => {
    expect(secretsRequired('app').sort()).toEqual(['MINIO_ROOT_PASSWORD', 'MINIO_ROOT_USER', 'POSTGRES_PASSWORD']);
    expect(secretsRequired('postgres')).toEqual(['POSTGRES_PASSWORD']);
    expect(secretsRequired('minio').sort()).toEqual(['MINIO_ROOT_PASSWORD', 'MINIO_ROOT_USER']);
  });

});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  const stages = dockerfile.split(/^(?=FROM )/m).filter((s) => s.startsWith('FROM '));
  const runtime = stages.at(-1)!;
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

  it('is multi-stage and every stage runs a supported LTS Node (22 or 24, not 20: end of life)', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const s of stages) expect(s).toMatch(/^FROM node:(22|24)[.-]/);
  });

  it('compiles in the build stage and runs the compiled entry, without tsx, in the runtime stage', () => {
    expect(stages[0]).toMatch(/^RUN npm run build$/m);
    expect(runtime).toMatch(/^RUN npm ci --omit=dev/m);
    expect(runtime).toMatch(/^COPY --from=build \/app\/dist \.\/dist$/m);
    const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(runtime)![1]!) as string[];
    expect(cmd[0]).toBe('node');
    expect(cmd.at(-1)).toBe('dist/src/server.js');
    expect(cmd.join(' ')).not.toContain('tsx');
    // The entry is what `npm run build` emits for src/server.ts, and what `npm run start:prod` runs.
    expect(existsSync(path.join(ROOT, 'src/server.ts'))).toBe(true);
    expect(pkg.scripts['start:prod']).toContain('dist/src/server.js');
    // Nothing at run time needs the transpiler: it is a development dependency only.
    expect(pkg.dependencies.tsx).toBeUndefined();
    expect(pkg.devDependencies.tsx).toBeDefined();
  });

  it('runs as a non-root user that owns DATA_DIR', () => {
    const user = /^USER (\S+)$/m.exec(runtime)?.[1];
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
    expect(runtime.indexOf('USER ')).toBeLessThan(runtime.indexOf('CMD '));
    const dataDir = /DATA_DIR=(\S+)/.exec(runtime)?.[1];
    expect(runtime).toContain(`chown ${user}:${user} ${dataDir}`);
    expect(loadConfig(envOf('app')).dataDir).toBe(dataDir);
  });

  it('copies only files that exist', () => {
    for (const m of dockerfile.matchAll(/^COPY (?!--from)(\S+(?: \S+)*) \S+$/gm)) {
      for (const f of m[1]!.split(' ')) expect(existsSync(path.join(ROOT, f)), f).toBe(true);
    }
  });
});
