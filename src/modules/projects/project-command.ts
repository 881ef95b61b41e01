/**
 * A command on one project, inside the command runner's transaction: load the project the
 * caller may see, check If-Match, let the handler send events to the machine; each accepted
 * event updates the project conditionally on its revision and appends its audit event.
 *
 * Read half, then write half (issue #14): the project row, with its chain head, and a reserved
 * audit seq are read with the idempotency claim, in one round trip (prefetchProject). The pure
 * machine decides in Node; the audit event is sealed in Node from that head; then one statement
 * (projectWriteStatement) moves the row conditionally on both the revision and the chain head
 * and inserts the event. If the revision moved, the command lost a race (409 REVISION_CONFLICT);
 * if only the head moved (an informational event appended meanwhile), the event is re-sealed
 * under the row lock (the locking path, two statements). Notifications go out with COMMIT.
 */
import { getTableColumns, sql } from 'drizzle-orm';
import type { Tx } from '../../infra/database';
import type { Principal } from '../../auth/token-verifier';
import { refusalOf } from './refusal-rule';
import { ConflictError, ForbiddenError, InvalidTransitionError, PreconditionFailedError } from '../../errors';
import {
  allowedActions,
  APPRAISAL_MACHINE_ID,
  APPRAISAL_MACHINE_VERSION,
  step,
  type Action,
  type AppraisalEvent,
  type Facts,
  type PersistedAppraisal,
} from '../../../workflows/appraisal/appraisal.machine';
import { appendAuditEvent, appendProjectEvent, NEXT_SEQ, projectWriteStatement, sealProjectEvent } from '../audit/audit-writer';
import { atCommit } from '../commands/pipelined-transaction';
import { observe } from '../../infra/metrics-observer';
import { projects } from '../../../db/schema';
import { actorFacts, loadVisibleProject, type ActorRelation, type ProjectRow } from './project-access';

export interface CommandMeta {
  requestId: string;
  idempotencyKey?: string;
  /** The revision the client last saw (If-Match). */
  ifMatch?: number;
}

export interface Notice {
  kind: string;
  message: string;
  recipientSub?: string;
  recipientRole?: string;
  recipientOrg?: string;
}

export interface ProjectCommandContext {
  tx: Tx;
  now: Date;
  principal: Principal;
  meta: CommandMeta;
  /** The project as it stands now (updated after every accepted event). */
  readonly project: ProjectRow;
  relation: ActorRelation;
  /** Facts about the caller, for the machine's guards. */
  actor: Facts['actor'];
  /**
   * Send an event to the machine. Refused → 409 INVALID_TRANSITION (the state does not take it)
   * or 403 (the caller may not). Accepted → conditional update + audit event.
   */
  apply(action: Action, event: AppraisalEvent, audit: { name: string; payload?: Record<string, unknown> }): Promise<void>;
  /** Refuse now, as apply() would, without changing anything (to check before writing domain rows). */
  check(action: Action, event: AppraisalEvent): void;
  /** Append an audit event that changes no state (e.g. a denied or informational event). */
  record(name: string, payload: Record<string, unknown>): Promise<void>;
  /** Queue a notification, delivered after commit through the outbox. */
  notify(notice: Notice): Promise<void>;
}

/** A row of projectWriteStatement: the project's columns (database names) and the append's outcome. */
type WrittenRow = Record<string, unknown> & { appended: number; next_seq: string };

const PROJECT_COLUMNS = Object.entries(getTableColumns(projects));

