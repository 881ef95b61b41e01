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
  /** Named prepared statements per connection (false behind a transaction-pooling PgBouncer older than 1.21). */
  databasePrepare: boolean;
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
  /** How often the statutory clock's deadline sweep looks for due rows. */
  deadlineSweepSeconds: number;
  checkpointKeyFile: string | undefined;
  checkpointIntervalSeconds: number;
  uploads: {
    /** An upload body that sends nothing for this long is answered 408 and dropped. */
    stallTimeoutMs: number;
    /** A pending upload with no sign of life for this long is removed by the sweeper. */
    abandonedAfterMs: number;
  };
  virusScan: VirusScanSettings;
  /** The web interface and its sign-in (src/web). */
  web: {
    /** The address people use (redirect URIs, the embedded provider's issuer). */
    publicUrl: string;
    /** Client registration at OIDC_ISSUER; unused with the embedded provider. */
    oidcClientId: string | undefined;
    oidcClientSecret: string | undefined;
    /** 32-byte key of the encrypted session cookie; default a key under DATA_DIR/keys. */
    sessionKey: Buffer | undefined;
    sessionIdleMinutes: number;
    sessionMaxHours: number;
    cookieSecure: boolean;
  };
  /** GET /metrics: on the API port behind a bearer token, and/or on a separate port; off when neither is set. */
  metrics: { token: string | undefined; port: number | undefined; coverageCacheSeconds: number };
  /** OTLP/HTTP collector base URL; tracing is off when absent. */
  otlpEndpoint: string | undefined;
}

export interface VirusScanSettings {
  /** auto: use clamd when reachable, else record "not_scanned"; required: refuse uploads (503) without it; off: never scan. */
  mode: 'auto' | 'required' | 'off';
  /** Where clamd listens; `explicit` when configured (then an unreachable clamd fails the upload closed). */
  target: { socket: string } | { host: string; port: number };
  explicit: boolean;
  timeoutMs: number;
}

/** Debian's clamav-daemon listens here by default. */
export const DEFAULT_CLAMD_SOCKET = '/run/clamav/clamd.ctl';

type Env = Record<string, string | undefined>;

