import type { FastifyPluginAsync } from 'fastify';
import type { Db } from '../infra/database';
import type { CheckpointService } from '../modules/audit/checkpoint-service';

export interface AuditRoutesOptions {
  db: Db;
  checkpoints: CheckpointService;
}

/** Auditor routes: event search and exports, chain verification, signed checkpoints. */
export const auditRoutes: FastifyPluginAsync<AuditRoutesOptions> = async () => {};
