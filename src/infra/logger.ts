/** The process's JSON logger (pino): every line carries the request or job run it was written in (log-context.ts). */
import pino, { type DestinationStream, type Logger } from 'pino';
import { logContextMixin, setProcessLogger } from './log-context';
import { SERVICE_VERSION } from '../version';

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const logger = pino({ level, base: { service: 'tech-appraisal', version: SERVICE_VERSION }, mixin: (merge, level, log) => logContextMixin(merge, level, log as unknown as { bindings(): Record<string, unknown> }) }, destination);
  setProcessLogger(logger);
  return logger;
}
