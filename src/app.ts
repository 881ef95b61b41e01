import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppConfig } from './config';
import type { Database } from './infra/database';
import type { ObjectStorage } from './infra/object-storage';
import { registerErrorHandling } from './http/error-handler';
import { registerOpenApi } from './http/openapi';
import { registerAccessControl } from './http/access-control';
import { clientErrorHandler, frameworkErrors, registerInputHardening } from './http/input-hardening';
import { AppError, ValidationError } from './errors';
import { embeddedProviderProbe, healthRoutes, oidcDiscoveryProbe, scannerProbe } from './routes/health.routes';
import { projectRoutes, ProjectView } from './routes/projects.routes';
import { notificationRoutes } from './routes/notifications.routes';
import { AuditEvent, historyRoutes } from './routes/history.routes';
import { documentRoutes } from './routes/documents.routes';
import { rulebookRoutes } from './routes/rulebooks.routes';
import { auditRoutes } from './routes/audit.routes';
import { appraisalRoutes } from './routes/appraisal.routes';
import { reportRoutes } from './routes/reports.routes';
import { calendarRoutes } from './routes/calendar.routes';
import { slipRoutes } from './routes/slips.routes';
import { createSlipService } from './modules/slips/slip-service';
import { createDeadlineService } from './modules/deadlines/deadline-service';
import { createProcedureClock } from './modules/deadlines/procedure-clock';
import { createDeadlineJobs } from './modules/deadlines/deadline-jobs';
import { createCalendarService } from './modules/calendar/calendar-service';
import { createAppraisalService, type AppraisalService } from './modules/appraisal/appraisal-service';
import { createCheckpointService, type CheckpointService } from './modules/audit/checkpoint-service';
import path from 'node:path';
import { createOutboxDispatcher } from './modules/outbox/outbox-dispatcher';
import { createBackgroundJobs, type BackgroundJobs } from './background-jobs';
import { createMetrics, registerMetricsRoute, type Metrics } from './infra/metrics';
import { runInLogContext } from './infra/log-context';

declare module 'fastify' {
  interface FastifyInstance {
    /** Outbox delivery, checkpoints, sweepers: started by server.ts, stopped when the app closes. */
    backgroundJobs: BackgroundJobs;
    /** Prometheus registry; served at /metrics with METRICS_TOKEN, or on METRICS_PORT by server.ts. */
    metrics: Metrics;
  }
}
import { createRulebookService } from './modules/rulebook/rulebook-service';
import { createDocumentService } from './modules/documents/document-service';
import { createVirusScanner } from './modules/documents/virus-scan';
import { createProjectFacts } from './modules/projects/project-facts';
import { SERVICE_VERSION } from './version';
import { createLocalTokenVerifier, createOidcTokenVerifier, withVerificationCache, type TokenVerifier } from './auth/token-verifier';
import { loadOrCreateLocalSigningKey } from './auth/local-signing-key';
import { createCommandRunner } from './modules/commands/command-runner';
import { createProjectService } from './modules/projects/project-service';
import { createPrincipalDirectory } from './modules/projects/principal-directory';
import { createDenialRecorder } from './modules/audit/denial-recorder';
import { registerWeb } from './web/web-setup';
import { registerInvestorPages } from './web/pages/investor-pages';
import { registerClerkPages } from './web/pages/clerk-pages';
import { registerAssignmentPages } from './web/pages/assignment-pages';
import { registerSlaBoardPages } from './web/pages/sla-board-pages';
import { registerAppraiserPages } from './web/pages/appraiser-pages';
import { createAssignmentCandidates } from './modules/appraisal/assignment-rules';
import { createAppraiserWorkspace } from './modules/appraisal/appraiser-workspace';
import { createSlaBoard } from './modules/deadlines/sla-board';
import { registerApproverPages } from './web/pages/approver-pages';
import { registerAuditorPages } from './web/pages/auditor-pages';
import { projectHistory } from './modules/audit/audit-reader';
import { loadVisibleProject } from './modules/projects/project-access';
import { createAuditVerification } from './modules/audit/audit-verification';

