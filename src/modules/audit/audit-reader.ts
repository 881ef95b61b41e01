import { sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../../infra/database';
import type { AuditEventRecord } from './audit-hash';

/** Columns of audit_events in the shape of AuditEventRecord (ms-precision ISO time, as hashed). */
export const AUDIT_COLUMNS = sql.raw(`
  seq, chain_id, chain_seq, to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as occurred_at,
  actor_sub, actor_roles, actor_org, action, project_id, from_state, to_state, revision, machine_id, machine_version,
  request_id, idempotency_key, payload, prev_hash, row_hash`);

export interface AuditRow {
  seq: string | number;
  chain_id: string;
  chain_seq: number;
  occurred_at: string;
  actor_sub: string;
  actor_roles: string[];
  actor_org: string | null;
  action: string;
  project_id: string | null;
  from_state: string | null;
  to_state: string | null;
  revision: number | null;
  machine_id: string | null;
  machine_version: number | null;
  request_id: string | null;
  idempotency_key: string | null;
  payload: Record<string, unknown>;
  prev_hash: string;
  row_hash: string;
}

export function toRecord(r: AuditRow): AuditEventRecord {
  return {
    seq: Number(r.seq),
    chainId: r.chain_id,
    chainSeq: r.chain_seq,
    occurredAt: r.occurred_at,
    actor: { sub: r.actor_sub, roles: r.actor_roles, org: r.actor_org },
    action: r.action,
    projectId: r.project_id,
    fromState: r.from_state,
    toState: r.to_state,
    revision: r.revision,
    machine: r.machine_id === null ? null : { id: r.machine_id, version: r.machine_version! },
    requestId: r.request_id,
    idempotencyKey: r.idempotency_key,
    payload: r.payload,
    prevHash: r.prev_hash,
    rowHash: r.row_hash,
  };
}

export async function selectAuditEvents(db: Executor, where: SQL, limit?: number): Promise<AuditEventRecord[]> {
  const rows = (await db.execute(sql`select ${AUDIT_COLUMNS} from audit_events where ${where} order by seq ${limit ? sql`limit ${limit}` : sql``}`)) as unknown as AuditRow[];
  return rows.map(toRecord);
}

/** A project's events in order (its chain). */
export function projectHistory(db: Executor, projectId: string): Promise<AuditEventRecord[]> {
  return selectAuditEvents(db, sql`chain_id = ${projectId}`);
}
