/**
 * One part of a parallel verification (chain-audit.ts): a worker thread with its own connection,
 * inside the snapshot the main thread exported, walks the events of the chains whose
 * hashtext(chain_id) falls in its part, in seq order, through createChainVerifier. Every event of
 * a chain goes to the same part, so the parts' results merge into exactly what one verifier over
 * the whole log gives. Decoding rows and hashing them (the costly parts) thus run on every core.
 */
import { parentPort, workerData } from 'node:worker_threads';
import postgres from 'postgres';
import { createChainVerifier } from './chain-verifier';
import type { AuditRow } from './audit-reader';
import { pushWalkBatches, WALK_COLUMNS_TEXT } from './audit-query';

export interface VerifyPartInput {
  connection: postgres.Options<Record<string, never>>;
  snapshot: string;
  part: number;
  parts: number;
  track: Array<{ chainId: string; chainSeq: number }>;
  batchSize: number;
}

const SNAPSHOT_ID = /^[0-9A-F]+-[0-9A-F]+-[0-9]+$/i;

async function main(input: VerifyPartInput) {
  if (!SNAPSHOT_ID.test(input.snapshot)) throw new Error('malformed snapshot id');
  const sql = postgres({ ...input.connection, max: 1, onnotice: () => {} });
  try {
    const verifier = createChainVerifier({ track: input.track });
    await sql.begin('isolation level repeatable read read only', async (tx) => {
      await tx.unsafe(`set transaction snapshot '${input.snapshot}'`);
      // The filter hides how many rows match, so the planner would sort a seq scan (on disk);
      // walking the primary key in order is what this wants.
      await tx.unsafe('set local enable_sort = off');
      await tx.unsafe('set local max_parallel_workers_per_gather = 0');
      await tx.unsafe("set local timezone = 'UTC'");
      await tx.unsafe("set local datestyle = 'ISO, MDY'");
      const query = tx.unsafe<AuditRow[]>(
        `select ${WALK_COLUMNS_TEXT} from audit_events where (hashtext(chain_id) & 2147483647) % $1 = $2 order by seq`,
        [input.parts, input.part],
      );
      await pushWalkBatches(query.cursor(input.batchSize)[Symbol.asyncIterator](), (r) => verifier.push(r));
    });
    return verifier.result();
  } finally {
    await sql.end({ timeout: 5 });
  }
}

main(workerData as VerifyPartInput).then(
  (result) => parentPort!.postMessage({ result }),
  (err: unknown) => parentPort!.postMessage({ error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) }),
);
