import { sql } from 'drizzle-orm';
import type { Db } from '../../infra/database';
import type { Principal } from '../../auth/token-verifier';
import type { AppError } from '../../errors';
import { appendAuditEvent } from './audit-writer';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Refusals of one caller on one project are aggregated per window of this length. */
export const DENIAL_WINDOW_MS = 10 * 60_000;

/**
 * A refused command on an existing project leaves a trace that cannot be amplified: per caller,
 * project and 10-minute window, one counter row (how many, which actions and codes, first and
 * last time) and one `access.denied` audit event, at the window's first refusal. That event also
 * carries the totals of the caller's previous window on the project, so the counts reach the
 * hash chain too (ASVS V7: who, what, when, how many). Written in its own transaction, since the
 * command's was rolled back.
 */
export function createDenialRecorder(db: Db, clock: () => Date) {
  return async function recordDenial(input: {
    principal: Principal | undefined;
    projectId: string | undefined;
    action: string;
    error: AppError;
    requestId: string;
  }): Promise<void> {
    // UUIDs arrive in any case; the project's chain and the counters key on the canonical form.
    const projectId = input.projectId?.toLowerCase();
    if (!input.principal || !projectId || !UUID_RE.test(projectId)) return;
    const principal = input.principal;
    const at = clock();
    const windowStart = new Date(Math.floor(at.getTime() / DENIAL_WINDOW_MS) * DENIAL_WINDOW_MS);
    const { code, statusCode } = input.error;
    await db.transaction(async (tx) => {
      const [row] = (await tx.execute(sql`
        insert into access_denial_windows as w (principal_sub, project_id, window_start, count, actions, codes, first_at, last_at, last_request_id)
        select ${principal.sub}, p.id, ${windowStart.toISOString()}::timestamptz, 1, jsonb_build_object(${input.action}::text, 1), jsonb_build_object(${code}::text, 1),
               ${at.toISOString()}::timestamptz, ${at.toISOString()}::timestamptz, ${input.requestId}
        from projects p where p.id = ${projectId}::uuid
        on conflict (principal_sub, project_id, window_start) do update set
          count = w.count + 1,
          actions = w.actions || jsonb_build_object(${input.action}::text, coalesce((w.actions ->> ${input.action}::text)::int, 0) + 1),
          codes = w.codes || jsonb_build_object(${code}::text, coalesce((w.codes ->> ${code}::text)::int, 0) + 1),
          last_at = greatest(w.last_at, excluded.last_at),
          last_request_id = excluded.last_request_id
        returning (xmax = 0) as inserted
      `)) as unknown as Array<{ inserted: boolean }>;
      if (!row?.inserted) return; // no such project, or already recorded in this window
      const [project] = (await tx.execute(sql`select state, revision from projects where id = ${projectId}::uuid`)) as unknown as Array<{ state: string; revision: number }>;
      const [previous] = (await tx.execute(sql`
        select window_start, count, actions, codes, first_at, last_at from access_denial_windows
        where principal_sub = ${principal.sub} and project_id = ${projectId}::uuid and window_start < ${windowStart.toISOString()}::timestamptz
        order by window_start desc limit 1
      `)) as unknown as Array<{ window_start: Date | string; count: number; actions: unknown; codes: unknown; first_at: Date | string; last_at: Date | string }>;
      const iso = (d: Date | string) => new Date(d).toISOString();
      const event = await appendAuditEvent(tx, {
        actor: principal,
        action: 'access.denied',
        projectId,
        fromState: project!.state,
        toState: project!.state,
        revision: project!.revision,
        requestId: input.requestId,
        payload: {
          attempted: input.action,
          status: statusCode,
          code,
          reason: input.error.message,
          window: { start: windowStart.toISOString(), end: new Date(windowStart.getTime() + DENIAL_WINDOW_MS).toISOString() },
          ...(previous
            ? {
                previousWindow: {
                  start: iso(previous.window_start),
                  count: previous.count,
                  actions: previous.actions,
                  codes: previous.codes,
                  firstAt: iso(previous.first_at),
                  lastAt: iso(previous.last_at),
                },
              }
            : {}),
        },
        at,
      });
      await tx.execute(sql`
        update access_denial_windows set audit_seq = ${event.seq}
        where principal_sub = ${principal.sub} and project_id = ${projectId}::uuid and window_start = ${windowStart.toISOString()}::timestamptz
      `);
    });
  };
}
export type DenialRecorder = ReturnType<typeof createDenialRecorder>;
