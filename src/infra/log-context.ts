/**
 * Which request (or background job run) the current work belongs to, carried through every
 * await by AsyncLocalStorage, so a log line written deep in a service (the command runner, an
 * audit append, a storage call, the scanner) and every span carry the same id as the request's
 * own log lines (`reqId`, the `x-request-id` header) without passing a logger down.
 *   - app.ts enters a request's context in its first onRequest hook;
 *   - background-jobs.ts enters a job run's context (`job`, `jobRunId`) for each run;
 *   - the process logger (server.ts) adds the fields to every line through pino's mixin;
 *   - withSpan (tracing.ts) adds them to every span.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

export interface LogContext {
  reqId?: string;
  job?: string;
  jobRunId?: string;
}

const storage = new AsyncLocalStorage<LogContext>();

export function currentLogContext(): LogContext | undefined {
  return storage.getStore();
}

export function runInLogContext<T>(ctx: LogContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

/** One run of a background job: a fresh run id for everything it logs or traces. */
export function runAsJob<T>(job: string, fn: () => T): T {
  return storage.run({ job, jobRunId: randomUUID() }, fn);
}

/**
 * pino `mixin`: the context's ids on every line. A request's own child logger already binds
 * `reqId`; it is not repeated there.
 */
export function logContextMixin(_merge: object, _level: number, logger?: { bindings(): Record<string, unknown> }): Record<string, string> {
  const ctx = storage.getStore();
  if (!ctx) return {};
  const out: Record<string, string> = {};
  if (ctx.reqId && logger?.bindings().reqId === undefined) out.reqId = ctx.reqId;
  if (ctx.job) out.job = ctx.job;
  if (ctx.jobRunId) out.jobRunId = ctx.jobRunId;
  return out;
}

/** Span attributes of the current context. */
export function logContextAttributes(): Record<string, string> {
  const ctx = storage.getStore();
  if (!ctx) return {};
  return { ...(ctx.reqId ? { 'request.id': ctx.reqId } : {}), ...(ctx.job ? { 'appraisal.job': ctx.job } : {}), ...(ctx.jobRunId ? { 'job.run_id': ctx.jobRunId } : {}) };
}

interface DebugLog {
  debug(obj: object, msg: string): void;
  isLevelEnabled?(level: string): boolean;
}
let processLog: DebugLog | undefined;

/** The process logger (server.ts), for the debug lines of deep code (metrics-observer.ts); none in tests that build a silent app. */
export function setProcessLogger(log: DebugLog | undefined): void {
  processLog = log;
}
export function processLogger(): DebugLog | undefined {
  return processLog;
}
