/**
 * Work that runs beside the HTTP API in every instance: delivering the outbox, signing audit
 * checkpoints, sweeping leftovers of failed uploads and expired idempotency keys. Each job is
 * safe to run on several instances at once (SKIP LOCKED claims, advisory locks, idempotent
 * deletes). server.ts starts them; tests call the underlying services directly.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { OutboxDispatcher } from './modules/outbox/outbox-dispatcher';
import type { CheckpointService } from './modules/audit/checkpoint-service';
import type { DocumentService } from './modules/documents/document-service';
import type { CommandRunner } from './modules/commands/command-runner';
import type { SlipService } from './modules/slips/slip-service';
import { observe } from './infra/metrics-observer';

export interface BackgroundJobsDeps {
  outbox: OutboxDispatcher;
  checkpoints: CheckpointService;
  documents: DocumentService;
  runner: CommandRunner;
  slips: SlipService;
  checkpointIntervalSeconds: number;
  log: FastifyBaseLogger;
}

export function createBackgroundJobs(deps: BackgroundJobsDeps) {
  const timers: NodeJS.Timeout[] = [];
  const running = new Set<Promise<unknown>>();

  function every(name: string, ms: number, job: () => Promise<unknown>) {
    const tick = () => {
      const p = observe.jobRun(name, job)
        .catch((err) => deps.log.error({ err, job: name }, 'background job failed'))
        .finally(() => running.delete(p));
      running.add(p);
    };
    const t = setInterval(tick, ms);
    t.unref();
    timers.push(t);
  }

  return {
    start() {
      deps.outbox.start(1_000, (err) => deps.log.error({ err, job: 'outbox' }, 'background job failed'));
      deps.checkpoints.start(deps.checkpointIntervalSeconds * 1000);
      every('document-sweeper', 15 * 60_000, () => deps.documents.sweep());
      every('idempotency-sweeper', 60 * 60_000, () => deps.runner.sweepExpiredKeys());
      every('slip-object-sweeper', 60 * 60_000, () => deps.slips.sweepOrphanObjects());
    },
    async stop() {
      for (const t of timers) clearInterval(t);
      await Promise.all([deps.outbox.stop(), deps.checkpoints.stop(), ...running]);
    },
  };
}
export type BackgroundJobs = ReturnType<typeof createBackgroundJobs>;
