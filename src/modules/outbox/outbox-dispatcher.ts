import { sql } from 'drizzle-orm';
import type { Db } from '../../infra/database';

interface OutboxRow {
  id: number;
  topic: string;
  payload: Record<string, unknown>;
  attempts: number;
}

/**
 * Delivers effects queued in the outbox after their command committed. Each batch is claimed
 * with FOR UPDATE SKIP LOCKED, so several instances can run dispatchers side by side; a
 * delivery and the row's "processed" mark commit together. Failures back off and retry.
 */
export function createOutboxDispatcher(db: Db, opts: { batchSize?: number; maxAttempts?: number } = {}) {
  const batchSize = opts.batchSize ?? 100;
  const maxAttempts = opts.maxAttempts ?? 10;

  const handlers: Record<string, (tx: Parameters<Parameters<Db['transaction']>[0]>[0], row: OutboxRow) => Promise<void>> = {
    // In-app notifications: to one person (sub), to a role (optionally within an organisation).
    async notification(tx, row) {
      const p = row.payload as { projectId?: string; recipientSub?: string; recipientRole?: string; recipientOrg?: string; kind: string; message: string };
      await tx.execute(sql`
        insert into notifications (outbox_id, project_id, recipient_sub, recipient_role, recipient_org, kind, message)
        values (${row.id}, ${p.projectId ?? null}, ${p.recipientSub ?? null}, ${p.recipientRole ?? null}, ${p.recipientOrg ?? null}, ${p.kind}, ${p.message})
        on conflict (outbox_id) do nothing
      `);
    },
  };

  /** Process one batch; returns how many rows were delivered. */
  async function dispatchOnce(): Promise<number> {
    return db.transaction(async (tx) => {
      const rows = (await tx.execute(sql`
        select id, topic, payload, attempts from outbox
        where processed_at is null and available_at <= now() and attempts < ${maxAttempts}
        order by id limit ${batchSize}
        for update skip locked
      `)) as unknown as OutboxRow[];
      let delivered = 0;
      for (const row of rows) {
        const handler = handlers[row.topic];
        try {
          if (!handler) throw new Error(`no handler for topic "${row.topic}"`);
          await tx.transaction(async (sp) => handler(sp, row)); // savepoint: one bad row does not sink the batch
          await tx.execute(sql`update outbox set processed_at = now(), attempts = attempts + 1, last_error = null where id = ${row.id}`);
          delivered++;
        } catch (err) {
          await tx.execute(sql`
            update outbox set attempts = attempts + 1, last_error = ${String((err as Error).message).slice(0, 1000)},
              available_at = now() + make_interval(secs => ${Math.min(3600, 2 ** row.attempts)})
            where id = ${row.id}
          `);
        }
      }
      return delivered;
    });
  }

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  return {
    dispatchOnce,
    start(intervalMs = 1_000, onError: (err: unknown) => void = () => {}) {
      const tick = async () => {
        running = dispatchOnce().catch(onError);
        await running;
        timer = setTimeout(tick, intervalMs);
        timer.unref();
      };
      timer = setTimeout(tick, intervalMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
export type OutboxDispatcher = ReturnType<typeof createOutboxDispatcher>;