/** A projects row read with raw SQL, mapped as drizzle maps its own selects (names, types). */
function projectFromRow(raw: Record<string, unknown>): ProjectRow {
  const out: Record<string, unknown> = {};
  for (const [key, column] of PROJECT_COLUMNS) {
    const value = raw[column.name];
    out[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return out as ProjectRow;
}

/** What a command reads before it decides: the project, the caller's relation, a reserved audit seq. */
export interface PrefetchedProject {
  project: ProjectRow;
  relation: ActorRelation;
  nextSeq?: number;
}

/** The read half of a project command, as statements issued together (one round trip). */
export async function prefetchProject(tx: Tx, principal: Principal, projectId: string): Promise<PrefetchedProject> {
  // Promise.resolve: a drizzle query runs again on every then(), so it is subscribed once.
  const seq = Promise.resolve(tx.execute(sql`select ${NEXT_SEQ} as next_seq`));
  seq.catch(() => {});
  const loaded = await loadVisibleProject(tx, principal, projectId);
  const [row] = (await seq) as unknown as Array<{ next_seq: string }>;
  return { ...loaded, nextSeq: Number(row!.next_seq) };
}

export async function openProjectCommand(
  tx: Tx,
  principal: Principal,
  projectId: string,
  meta: CommandMeta,
  now: Date,
  /** The project and caller relation, when already loaded in this transaction. */
  loadedAlready?: PrefetchedProject,
): Promise<ProjectCommandContext> {
  const { project: loaded, relation } = loadedAlready ?? (await loadVisibleProject(tx, principal, projectId));
  /** The seq reserved for the next audit event of this command (read half, or the last write). */
  let nextSeq = loadedAlready?.nextSeq;
  if (meta.ifMatch !== undefined && meta.ifMatch !== loaded.revision) {
    throw new PreconditionFailedError(`The project is at revision ${loaded.revision}, not ${meta.ifMatch}; reload it and retry`, {
      revision: loaded.revision,
    });
  }
  let project = loaded;
  const actor = actorFacts(principal, relation);

  const auditBase = () => ({
    actor: principal,
    projectId: project.id,
    at: now,
    requestId: meta.requestId,
    idempotencyKey: meta.idempotencyKey ?? null,
    machine: { id: APPRAISAL_MACHINE_ID, version: APPRAISAL_MACHINE_VERSION },
  });

  function refuse(action: Action, event: AppraisalEvent, result: ReturnType<typeof step>): asserts result is Extract<ReturnType<typeof step>, { ok: true }> {
    if (result.ok) return;
    const allowed = allowedActions(project.snapshot as PersistedAppraisal, event.facts);
    if (result.reason === 'not_permitted') {
      const refusal = refusalOf(event.type, event.facts);
      throw new ForbiddenError(`You may not "${action}" this project: ${refusal.reason}`, 'NOT_PERMITTED', { rule: refusal.rule, state: project.state, allowedActions: allowed });
    }
    throw new InvalidTransitionError(action, project.state, allowed, result.reason === 'precondition' ? 'its preconditions are not met' : undefined);
  }

  const ctx: ProjectCommandContext = {
    tx,
    now,
    principal,
    meta,
    get project() {
      return project;
    },
    relation,
    actor,
    check(action, event) {
      refuse(action, event, step(project.snapshot as PersistedAppraisal, event));
    },
    async apply(action, event, audit) {
      const before = project.snapshot as PersistedAppraisal;
      const result = step(before, event);
      if (!result.ok) refuse(action, event, result);
      const next = result.next;
      const entry = { ...auditBase(), action: audit.name, fromState: before.state, toState: next.state, revision: project.revision + 1, payload: audit.payload ?? {} };
      if (nextSeq !== undefined) {
        const record = sealProjectEvent(entry, { chainSeq: project.chainSeq, head: project.chainHead, nextSeq });
        nextSeq = undefined;
        const set = sql`state = ${next.state}, snapshot = ${JSON.stringify(next)}::jsonb, machine_id = ${next.machineId},
          machine_version = ${next.machineVersion}, round = ${next.context.round}, revision = revision + 1, updated_at = ${now.toISOString()}::timestamptz`;
        const [written] = (await observe.auditAppend(async () =>
          tx.execute(projectWriteStatement(project.id, set, { revision: project.revision, chainSeq: project.chainSeq }, record)),
        )) as unknown as WrittenRow[];
        if (written) {
          if (written.appended !== 1) throw new Error(`audit event of project ${project.id} not appended with its transition`);
          nextSeq = Number(written.next_seq);
          project = projectFromRow(written);
          return;
        }
        const [current] = (await tx.execute(sql`select revision from projects where id = ${project.id}`)) as unknown as Array<{ revision: number }>;
        if (!current || current.revision !== project.revision) {
          throw new ConflictError('The project was changed by another request; reload it and retry', 'REVISION_CONFLICT');
        }
        // Only the chain head moved: fall through to the locking path, which reads it under the lock.
      }
      const [updated] = await tx
        .update(projects)
        .set({
          state: next.state,
          snapshot: next,
          machineId: next.machineId,
          machineVersion: next.machineVersion,
          round: next.context.round,
          revision: sql`${projects.revision} + 1`,
          updatedAt: now,
        })
        .where(sql`${projects.id} = ${project.id} and ${projects.revision} = ${project.revision}`)
        // The row is now locked by us: its chain head is current, and we reserve the event's seq.
        .returning({ ...getTableColumns(projects), nextSeq: NEXT_SEQ });
      if (!updated) {
        throw new ConflictError('The project was changed by another request; reload it and retry', 'REVISION_CONFLICT');
      }
      const { nextSeq: lockedSeq, ...row } = updated;
      const appended = await appendProjectEvent(tx, { ...entry, revision: row.revision }, { chainSeq: row.chainSeq, head: row.chainHead, nextSeq: Number(lockedSeq) });
      project = { ...row, chainSeq: appended.chainSeq, chainHead: appended.rowHash };
    },
    async record(name, payload) {
      const entry = { ...auditBase(), action: name, fromState: project.state, toState: project.state, revision: project.revision, payload };
      if (nextSeq !== undefined) {
        const record = sealProjectEvent(entry, { chainSeq: project.chainSeq, head: project.chainHead, nextSeq });
        nextSeq = undefined;
        const [written] = (await observe.auditAppend(async () =>
          tx.execute(projectWriteStatement(project.id, null, { revision: null, chainSeq: project.chainSeq }, record)),
        )) as unknown as WrittenRow[];
        if (written) {
          if (written.appended !== 1) throw new Error(`audit event of project ${project.id} not appended`);
          nextSeq = Number(written.next_seq);
          project = projectFromRow(written);
          return;
        }
        // The head moved since the read half: append under the row lock instead.
      }
      const event = await appendAuditEvent(tx, entry);
      project = { ...project, chainSeq: event.chainSeq, chainHead: event.rowHash };
    },
    async notify(notice) {
      // Nothing later in the transaction reads the outbox: the row goes out with COMMIT.
      await atCommit(tx, sql`insert into outbox (topic, payload) values ('notification', ${JSON.stringify({ ...notice, projectId: project.id, projectCode: project.code })}::jsonb)`);
    },
  };
  return ctx;
}
