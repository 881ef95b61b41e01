import { and, eq, lt, sql } from 'drizzle-orm';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Db } from '../infra/database';
import { oidcRecords } from '../../db/schema';

/**
 * oidc-provider's storage in Postgres (table oidc_records), so that an interaction started on
 * one replica can finish on another and a restart loses no sign-in in progress.
 */
export function postgresAdapterFactory(db: Db, clock: () => Date = () => new Date()) {
  let lastSweep = 0;
  return class PostgresOidcAdapter implements Adapter {
    constructor(readonly model: string) {}

    private live() {
      return sql`(${oidcRecords.expiresAt} is null or ${oidcRecords.expiresAt} > ${clock().toISOString()}::timestamptz)`;
    }

    private async one(where: ReturnType<typeof eq>): Promise<AdapterPayload | undefined> {
      const [row] = await db
        .select({ payload: oidcRecords.payload, consumedAt: oidcRecords.consumedAt })
        .from(oidcRecords)
        .where(and(eq(oidcRecords.model, this.model), where, this.live()));
      if (!row) return undefined;
      const payload = row.payload as AdapterPayload;
      return row.consumedAt ? { ...payload, consumed: Math.floor(row.consumedAt.getTime() / 1000) } : payload;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      const expiresAt = expiresIn ? new Date(clock().getTime() + expiresIn * 1000) : null;
      const values = { model: this.model, id, payload, grantId: payload.grantId ?? null, uid: payload.uid ?? null, userCode: payload.userCode ?? null, expiresAt };
      await db
        .insert(oidcRecords)
        .values(values)
        .onConflictDoUpdate({ target: [oidcRecords.model, oidcRecords.id], set: { payload, grantId: values.grantId, uid: values.uid, userCode: values.userCode, expiresAt } });
      // Now and then, drop what has expired (cheap: an indexed range delete).
      if (clock().getTime() - lastSweep > 10 * 60_000) {
        lastSweep = clock().getTime();
        await db.delete(oidcRecords).where(lt(oidcRecords.expiresAt, clock()));
      }
    }

    find(id: string) {
      return this.one(eq(oidcRecords.id, id));
    }
    findByUid(uid: string) {
      return this.one(eq(oidcRecords.uid, uid));
    }
    findByUserCode(userCode: string) {
      return this.one(eq(oidcRecords.userCode, userCode));
    }
    async consume(id: string): Promise<void> {
      await db
        .update(oidcRecords)
        .set({ consumedAt: clock() })
        .where(and(eq(oidcRecords.model, this.model), eq(oidcRecords.id, id)));
    }
    async destroy(id: string): Promise<void> {
      await db.delete(oidcRecords).where(and(eq(oidcRecords.model, this.model), eq(oidcRecords.id, id)));
    }
    async revokeByGrantId(grantId: string): Promise<void> {
      await db.delete(oidcRecords).where(eq(oidcRecords.grantId, grantId));
    }
  };
}
