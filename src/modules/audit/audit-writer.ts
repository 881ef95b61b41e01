import { sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../../infra/database';
import type { Principal } from '../../auth/token-verifier';
import { observe } from '../../infra/metrics-observer';
import { genesisHash, sealEvent, type AuditEventRecord } from './audit-hash';

export const SYSTEM_CHAIN = 'system';

export interface AuditEntry {
  actor: Pick<Principal, 'sub' | 'roles' | 'org'>;
  action: string;
  projectId: string | null;
  fromState?: string | null;
  toState?: string | null;
  revision?: number | null;
  machine?: { id: string; version: number } | null;
  requestId?: string | null;
  idempotencyKey?: string | null;
  payload?: Record<string, unknown>;
  /** Event time (the command's clock reading); ms precision is what is stored and hashed. */
  at: Date;
}

/** Where the next event of a chain goes: read under the chain's lock. */
export interface ChainPosition {
  /** chain_seq of the current head (0 for an empty chain). */
  chainSeq: number;
  /** row_hash of the current head (null for an empty chain). */
  head: string | null;
  /** The global seq reserved for the next event (nextval of audit_events_seq_seq). */
  nextSeq: number;
}

/** A SQL expression reserving the next global seq; put it in the statement that locks the chain. */
export const NEXT_SEQ = sql<string>`nextval('audit_events_seq_seq')`;

function seal(entry: AuditEntry, chainId: string, pos: ChainPosition): AuditEventRecord {
  return sealEvent(
    {
      seq: pos.nextSeq,
      chainId,
      chainSeq: pos.chainSeq + 1,
      occurredAt: new Date(Math.floor(entry.at.getTime())).toISOString(),
      actor: { sub: entry.actor.sub, roles: [...entry.actor.roles], org: entry.actor.org ?? null },
      action: entry.action,
      projectId: entry.projectId,
      fromState: entry.fromState ?? null,
      toState: entry.toState ?? null,
      revision: entry.revision ?? null,
      machine: entry.machine ?? null,
      requestId: entry.requestId ?? null,
      idempotencyKey: entry.idempotencyKey ?? null,
      payload: entry.payload ?? {},
    },
    pos.head ?? genesisHash(chainId),
  );
}

function insertEvent(r: AuditEventRecord) {
  return sql`
    insert into audit_events (seq, chain_id, chain_seq, occurred_at, actor_sub, actor_roles, actor_org, action, project_id,
      from_state, to_state, revision, machine_id, machine_version, request_id, idempotency_key, payload, prev_hash, row_hash)
    values (${r.seq}, ${r.chainId}, ${r.chainSeq}, ${r.occurredAt}, ${r.actor.sub}, ${pgTextArray(r.actor.roles)}::text[], ${r.actor.org},
      ${r.action}, ${r.projectId}, ${r.fromState}, ${r.toState}, ${r.revision}, ${r.machine?.id ?? null}, ${r.machine?.version ?? null},
      ${r.requestId}, ${r.idempotencyKey}, ${JSON.stringify(r.payload)}::jsonb, ${r.prevHash}, ${r.rowHash})
    returning seq`;
}

/**
 * Seal the next event of a project's chain in Node from a head read earlier, without its lock
 * (the read half of a command). The statement that writes it must be conditional on that head
 * (`projects.chain_seq = pos.chainSeq`): see projectWriteStatement.
 */
export function sealProjectEvent(entry: AuditEntry & { projectId: string }, pos: ChainPosition): AuditEventRecord {
  return seal(entry, entry.projectId, pos);
}

/**
 * The write half of a project command as one statement (data-modifying CTEs): the project row
 * moves (its `set` list, plus the chain head), conditional on the revision and chain head the
 * read half saw; the sealed audit event is inserted only if the row moved; and a fresh seq is
 * reserved for a next event of the same command. Returns the project row as written (columns the
 * command's own earlier statements changed included) when the write happened, nothing when the
 * revision or the head moved in between (the caller tells which).
 */
export function projectWriteStatement(projectId: string, set: SQL | null, expected: { revision: number | null; chainSeq: number }, r: AuditEventRecord): SQL {
  const setList = set ? sql`${set}, ` : sql``;
  const revisionCheck = expected.revision === null ? sql`` : sql` and revision = ${expected.revision}`;
  return sql`
    with moved as (
      update projects set ${setList}chain_seq = ${r.chainSeq}, chain_head = ${r.rowHash}
      where id = ${projectId} and chain_seq = ${expected.chainSeq}${revisionCheck}
      returning *
    ), inserted as (
      insert into audit_events (seq, chain_id, chain_seq, occurred_at, actor_sub, actor_roles, actor_org, action, project_id,
        from_state, to_state, revision, machine_id, machine_version, request_id, idempotency_key, payload, prev_hash, row_hash)
      select ${r.seq}::bigint, ${r.chainId}::text, ${r.chainSeq}::int, ${r.occurredAt}::timestamptz, ${r.actor.sub}::text,
        ${pgTextArray(r.actor.roles)}::text[], ${r.actor.org}::text, ${r.action}::text, ${r.projectId}::uuid, ${r.fromState}::text,
        ${r.toState}::text, ${r.revision}::int, ${r.machine?.id ?? null}::text, ${r.machine?.version ?? null}::int, ${r.requestId}::text,
        ${r.idempotencyKey}::text, ${JSON.stringify(r.payload)}::jsonb, ${r.prevHash}::text, ${r.rowHash}::text
      from moved
      returning seq
    )
    select m.*, (select count(*) from inserted)::int as appended, ${NEXT_SEQ} as next_seq from moved m`;
}

/**
 * Append an event to a project's chain, given the position read from the project row under its
 * lock (a command's conditional UPDATE … RETURNING, see project-command.ts). One statement:
 * the event, and the project's new head, guarded on the head it replaces. UNIQUE(prev_hash)
 * and UNIQUE(chain_id, chain_seq) turn any fork into an error rather than a silent branch.
 */
export async function appendProjectEvent(tx: Executor, entry: AuditEntry & { projectId: string }, pos: ChainPosition): Promise<AuditEventRecord> {
  const record = seal(entry, entry.projectId, pos);
  const rows = (await observe.auditAppend(async () => tx.execute(sql`
    with inserted as (${insertEvent(record)})
    update projects set chain_seq = ${record.chainSeq}, chain_head = ${record.rowHash}
    where id = ${entry.projectId} and chain_seq = ${pos.chainSeq} and (select count(*) from inserted) = 1
    returning chain_seq
  `))) as unknown as unknown[];
  if (rows.length !== 1) throw new Error(`audit chain of project ${entry.projectId} moved under a held lock`);
  return record;
}

/**
 * Append one event inside the caller's transaction, taking the chain's lock itself: the
 * project row (FOR UPDATE) for a project chain, an advisory lock for the system chain.
 */
export async function appendAuditEvent(tx: Executor, entry: AuditEntry): Promise<AuditEventRecord> {
  if (entry.projectId) {
    const [pos] = (await tx.execute(sql`
      select chain_seq, chain_head, ${NEXT_SEQ} as next_seq from projects where id = ${entry.projectId} for update
    `)) as unknown as Array<{ chain_seq: number; chain_head: string | null; next_seq: string }>;
    if (!pos) throw new Error(`no project ${entry.projectId}`);
    return appendProjectEvent(tx, { ...entry, projectId: entry.projectId }, { chainSeq: pos.chain_seq, head: pos.chain_head, nextSeq: Number(pos.next_seq) });
  }
  const [pos] = (await tx.execute(sql`
    select ${NEXT_SEQ} as next_seq, h.chain_seq, h.row_hash
    from (select pg_advisory_xact_lock(hashtextextended(${'audit:' + SYSTEM_CHAIN}, 0))) as l
    left join audit_chain_heads h on h.chain_id = ${SYSTEM_CHAIN}
  `)) as unknown as Array<{ next_seq: string; chain_seq: number | null; row_hash: string | null }>;
  const record = seal(entry, SYSTEM_CHAIN, { chainSeq: pos!.chain_seq ?? 0, head: pos!.row_hash, nextSeq: Number(pos!.next_seq) });
  await observe.auditAppend(async () => tx.execute(sql`
    with inserted as (${insertEvent(record)})
    insert into audit_chain_heads (chain_id, chain_seq, row_hash, seq)
    select ${SYSTEM_CHAIN}, ${record.chainSeq}, ${record.rowHash}, seq from inserted
    on conflict (chain_id) do update set chain_seq = excluded.chain_seq, row_hash = excluded.row_hash, seq = excluded.seq
  `));
  return record;
}

/** A Postgres array literal ('{a,b}') sent as one parameter; roles are a closed set of plain words. */
export function pgTextArray(values: readonly string[]): string {
  for (const v of values) if (!/^[a-z_]+$/.test(v)) throw new Error(`unexpected role "${v}"`);
  return `{${values.join(',')}}`;
}
