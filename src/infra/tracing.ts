/**
 * OpenTelemetry tracing, off unless OTEL_EXPORTER_OTLP_ENDPOINT is set. Spans are made by hand
 * (requests in metrics-observer's Fastify hooks, command transactions, audit appends, storage
 * calls): postgres.js has no instrumentation, and manual spans keep the set small and named.
 * Without a started provider the @opentelemetry/api tracer is a no-op, so the hooks cost nothing.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { context, ROOT_CONTEXT, trace, SpanStatusCode, type Attributes, type Context, type ContextManager, type Span } from '@opentelemetry/api';
import { NodeTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { SERVICE_VERSION } from '../version';

import { logContextAttributes } from './log-context';

export const TRACER_NAME = 'tech-appraisal';

/**
 * The OTel context in an AsyncLocalStorage we own, so a Fastify onRequest hook can make the
 * request's span current for the rest of the request (enterWith); Fastify has no wrapper around
 * a request's handling for context.with().
 */
class RequestContextManager implements ContextManager {
  private readonly als = new AsyncLocalStorage<Context>();
  active(): Context {
    return this.als.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(ctx: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    return this.als.run(ctx, () => fn.apply(thisArg, args));
  }
  bind<T>(ctx: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const run = (...args: unknown[]) => this.with(ctx, () => (target as (...a: unknown[]) => unknown)(...args));
    return run as T;
  }
  enterWith(ctx: Context): void {
    this.als.enterWith(ctx);
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.als.disable();
    return this;
  }
}
let contextManager: RequestContextManager | undefined;

/** Make `span` the current span for the rest of this asynchronous flow (a request's hooks and handler). */
export function enterSpan(span: Span): void {
  contextManager?.enterWith(trace.setSpan(context.active(), span));
}

export interface Tracing {
  /** Export what is buffered and stop (on shutdown; tests call it to flush). */
  shutdown(): Promise<void>;
  forceFlush(): Promise<void>;
}

/**
 * Start exporting spans over OTLP/HTTP (JSON) to `<endpoint>/v1/traces`, as the OTel spec says
 * for the OTEL_EXPORTER_OTLP_ENDPOINT variable. Registers the global tracer provider.
 */
export function startTracing(opts: { endpoint: string; serviceName?: string }): Tracing {
  const url = `${opts.endpoint.replace(/\/+$/, '')}/v1/traces`;
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': opts.serviceName ?? 'tech-appraisal', 'service.version': SERVICE_VERSION }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url }), { scheduledDelayMillis: 1_000 })],
  });
  contextManager = new RequestContextManager();
  provider.register({ contextManager });
  return {
    shutdown: async () => {
      await provider.shutdown();
      trace.disable();
      context.disable();
      contextManager = undefined;
    },
    forceFlush: () => provider.forceFlush(),
  };
}

/** Run `fn` in a child span of the active one; errors mark the span and are rethrown. */
export async function withSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>): Promise<T> {
  return trace.getTracer(TRACER_NAME).startActiveSpan(name, { attributes: { ...logContextAttributes(), ...attributes } }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message });
      throw err;
    } finally {
      span.end();
    }
  });
}
