/**
 * Work that runs beside the HTTP API in every instance: delivering the outbox, signing audit
 * checkpoints, the statutory clock's deadline sweep, sweeping leftovers of failed uploads and
 * expired idempotency keys. Each job is safe to run on several instances at once (SKIP LOCKED
 * claims, transaction-scoped advisory try-locks, idempotent deletes); none holds a lock beyond
 * its transaction, so all work behind a transaction-pooling PgBouncer. The timers only say "look
 * now": what is to be done is in the database, so a restart loses nothing. server.ts starts them;
 * tests call the underlying services directly.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { OutboxDispatcher } from './modules/outbox/outbox-dispatcher';
import type { CheckpointService } from './modules/audit/checkpoint-service';
import type { DocumentService } from './modules/documents/document-service';
import type { CommandRunner } from './modules/commands/command-runner';
import type { SlipService } from './modules/slips/slip-service';
import { unavailableErrorFor } from './infra/infra-errors';
import type { DeadlineJobs } from './modules/deadlines/deadline-jobs';
import { observe } from './infra/metrics-observer';
import { runAsJob, runInLogContext } from './infra/log-context';

export interface BackgroundJobsDeps {
  outbox: OutboxDispatcher;
  checkpoints: CheckpointService;
  documents: DocumentService;
  runner: CommandRunner;
  slips: SlipService;
  /** Due-soon and overdue work of the statutory clock (claims deadline rows with SKIP LOCKED). */
  deadlineJobs: DeadlineJobs;
  deadlineSweepSeconds?: number;
  checkpointIntervalSeconds: number;
  log: FastifyBaseLogger;
}

export function createBackgroundJobs(deps: BackgroundJobsDeps) {
  const timers: NodeJS.Timeout[] = [];
  const running = new Set<Promise<unknown>>();

  // Every job runs again on its next tick, so an outage only delays it: say so at warn level
  // (with the dependency's code) instead of logging it as a failure of the job itself.
  const failed = (job: string) => (err: unknown) => {
    const outage = unavailableErrorFor(err);
    if (outage) deps.log.warn({ err, job, code: outage.code }, 'background job waiting for a dependency; will retry');
    else deps.log.error({ err, job }, 'background job failed');
  };

  function every(name: string, ms: number, job: () => Promise<unknown>) {
    const tick = () => {
      // Each run has its own id on every log line and span it makes (log-context.ts).
      const p = runAsJob(name, () => observe.jobRun(name, job))
        .catch(failed(name))
        .finally(() => running.delete(p));
      running.add(p);
    };
    const t = setInterval(tick, ms);
    t.unref();
    timers.push(t);
  }

  return {
    start() {
      // These two run their own timers: started in a context naming the job, so their lines and
      // spans say which job wrote them (one id per process start, not per run).
      runInLogContext({ job: 'outbox', jobRunId: `outbox-${process.pid}-${Date.now()}` }, () => deps.outbox.start(1_000, failed('outbox')));
      runInLogContext({ job: 'audit-checkpoint', jobRunId: `audit-checkpoint-${process.pid}-${Date.now()}` }, () => deps.checkpoints.start(deps.checkpointIntervalSeconds * 1000));
      every('document-sweeper', 60_000, () => deps.documents.sweep()); // abandoned uploads go within minutes
      every('idempotency-sweeper', 60 * 60_000, () => deps.runner.sweepExpiredKeys());
      every('slip-object-sweeper', 60 * 60_000, () => deps.slips.sweepOrphanObjects());
      // The poll only says "look now": what is due lives in the deadlines table, so a restart or
      // another instance loses nothing (deadline-jobs.ts).
      every('deadline-sweeper', (deps.deadlineSweepSeconds ?? 60) * 1000, () => deps.deadlineJobs.sweepOnce());
    },
    /** One deadline sweep now (what the poll does), e.g. for the CLI or a test after a restart. */
    sweepDeadlines: () => deps.deadlineJobs.sweepOnce(),
    async stop() {
      for (const t of timers) clearInterval(t);
      await Promise.all([deps.outbox.stop(), deps.checkpoints.stop(), ...running]);
    },
  };
}
export type BackgroundJobs = ReturnType<typeof createBackgroundJobs>;
