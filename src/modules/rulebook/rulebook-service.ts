import { desc, eq, sql } from 'drizzle-orm';
import type { Db, Executor } from '../../infra/database';
import { sqlState } from '../../infra/database';
import type { Principal } from '../../auth/token-verifier';
import { ConflictError, UnprocessableError } from '../../errors';
import { rulebooks } from '../../../db/schema';
import { appendAuditEvent } from '../audit/audit-writer';
import { validateRulebook, type RulebookContent } from './rulebook.schema';
import { RULEBOOK_2017 } from './rulebook-2017.seed';
import { RULEBOOK_2026 } from './rulebook-2026.seed';

/** The versions this release ships, oldest first. 2017.2 corrects 2017.1 (same effective date). */
export const SHIPPED_RULEBOOKS: readonly RulebookContent[] = [RULEBOOK_2017, RULEBOOK_2026];
/** A version superseded by its correction: never chosen when pinning existing projects. */
const SUPERSEDED = ['2017.1'];

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

export interface SeedReport {
  inserted: string[];
  pinned: Array<{ version: string; projects: number }>;
}

/**
 * Seed step, idempotent, and explicit about what it does:
 *  1. inserts the shipped versions that are missing (2017.2, the corrected 2017 text, and 2026.1);
 *     an existing 2017.1 row stays (rulebooks are immutable; old screenings name it) and is
 *     superseded by 2017.2, which has the same effective date and a later published-at time;
 *  2. pins every project already accepted complete (a `completeness.confirmed` event) but not yet
 *     pinned to the version in force, among the corrected ones, on the Vietnamese date of its first
 *     acceptance — the transitional rule applied to projects that predate pinning — and records
 *     that in the audit log.
 */
export async function seedRulebooks(db: Db): Promise<SeedReport> {
  const inserted: string[] = [];
  for (const rb of SHIPPED_RULEBOOKS) {
    const rows = await db
      .insert(rulebooks)
      .values({ version: rb.version, effectiveFrom: rb.effectiveFrom, title: rb.title, content: rb, publishedBy: 'system:seed' })
      .onConflictDoNothing({ target: rulebooks.version })
      .returning({ version: rulebooks.version });
    inserted.push(...rows.map((r) => r.version));
  }
  const pinned = await db.transaction(async (tx) => {
    const rows = (await tx.execute(sql`
      with accepted as (
        select project_id, min(occurred_at) as at from audit_events where action = 'completeness.confirmed' and project_id is not null group by project_id
      ), chosen as (
        select a.project_id, a.at, (
          select r.version from rulebooks r
          where r.effective_from <= (a.at at time zone 'Asia/Ho_Chi_Minh')::date and r.version not in ${SUPERSEDED}
          order by r.effective_from desc, r.published_at desc limit 1
        ) as version
        from accepted a
      )
      update projects p set rulebook_version = c.version, rulebook_pinned_at = c.at
      from chosen c where p.id = c.project_id and p.rulebook_version is null and c.version is not null
      returning p.id, p.rulebook_version
    `)) as unknown as Array<{ id: string; rulebook_version: string }>;
    const byVersion = new Map<string, number>();
    for (const r of rows) byVersion.set(r.rulebook_version, (byVersion.get(r.rulebook_version) ?? 0) + 1);
    const report = [...byVersion].map(([version, projects]) => ({ version, projects }));
    if (rows.length > 0) {
      await appendAuditEvent(tx, {
        actor: { sub: 'system:seed', roles: ['admin'], org: null },
        action: 'rulebook.existing_projects_pinned',
        projectId: null,
        requestId: 'seed',
        payload: { rule: 'version in force (excluding superseded 2017.1) on the date the dossier was first accepted complete', pinned: report, projectIds: rows.map((r) => r.id) },
        at: new Date(),
      });
    }
    return report;
  });
  return { inserted, pinned };
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

  /**
   * Publish a new version, validated. The legal effective date may lie in the past (a law takes
   * effect before anyone publishes it here): a back-dated version applies to every project not yet
   * pinned, never to a pinned one, and the audit event says it was back-dated.
   */
  async function publish(principal: Principal, content: unknown, requestId: string): Promise<Rulebook> {
    const checked = validateRulebook(content);
    if (!checked.ok) {
      throw new UnprocessableError('The rulebook is not valid', 'RULEBOOK_INVALID', { errors: checked.errors });
    }
    const rb = checked.value;
    const today = vietnamDate(clock());
    const backdated = rb.effectiveFrom < today;
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
          payload: { version: rb.version, effectiveFrom: rb.effectiveFrom, title: rb.title, backdated, publishedOn: today },
          at: clock(),
        });
        return toRulebook(row!);
      }).finally(() => inForceCache.clear());
    } catch (err) {
      if (sqlState(err) === '23505') throw new ConflictError(`Rulebook version ${rb.version} already exists`, 'RULEBOOK_VERSION_EXISTS');
      throw err;
    }
  }

  /**
   * The version that governs a project: its pinned version once the dossier was accepted complete,
   * otherwise the version in force at `at` (the checklist and screening say which).
   */
  async function forProject(project: { rulebookVersion: string | null; rulebookPinnedAt: Date | null }, at: Date, x: Executor = db): Promise<Rulebook & { pinned: boolean; pinnedAt: string | null }> {
    if (project.rulebookVersion) return { ...(await version(project.rulebookVersion, x)), pinned: true, pinnedAt: project.rulebookPinnedAt?.toISOString() ?? null };
    return { ...(await inForce(at, x)), pinned: false, pinnedAt: null };
  }

  return { list, inForce, version, publish, forProject };
}
export type RulebookService = ReturnType<typeof createRulebookService>;
