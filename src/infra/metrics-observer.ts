/**
 * The one place the code reports what operators watch: each hook records a Prometheus series
 * (when a Metrics registry is attached, see metrics.ts) and makes a span (when tracing is on).
 * Process-wide like the OTel global tracer, so deep code (the audit writer, storage calls) can
 * report without every constructor carrying an observer; with nothing attached it only times.
 */
import type { Attributes } from '@opentelemetry/api';
import { withSpan } from './tracing';
import { AppError } from '../errors';

export type CommandOutcome = 'accepted' | 'replayed' | 'refused' | 'failed';

export interface MetricsSink {
  command(action: string, outcome: CommandOutcome, seconds: number): void;
  auditAppend(seconds: number): void;
  storageCall(operation: string, ok: boolean, seconds: number): void;
  upload(bytes: number, scan: string): void;
  jobRun(job: string, ok: boolean, seconds: number): void;
}

let sink: MetricsSink | undefined;

/** Attach the registry that counts (the last app built in this process counts). */
export function attachMetricsSink(next: MetricsSink): void {
  sink = next;
}

/** Detach `own`, if it is still the one attached. */
export function detachMetricsSink(own: MetricsSink): void {
  if (sink === own) sink = undefined;
}

import { processLogger } from './log-context';

const seconds = (started: number) => (performance.now() - started) / 1000;

function outcomeOf(err: unknown): CommandOutcome {
  return err instanceof AppError && err.statusCode < 500 ? 'refused' : 'failed';
}

async function timed<T>(span: string, attributes: Attributes, fn: () => Promise<T>, done: (ok: boolean, s: number, value?: T, err?: unknown) => void): Promise<T> {
  const started = performance.now();
  return withSpan(span, attributes, async () => {
    try {
      const value = await fn();
      const s = seconds(started);
      done(true, s, value);
      trace(span, attributes, s, true);
      return value;
    } catch (err) {
      const s = seconds(started);
      done(false, s, undefined, err);
      trace(span, attributes, s, false);
      throw err;
    }
  });
}

/** One debug line per observed step (command, audit append, storage call, job run), with the request or job run id (log-context.ts). */
function trace(step: string, attributes: Attributes, s: number, ok: boolean): void {
  const log = processLogger();
  if (!log || log.isLevelEnabled?.('debug') === false) return;
  log.debug({ step, ...attributes, ms: Math.round(s * 10_000) / 10, ok }, `${step} ${ok ? 'done' : 'failed'}`);
}

export const observe = {
  /** A command's whole transaction (with its retries), by action. */
  command<T extends { replayed?: boolean }>(action: string, fn: () => Promise<T>): Promise<T> {
    return timed(`command ${action}`, { 'appraisal.command': action }, fn, (ok, s, value, err) =>
      sink?.command(action, ok ? (value?.replayed ? 'replayed' : 'accepted') : outcomeOf(err), s),
    );
  },
  /** One audit event appended (inside the command's transaction). */
  auditAppend<T>(fn: () => Promise<T>): Promise<T> {
    return timed('audit append', {}, fn, (ok, s) => ok && sink?.auditAppend(s));
  },
  storageCall<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    return timed(`storage ${operation}`, { 'storage.operation': operation }, fn, (ok, s) => sink?.storageCall(operation, ok, s));
  },
  /** A committed dossier file, with the scanner's verdict (`not_scanned` without a scanner). */
  upload(bytes: number, scan = 'not_scanned'): void {
    sink?.upload(bytes, scan);
  },
  jobRun<T>(job: string, fn: () => Promise<T>): Promise<T> {
    return timed(`job ${job}`, { 'appraisal.job': job }, fn, (ok, s) => sink?.jobRun(job, ok, s));
  },
};
