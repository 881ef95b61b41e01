import { desc, eq, sql } from 'drizzle-orm';
import type { Db, Executor } from '../../infra/database';
import { sqlState } from '../../infra/database';
import type { Principal } from '../../auth/token-verifier';
import { ConflictError, UnprocessableError } from '../../errors';
import { rulebooks } from '../../../db/schema';
import { appendAuditEvent } from '../audit/audit-writer';
import { validateRulebook, type RulebookContent } from './rulebook.schema';
import { RULEBOOK_2017 } from './rulebook-2017.seed';

export interface Rulebook {
  id: string;
  version: string;
  effectiveFrom: string;
  title: string;
  content: RulebookContent;
  publishedBy: string;
  publishedAt: string;
}

const VIETNAM_DATE = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Ho_Chi_Minh', year: 'numeric', month: '2-digit', day: '2-digit' });
/** The calendar date in Vietnam (YYYY-MM-DD): rulebooks take effect on Vietnamese dates. */
export function vietnamDate(at: Date): string {
  return VIETNAM_DATE.format(at);
}

function toRulebook(r: typeof rulebooks.$inferSelect): Rulebook {
  return {
    id: r.id,
    version: r.version,
    effectiveFrom: r.effectiveFrom,
    title: r.title,
    content: r.content as RulebookContent,
    publishedBy: r.publishedBy,
    publishedAt: r.publishedAt.toISOString(),
  };
}

/** Seed the first rulebook (Law 07/2017/QH14 and Decision 18/2019) when none exists. Idempotent. */
export async function seedRulebooks(db: Executor): Promise<void> {
  await db
    .insert(rulebooks)
    .values({ version: RULEBOOK_2017.version, effectiveFrom: RULEBOOK_2017.effectiveFrom, title: RULEBOOK_2017.title, content: RULEBOOK_2017, publishedBy: 'system:seed' })
    .onConflictDoNothing({ target: rulebooks.version });
}

export function createRulebookService(deps: { db: Db; clock: () => Date }) {
  const { db, clock } = deps;
  // Published rulebooks never change, so a version once read can be kept. Which version is in
  // force on a date is remembered for a minute (another instance may publish meanwhile).
  const byVersion = new Map<string, Rulebook>();
  const inForceCache = new Map<string, { version: string; until: number }>();
  const IN_FORCE_TTL_MS = 60_000;

  async function list(): Promise<Rulebook[]> {
    const rows = await db.select().from(rulebooks).orderBy(desc(rulebooks.effectiveFrom), desc(rulebooks.publishedAt));
    return rows.map(toRulebook);
  }

  /** The rulebook in force at an instant: the latest effective on or before that Vietnamese date. */
  async function inForce(at: Date, x: Executor = db): Promise<Rulebook> {
    const day = vietnamDate(at);
    const cached = inForceCache.get(day);
    if (cached && cached.until > Date.now()) return version(cached.version, x);
    const [row] = await x
      .select({ version: rulebooks.version })
      .from(rulebooks)
      .where(sql`${rulebooks.effectiveFrom} <= ${vietnamDate(at)}::date`)
      .orderBy(desc(rulebooks.effectiveFrom), desc(rulebooks.publishedAt))
      .limit(1);
    if (!row) throw new UnprocessableError(`No rulebook is in force on ${day}`, 'NO_RULEBOOK_IN_FORCE');
    if (inForceCache.size > 1000) inForceCache.clear();
    inForceCache.set(day, { version: row.version, until: Date.now() + IN_FORCE_TTL_MS });
    return version(row.version, x);
  }

  async function version(v: string, x: Executor = db): Promise<Rulebook> {
    const hit = byVersion.get(v);
    if (hit) return hit;
    const [row] = await x.select().from(rulebooks).where(eq(rulebooks.version, v));
    if (!row) throw new UnprocessableError(`Unknown rulebook version ${v}`, 'UNKNOWN_RULEBOOK');
    const rb = toRulebook(row);
    byVersion.set(v, rb);
    return rb;
  }

  /** Publish a new version, validated, effective today or later (never rewriting the past). */
  async function publish(principal: Principal, content: unknown, requestId: string): Promise<Rulebook> {
    const checked = validateRulebook(content);
    if (!checked.ok) {
      throw new UnprocessableError('The rulebook is not valid', 'RULEBOOK_INVALID', { errors: checked.errors });
    }
    const rb = checked.value;
    const today = vietnamDate(clock());
    if (rb.effectiveFrom < today) {
      throw new UnprocessableError(`effectiveFrom ${rb.effectiveFrom} is in the past (today is ${today}); rules are not changed retroactively`, 'RULEBOOK_BACKDATED');
    }
    try {
      return await db.transaction(async (tx) => {
        const [row] = await tx
          .insert(rulebooks)
          .values({ version: rb.version, effectiveFrom: rb.effectiveFrom, title: rb.title, content: rb, publishedBy: principal.sub })
          .returning();
        await appendAuditEvent(tx, {
          actor: principal,
          action: 'rulebook.published',
          projectId: null,
          requestId,
          payload: { version: rb.version, effectiveFrom: rb.effectiveFrom, title: rb.title },
          at: clock(),
        });
        return toRulebook(row!);
      }).finally(() => inForceCache.clear());
    } catch (err) {
      if (sqlState(err) === '23505') throw new ConflictError(`Rulebook version ${rb.version} already exists`, 'RULEBOOK_VERSION_EXISTS');
      throw err;
    }
  }

  return { list, inForce, version, publish };
}
export type RulebookService = ReturnType<typeof createRulebookService>;