export interface AppDeps {
  config: AppConfig;
  database: Database;
  storage: ObjectStorage;
  /** A pino logger (server.ts), or undefined for a silent app (tests). */
  logger?: FastifyBaseLogger;
  /** Token verification; by default the OIDC issuer if configured, else the local key under DATA_DIR. */
  verifier?: TokenVerifier;
  clock?: () => Date;
  /** Signs audit chain heads; by default with the key under DATA_DIR (or AUDIT_CHECKPOINT_KEY_FILE). */
  checkpoints?: CheckpointService;
}

// A client-supplied request id is echoed only when it is short and plain.
const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;
const PROJECT_COMMAND_RE = /^\/v1\/projects\/:id\/([a-z-]+)$/;

async function defaultVerifier(config: AppConfig): Promise<TokenVerifier> {
  if (config.jwt.oidcIssuer) return withVerificationCache(createOidcTokenVerifier({ issuer: config.jwt.oidcIssuer, audience: config.jwt.oidcAudience! }));
  const key = await loadOrCreateLocalSigningKey(config.dataDir);
  return withVerificationCache(createLocalTokenVerifier({ publicKey: key.publicKey, issuer: config.jwt.issuer, audience: config.jwt.audience }));
}

/** Builds the whole app without listening: external plugins → app plugins → routes. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, database } = deps;
  const clock = deps.clock ?? (() => new Date());
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID_RE.test(incoming) ? incoming : randomUUID();
    },
    // Refusals made before a route runs (bad percent-encoding; what Node's parser rejects) in
    // the error envelope too.
    frameworkErrors,
    // Long enough that a malformed id reaches its schema (400 naming the parameter) instead of
    // missing every route (404); longer segments still answer 404 in the envelope.
    routerOptions: { maxParamLength: 500 },
    clientErrorHandler: clientErrorHandler(() => randomUUID()),
    // allErrors: every problem of a request in one answer; verbose: the failing schema, so the
    // answer can name allowed values and fields (http/validation-errors.ts). Bodies are capped by
    // bodyLimit and arrays by maxItems, and the answer lists at most 50 problems.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: true, verbose: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // The request's id on every log line and span of its work, however deep (infra/log-context.ts).
  app.addHook('onRequest', (request, _reply, done) => runInLogContext({ reqId: String(request.id) }, done));
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  registerErrorHandling(app);
  registerInputHardening(app);
  const metrics = createMetrics({ db: database.db, coverageCacheSeconds: config.metrics.coverageCacheSeconds, log: app.log });
  metrics.registerHttpHooks(app);
  app.decorate('metrics', metrics);
  app.addHook('onClose', async () => metrics.close());

  // Postgres text and jsonb cannot hold NUL characters: refuse them at the door with a 400
  // instead of letting them fail deep in a transaction. Fastify's own parser does the rest
  // (including prototype-poisoning protection).
  const defaultJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (/\\u0000/i.test(body as string)) {
      done(new ValidationError('Text must not contain NUL (\\u0000) characters', {}, 'INVALID_CHARACTERS'), undefined);
      return;
    }
    // An empty body with a JSON content type (what many clients send on a bodiless POST) is no body.
    if ((body as string).trim() === '') {
      done(null, undefined);
      return;
    }
    defaultJson(request, body as string, done);
  });
  // A command whose body has no required field may be sent without one: it means `{}`.
  app.addHook('preValidation', async (request) => {
    if (request.body !== undefined && request.body !== null) return;
    const schema = request.routeOptions.schema?.body as { type?: string; required?: unknown[] } | undefined;
    if (schema?.type === 'object' && !(schema.required?.length)) request.body = {};
  });

  // --- services, wired in one place
  const runner = createCommandRunner({ db: database.db });
  const directory = createPrincipalDirectory(database.db);
  const recordDenial = createDenialRecorder(database.db, clock);
  const rulebooks = createRulebookService({ db: database.db, clock });
  // Projects and appraisal need each other (screening runs inside submit; opinions are project
  // commands): the appraisal service is bound once both exist.
  let appraisal: AppraisalService | undefined;
  const bound = () => appraisal!;
  const facts = createProjectFacts({ rulebooks, clock });
  const calendars = createCalendarService({ db: database.db, clock });
  const slips = createSlipService({ db: database.db, storage: deps.storage, clock });
  const deadlines = createDeadlineService({ calendars, clock });
  const procedureClock = createProcedureClock({ deadlines, slips });
  const projects = createProjectService({
    db: database.db,
    rulebooks,
    runner,
    trackingCodePrefix: config.trackingCodePrefix,
    clock,
    facts,
    screen: (ctx) => bound().screenProject(ctx),
    enteredAppraisal: (ctx) => bound().openAppraisal(ctx),
    procedureClock,
    deadlinesOf: (x, project) => deadlines.ofProject(x, project, clock()),
    factsMany: facts.many,
    deadlinesOfMany: (x, rows) => deadlines.ofProjects(x, rows, clock()),
  });
  const checkpoints =
    deps.checkpoints ?? createCheckpointService({ db: database.db, keyFile: config.checkpointKeyFile ?? path.join(config.dataDir, 'keys', 'audit-checkpoint-ed25519.pem'), clock });
  appraisal = createAppraisalService({
    db: database.db,
    projects,
    facts,
    rulebooks,
    clock,
    afterDecision: () => checkpoints.createCheckpoint('decision').catch((err) => app.log.error({ err }, 'checkpoint after decision failed')),
    procedureClock,
  });
  const documents = createDocumentService({
    db: database.db,
    storage: deps.storage,
    projects,
    rulebooks,
    maxBytes: config.uploadMaxBytes,
    stallTimeoutMs: config.uploads.stallTimeoutMs,
    abandonedAfterMs: config.uploads.abandonedAfterMs,
    scanner: createVirusScanner(config.virusScan),
    clock,
    log: app.log,
  });

  // --- access control first, so every route registered after it must declare its rule
  registerAccessControl(app, {
    verifier: deps.verifier ?? (await defaultVerifier(config)),
    onPrincipal: (p) => directory.touch(p),
    onDenied: async ({ principal, request, error }) => {
      const command = PROJECT_COMMAND_RE.exec(request.routeOptions.url ?? '');
      if (command && request.method === 'POST') {
        await recordDenial({ principal, projectId: (request.params as { id?: string }).id, action: command[1]!, error, requestId: request.id });
      }
    },
  });
  // Denials decided by the services (404 for an invisible project, 403 for a relation) on commands
  // (access control's own refusals were recorded by onDenied already).
  app.addHook('onError', async (request, _reply, error) => {
    const command = PROJECT_COMMAND_RE.exec(request.routeOptions.url ?? '');
    if (!command || request.method !== 'POST' || !(error instanceof AppError) || request.accessDenial) return;
    if (error.statusCode === 403 || error.statusCode === 404) {
      request.log.warn({ caller: request.principal?.sub, route: `${request.method} ${request.routeOptions.url}`, reason: error.code }, 'command denied');
      await recordDenial({ principal: request.principal, projectId: (request.params as { id?: string }).id, action: command[1]!, error, requestId: request.id }).catch((err) =>
        request.log.error({ err }, 'recording a denial failed'),
      );
    }
  });

  await app.register(rateLimit, {
    global: true,
    max: config.rateLimit.perMinute,
    timeWindow: 60_000,
    // onRequest of each route, so after authentication (the limit is per caller, not per
    // address) and before a refusal is answered: refused requests count too.
    hook: 'onRequest',
    keyGenerator: (request) => {
      const caller = request.principal ?? request.accessDenial?.principal;
      return caller ? `sub:${caller.sub}` : `ip:${request.ip}`;
    },
    errorResponseBuilder: (request, context) => ({
      statusCode: 429,
      code: 'RATE_LIMITED',
      message: `Too many requests: the limit is ${context.max} per minute; retry in ${Math.ceil(context.ttl / 1000)} s`,
      requestId: request.id,
    }),
  });
  await registerOpenApi(app, { version: SERVICE_VERSION });
  // Shared response schemas, referenced across route plugins (and named components in OpenAPI).
  app.addSchema(ProjectView);
  app.addSchema(AuditEvent);

  await app.register(healthRoutes, {
    database,
    storage: deps.storage,
    probes: { identityProvider: config.jwt.oidcIssuer ? oidcDiscoveryProbe(config.jwt.oidcIssuer) : embeddedProviderProbe(app), scanner: scannerProbe(config.virusScan) },
  });
  if (config.metrics.token) registerMetricsRoute(app, metrics, config.metrics.token);
  await app.register(projectRoutes, { projects, clock });
  await app.register(notificationRoutes, { db: database.db });
  await app.register(historyRoutes, { db: database.db, checkpoints });
  await app.register(documentRoutes, { documents, maxBytes: config.uploadMaxBytes, uploadsPerMinute: config.rateLimit.uploadsPerMinute });
  await app.register(rulebookRoutes, { rulebooks, clock });
  await app.register(appraisalRoutes, { appraisal });
  await app.register(reportRoutes, { db: database.db, clock, deadlines });
  const auditVerification = createAuditVerification({ db: database.db, checkpoints });
  await app.register(auditRoutes, { db: database.db, checkpoints, verification: auditVerification });
  await app.register(calendarRoutes, { calendars });
  await app.register(slipRoutes, { slips });
  // The web interface: sign-in (embedded OpenID provider or OIDC_ISSUER) and the pages.
  await registerWeb(app, {
    config,
    db: database.db,
    clock,
    pages: async (scope, tools) => {
      await registerInvestorPages(scope, tools, {
        projects,
        documents,
        rulebooks,
        history: async (principal, id) => projectHistory(database.db, (await loadVisibleProject(database.db, principal, id)).project.id),
        maxUploadBytes: config.uploadMaxBytes,
        clock,
        slips,
      });
      registerClerkPages(scope, tools, { projects, documents, rulebooks, clock });
      registerAssignmentPages(scope, tools, { projects, candidates: createAssignmentCandidates({ db: database.db }) });
      registerSlaBoardPages(scope, tools, { board: createSlaBoard({ db: database.db, deadlines, clock }) });
      registerAppraiserPages(scope, tools, { appraisal: appraisal!, documents, projects, workspace: createAppraiserWorkspace({ db: database.db, projects, rulebooks, deadlines, clock }) });
      registerApproverPages(scope, tools, { projects, appraisal: appraisal!, documents, rulebooks, slips });
      registerAuditorPages(scope, tools, {
        db: database.db,
        projects,
        verification: auditVerification,
        checkpoints,
        history: async (principal, id) => projectHistory(database.db, (await loadVisibleProject(database.db, principal, id)).project.id),
        clock,
      });
    },
  });

  const jobs = createBackgroundJobs({
    outbox: createOutboxDispatcher(database.db),
    checkpoints,
    documents,
    runner,
    slips,
    deadlineJobs: createDeadlineJobs({ db: database.db, deadlines, clock }),
    checkpointIntervalSeconds: config.checkpointIntervalSeconds,
    deadlineSweepSeconds: config.deadlineSweepSeconds,
    log: app.log,
  });
  app.decorate('backgroundJobs', jobs);
  app.addHook('onClose', async () => jobs.stop());

  return app;
}
