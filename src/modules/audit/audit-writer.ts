import { sql } from 'drizzle-orm';
import type { Executor } from '../../infra/database';
import type { Principal } from '../../auth/token-verifier';
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

/**
 * Append one event to its chain (the project's, or the system chain) inside the caller's
 * transaction. Appends to one chain take turns on a transaction-level advisory lock (a project
 * command already holds the project row, so this never waits there); appends to different
 * projects never wait for each other. UNIQUE(prev_hash) and UNIQUE(chain_id, chain_seq) turn
 * any fork into an error rather than a silent branch.
 */
export async function appendAuditEvent(tx: Executor, entry: AuditEntry): Promise<AuditEventRecord> {
  const chainId = entry.projectId ?? SYSTEM_CHAIN;
  const [head] = (await tx.execute(sql`
    select nextval('audit_events_seq_seq')::bigint as seq, h.chain_seq, h.row_hash
    from (select pg_advisory_xact_lock(hashtextextended(${'audit:' + chainId}, 0))) as l
    left join audit_chain_heads h on h.chain_id = ${chainId}
  `)) as unknown as Array<{ seq: string; chain_seq: number | null; row_hash: string | null }>;
  const record = sealEvent(
    {
      seq: Number(head!.seq),
      chainId,
      chainSeq: (head!.chain_seq ?? 0) + 1,
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
    head!.row_hash ?? genesisHash(chainId),
  );
  await tx.execute(sql`
    with inserted as (
      insert into audit_events (seq, chain_id, chain_seq, occurred_at, actor_sub, actor_roles, actor_org, action, project_id,
        from_state, to_state, revision, machine_id, machine_version, request_id, idempotency_key, payload, prev_hash, row_hash)
      values (${record.seq}, ${record.chainId}, ${record.chainSeq}, ${record.occurredAt}, ${record.actor.sub},
        ${pgTextArray(record.actor.roles)}::text[], ${record.actor.org}, ${record.action}, ${record.projectId},
        ${record.fromState}, ${record.toState}, ${record.revision}, ${record.machine?.id ?? null}, ${record.machine?.version ?? null},
        ${record.requestId}, ${record.idempotencyKey}, ${JSON.stringify(record.payload)}::jsonb, ${record.prevHash}, ${record.rowHash})
      returning seq
    )
    insert into audit_chain_heads (chain_id, chain_seq, row_hash, seq)
    select ${record.chainId}, ${record.chainSeq}, ${record.rowHash}, seq from inserted
    on conflict (chain_id) do update set chain_seq = excluded.chain_seq, row_hash = excluded.row_hash, seq = excluded.seq
  `);
  return record;
}

/** A Postgres array literal ('{a,b}') sent as one parameter; roles are a closed set of plain words. */
export function pgTextArray(values: readonly string[]): string {
  for (const v of values) if (!/^[a-z_]+$/.test(v)) throw new Error(`unexpected role "${v}"`);
  return `{${values.join(',')}}`;
}