/** Every variable loadConfig reads (the docker-compose test checks the app's environment against it). */
export const CONFIG_VARIABLES = [
  'HOST',
  'PORT',
  'DATA_DIR',
  'LOG_LEVEL',
  'DATABASE_URL',
  'DATABASE_POOL_MAX',
  'DATABASE_PREPARE',
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
  'DEADLINE_SWEEP_SECONDS',
  'UPLOAD_STALL_TIMEOUT_SECONDS',
  'UPLOAD_ABANDONED_AFTER_SECONDS',
  'VIRUS_SCAN',
  'CLAMD_SOCKET',
  'CLAMD_HOST',
  'CLAMD_PORT',
  'CLAMD_TIMEOUT_SECONDS',
  'PUBLIC_URL',
  'OIDC_CLIENT_ID',
  'OIDC_CLIENT_SECRET',
  'SESSION_KEY',
  'SESSION_IDLE_MINUTES',
  'SESSION_MAX_HOURS',
  'SESSION_COOKIE_SECURE',
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

  const virusScanMode = (read(env, 'VIRUS_SCAN') ?? 'auto').toLowerCase();
  if (!['auto', 'required', 'off'].includes(virusScanMode)) throw new ConfigError('VIRUS_SCAN', `must be auto, required or off, got "${virusScanMode}"`);
  const clamdSocket = read(env, 'CLAMD_SOCKET');
  const clamdHost = read(env, 'CLAMD_HOST');
  if (clamdSocket && clamdHost) throw new ConfigError('CLAMD_HOST', 'set either CLAMD_SOCKET or CLAMD_HOST/CLAMD_PORT, not both');
  if (read(env, 'CLAMD_PORT') && !clamdHost) throw new ConfigError('CLAMD_HOST', 'is required when CLAMD_PORT is set');
  const virusScan: VirusScanSettings = {
    mode: virusScanMode as VirusScanSettings['mode'],
    target: clamdHost ? { host: clamdHost, port: port(env, 'CLAMD_PORT', 3310) } : { socket: clamdSocket ? path.resolve(cwd, clamdSocket) : DEFAULT_CLAMD_SOCKET },
    explicit: Boolean(clamdSocket || clamdHost),
    timeoutMs: positiveInt(env, 'CLAMD_TIMEOUT_SECONDS', 120, 3600) * 1000,
  };
  const listenPort = port(env, 'PORT', 3000);
  const publicUrl = (url(env, 'PUBLIC_URL', ['http', 'https']) ?? `http://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host}:${listenPort}`).replace(/\/$/, '');
  const oidcClientId = read(env, 'OIDC_CLIENT_ID');
  const oidcClientSecret = read(env, 'OIDC_CLIENT_SECRET');
  if (oidcClientId && !oidcIssuer) throw new ConfigError('OIDC_ISSUER', 'is required when OIDC_CLIENT_ID is set');
  if (oidcClientId && !oidcClientSecret) throw new ConfigError('OIDC_CLIENT_SECRET', 'is required when OIDC_CLIENT_ID is set');
  const sessionKeyText = read(env, 'SESSION_KEY');
  let sessionKey: Buffer | undefined;
  if (sessionKeyText) {
    sessionKey = Buffer.from(sessionKeyText, 'base64');
    if (sessionKey.length !== 32) throw new ConfigError('SESSION_KEY', 'must be 32 random bytes in base64 (openssl rand -base64 32)');
  }
  const metricsToken = read(env, 'METRICS_TOKEN');
  if (metricsToken !== undefined && metricsToken.length < 16) throw new ConfigError('METRICS_TOKEN', 'must be at least 16 characters');
  const metricsPort = read(env, 'METRICS_PORT') === undefined ? undefined : port(env, 'METRICS_PORT', 0);

  return {
    host,
    port: listenPort,
    dataDir: path.resolve(cwd, read(env, 'DATA_DIR') ?? '.data'),
    logLevel,
    databaseUrl: url(env, 'DATABASE_URL', ['postgres', 'postgresql']),
    databasePoolMax: positiveInt(env, 'DATABASE_POOL_MAX', 20, 500),
    databasePrepare: bool(env, 'DATABASE_PREPARE', true),
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
    deadlineSweepSeconds: positiveInt(env, 'DEADLINE_SWEEP_SECONDS', 60, 86_400),
    uploadMaxBytes: positiveInt(env, 'UPLOAD_MAX_BYTES', 1024 * 1024 * 1024, 5 * 1024 * 1024 * 1024 * 1024),
    uploads: {
      stallTimeoutMs: positiveInt(env, 'UPLOAD_STALL_TIMEOUT_SECONDS', 30, 3600) * 1000,
      abandonedAfterMs: positiveInt(env, 'UPLOAD_ABANDONED_AFTER_SECONDS', 600, 7 * 86_400) * 1000,
    },
    virusScan,
    web: {
      publicUrl,
      oidcClientId,
      oidcClientSecret,
      sessionKey,
      sessionIdleMinutes: positiveInt(env, 'SESSION_IDLE_MINUTES', 30, 24 * 60),
      sessionMaxHours: positiveInt(env, 'SESSION_MAX_HOURS', 12, 24 * 30),
      cookieSecure: bool(env, 'SESSION_COOKIE_SECURE', publicUrl.startsWith('https:')),
    },
    metrics: { token: metricsToken, port: metricsPort, coverageCacheSeconds: positiveInt(env, 'METRICS_COVERAGE_CACHE_SECONDS', 60, 86_400) },
    otlpEndpoint: url(env, 'OTEL_EXPORTER_OTLP_ENDPOINT', ['http', 'https']),
    rateLimit: {
      perMinute: positiveInt(env, 'RATE_LIMIT_PER_MINUTE', 1200, 10_000_000),
      uploadsPerMinute: positiveInt(env, 'RATE_LIMIT_UPLOADS_PER_MINUTE', 30, 10_000_000),
    },
  };
}
