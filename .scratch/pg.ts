import { startEmbeddedPostgres } from '../src/infra/embedded-postgres';
export async function startKept() {
  return startEmbeddedPostgres({ dir: '/tmp/bench-audit-IEHqoi/postgres', port: 55432, postgresFlags: ['-c', 'fsync=off', '-c', 'shared_buffers=512MB'] });
}
