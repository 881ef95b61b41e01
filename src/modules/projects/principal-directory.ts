import { sql } from 'drizzle-orm';
import type { Db } from '../../infra/database';
import type { Principal } from '../../auth/token-verifier';
import { principals } from '../../../db/schema';

/**
 * Keeps the `principals` table current from verified tokens, so a clerk can assign an appraiser
 * by `sub` and the service knows that person's organisation and roles (separation of duties).
 * Writes only when this process has not seen the same claims recently.
 */
export function createPrincipalDirectory(db: Db, opts: { refreshMs?: number; maxEntries?: number } = {}) {
  const refreshMs = opts.refreshMs ?? 10 * 60_000;
  const maxEntries = opts.maxEntries ?? 10_000;
  const seen = new Map<string, { claims: string; at: number }>();
  return {
    async touch(p: Principal): Promise<void> {
      const claims = JSON.stringify([p.org, p.roles, p.name]);
      const last = seen.get(p.sub);
      const now = Date.now();
      if (last && last.claims === claims && now - last.at < refreshMs) return;
      await db
        .insert(principals)
        .values({ sub: p.sub, organisation: p.org, roles: p.roles, displayName: p.name })
        .onConflictDoUpdate({
          target: principals.sub,
          set: { organisation: p.org, roles: p.roles, displayName: p.name, lastSeenAt: sql`now()` },
        });
      if (seen.size >= maxEntries) seen.delete(seen.keys().next().value!);
      seen.set(p.sub, { claims, at: now });
    },
  };
}
export type PrincipalDirectory = ReturnType<typeof createPrincipalDirectory>;
