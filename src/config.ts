import path from 'node:path';

/**
 * Configuration is read from the environment once, at start-up, and validated here.
 * A bad value stops the process with a ConfigError naming the variable; nothing else in
 * the code reads process.env.
 */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface S3Settings {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  bucket: string;
  region: string;
}

export interface AppConfig {
  host: string;
  port: number;
  dataDir: string;
  logLevel: LogLevel;
  /** External Postgres; when absent an embedded server is started under dataDir. */
  databaseUrl: string | undefined;
  databasePoolMax: number;
  embeddedPostgresPort: number;
  /** External S3 endpoint; when absent an in-process S3 server is started under dataDir. */
  s3: S3Settings | undefined;
  s3Bucket: string;
  embeddedS3Port: number;
  /** Run migrations before serving (npm start). Off when a separate migrate step owns it. */
  migrateOnStart: boolean;
  jwt: {
    issuer: string;
    audience: string;
    /** When set, tokens are verified against this OIDC issuer's JWKS instead of the local key. */
    oidcIssuer: string | undefined;
    oidcAudience: string | undefined;
  };
  trackingCodePrefix: string;
  rateLimit: { perMinute: number; uploadsPerMinute: number };
  /** Largest dossier file accepted, in bytes. */
  uploadMaxBytes: number;
  /** Ed25519 key (PEM) that signs audit checkpoints; default DATA_DIR/keys/audit-checkpoint-ed25519.pem. */
  checkpointKeyFile: string | undefined;
  checkpointIntervalSeconds: number;
  /** GET /metrics: on the API port behind a bearer token, and/or on a separate port; off when neither is set. */
  metrics: { token: string | undefined; port: number | undefined; coverageCacheSeconds: number };
  /** OTLP/HTTP collector base URL; tracing is off when absent. */
  otlpEndpoint: string | undefined;
}

type Env = Record<string, string | undefined>;

/** Every variable loadConfig reads (the docker-compose test checks the app's environment against it). */
export const CONFIG_VARIABLES = [
  'HOST',
  'PORT',
  'DATA_DIR',
  'LOG_LEVEL',
  'DATABASE_URL',
  'DATABASE_POOL_MAX',
  'EMBEDDED_PG_PORT',
  'S3_ENDPOINT',
  'S3_ACCESS_KEY',
  'S3_SECRET_KEY',
  'S3_BUCKET',
  'S3_REGION',
  'EMBEDDED_S3_PORT',
  'MIGRATE_ON_START',
  'JWT_ISSUER',
  'JWT_AUDIENCE',
  'OIDC_ISSUER',
  'OIDC_AUDIENCE',
  'TRACKING_CODE_PREFIX',
  'RATE_LIMIT_PER_MINUTE',
  'RATE_LIMIT_UPLOADS_PER_MINUTE',
  'UPLOAD_MAX_BYTES',
  'AUDIT_CHECKPOINT_KEY_FILE',
  'AUDIT_CHECKPOINT_INTERVAL_SECONDS',
  'METRICS_TOKEN',
  'METRICS_PORT',
  'METRICS_COVERAGE_CACHE_SECONDS',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
] as const;

function read(env: Env, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined) return undefined;
  const trimmed = raw.trim();
  return trimmed === '' ? undefined : trimmed;
}

