import type { Db } from '../../infra/database';

export interface CheckpointServiceDeps {
  db: Db;
  /** File holding the Ed25519 private key (PEM), outside the database. */
  keyFile: string;
  clock: () => Date;
}

/** Signs the heads of all audit chains (periodically and after every decision). */
export function createCheckpointService(_deps: CheckpointServiceDeps) {
  return {
    async createCheckpoint(_reason: string): Promise<void> {},
    start(_intervalMs: number): void {},
    async stop(): Promise<void> {},
  };
}
export type CheckpointService = ReturnType<typeof createCheckpointService>;
