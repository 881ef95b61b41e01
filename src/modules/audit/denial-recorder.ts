import { sql } from 'drizzle-orm';
import type { Db } from '../../infra/database';
import type { Principal } from '../../auth/token-verifier';
import type { AppError } from '../../errors';
import { appendAuditEvent } from './audit-writer';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A refused command on an existing project leaves a trace in that project's history: who,
 * which action, why. Written in its own transaction, since the command's was rolled back.
 */
export function createDenialRecorder(db: Db, clock: () => Date) {
  return async function recordDenial(input: {
    principal: Principal | undefined;
    projectId: string | undefined;
    action: string;
    error: AppError;
    requestId: string;
  }): Promise<void> {
    if (!input.principal || !input.projectId || !UUID_RE.test(input.projectId)) return;
    await db.transaction(async (tx) => {
      const [exists] = (await tx.execute(sql`select state, revision from projects where id = ${input.projectId}`)) as unknown as Array<{ state: string; revision: number }>;
      if (!exists) return;
      await appendAuditEvent(tx, {
        actor: input.principal!,
        action: 'access.denied',
        projectId: input.projectId!,
        fromState: exists.state,
        toState: exists.state,
        revision: exists.revision,
        requestId: input.requestId,
        payload: { attempted: input.action, status: input.error.statusCode, code: input.error.code, reason: input.error.message },
        at: clock(),
      });
    });
  };
}
export type DenialRecorder = ReturnType<typeof createDenialRecorder>;