function port(env: Env, name: string, fallback: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a port number (0-65535), got "${raw}"`);
  const value = Number(raw);
  if (value > 65535) throw new ConfigError(name, `must be a port number (0-65535), got "${raw}"`);
  return value;
}

function positiveInt(env: Env, name: string, fallback: number, max: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > max) {
    throw new ConfigError(name, `must be a whole number between 1 and ${max}, got "${raw}"`);
  }
  return Number(raw);
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

function url(env: Env, name: string, protocols: string[]): string | undefined {
  const raw = read(env, name);
  if (raw === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, `must be a URL (${protocols.join(' or ')}), got "${redact(raw)}"`);
  }
  if (!protocols.includes(parsed.protocol.replace(/:$/, ''))) {
    throw new ConfigError(name, `must use ${protocols.join(' or ')}, got "${parsed.protocol}"`);
  }
  return raw;
}

/** Hide the password of a connection URL in messages. */
export function redact(value: string): string {
  return value.replace(/\/\/([^:/@]+):[^@/]*@/, '//$1:***@');
}

const LOG_LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
// S3 bucket naming rules (3-63 chars, lowercase letters, digits, dots and hyphens).
const BUCKET_RE = /^(?!\d+\.\d+\.\d+\.\d+$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): AppConfig {
  const host = read(env, 'HOST') ?? '127.0.0.1';
  const logLevel = (read(env, 'LOG_LEVEL') ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }

  const s3Bucket = read(env, 'S3_BUCKET') ?? 'dossiers';
  if (!BUCKET_RE.test(s3Bucket)) {
    throw new ConfigError('S3_BUCKET', `"${s3Bucket}" is not a valid bucket name (3-63 lowercase letters, digits, dots, hyphens)`);
  }

  const s3Endpoint = url(env, 'S3_ENDPOINT', ['http', 'https']);
  const s3AccessKey = read(env, 'S3_ACCESS_KEY');
  const s3SecretKey = read(env, 'S3_SECRET_KEY');
  let s3: S3Settings | undefined;
  if (s3Endpoint) {
    // No default for any secret: an external endpoint needs both keys.
    if (!s3AccessKey) throw new ConfigError('S3_ACCESS_KEY', 'is required when S3_ENDPOINT is set');
    if (!s3SecretKey) throw new ConfigError('S3_SECRET_KEY', 'is required when S3_ENDPOINT is set');
    s3 = { endpoint: s3Endpoint, accessKey: s3AccessKey, secretKey: s3SecretKey, bucket: s3Bucket, region: read(env, 'S3_REGION') ?? 'us-east-1' };
  } else if (s3AccessKey || s3SecretKey) {
    throw new ConfigError('S3_ENDPOINT', 'is required when S3_ACCESS_KEY or S3_SECRET_KEY is set');
  }

  const oidcIssuer = url(env, 'OIDC_ISSUER', ['http', 'https']);
  const oidcAudience = read(env, 'OIDC_AUDIENCE');
  if (oidcIssuer && !oidcAudience) throw new ConfigError('OIDC_AUDIENCE', 'is required when OIDC_ISSUER is set');

  const trackingCodePrefix = read(env, 'TRACKING_CODE_PREFIX') ?? 'QN';
  if (!/^[A-Z]{1,6}$/.test(trackingCodePrefix)) {
    throw new ConfigError('TRACKING_CODE_PREFIX', `must be 1-6 capital letters, got "${trackingCodePrefix}"`);
  }

  const metricsToken = read(env, 'METRICS_TOKEN');
  if (metricsToken !== undefined && metricsToken.length < 16) throw new ConfigError('METRICS_TOKEN', 'must be at least 16 characters');
  const metricsPort = read(env, 'METRICS_PORT') === undefined ? undefined : port(env, 'METRICS_PORT', 0);

  return {
    host,
    port: port(env, 'PORT', 3000),
    dataDir: path.resolve(cwd, read(env, 'DATA_DIR') ?? '.data'),
    logLevel,
    databaseUrl: url(env, 'DATABASE_URL', ['postgres', 'postgresql']),
    databasePoolMax: positiveInt(env, 'DATABASE_POOL_MAX', 20, 500),
    embeddedPostgresPort: port(env, 'EMBEDDED_PG_PORT', 54329),
    s3,
    s3Bucket,
    embeddedS3Port: port(env, 'EMBEDDED_S3_PORT', 0),
    migrateOnStart: bool(env, 'MIGRATE_ON_START', true),
    jwt: {
      issuer: read(env, 'JWT_ISSUER') ?? 'urn:tech-appraisal:local',
      audience: read(env, 'JWT_AUDIENCE') ?? 'tech-appraisal-api',
      oidcIssuer,
      oidcAudience,
    },
    trackingCodePrefix,
    checkpointKeyFile: read(env, 'AUDIT_CHECKPOINT_KEY_FILE') ? path.resolve(cwd, read(env, 'AUDIT_CHECKPOINT_KEY_FILE')!) : undefined,
    checkpointIntervalSeconds: positiveInt(env, 'AUDIT_CHECKPOINT_INTERVAL_SECONDS', 300, 86_400),
    uploadMaxBytes: positiveInt(env, 'UPLOAD_MAX_BYTES', 1024 * 1024 * 1024, 5 * 1024 * 1024 * 1024 * 1024),
    metrics: { token: metricsToken, port: metricsPort, coverageCacheSeconds: positiveInt(env, 'METRICS_COVERAGE_CACHE_SECONDS', 60, 86_400) },
    otlpEndpoint: url(env, 'OTEL_EXPORTER_OTLP_ENDPOINT', ['http', 'https']),
    rateLimit: {
      perMinute: positiveInt(env, 'RATE_LIMIT_PER_MINUTE', 1200, 10_000_000),
      uploadsPerMinute: positiveInt(env, 'RATE_LIMIT_UPLOADS_PER_MINUTE', 30, 10_000_000),
    },
  };
}
