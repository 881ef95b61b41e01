/**
 * `npm run restore -- <folder>`: verify the backup's manifest, then restore it into the
 * configured (or embedded) database and bucket, which must be empty, and its keys into
 * DATA_DIR/keys. Refuses a non-empty target. Needs a database superuser (the load holds off
 * triggers with session_replication_role).
 */
import path from 'node:path';
import { ConfigError, loadConfig } from '../config';
import { restoreBackup } from './backup-archive';
import { openStores } from './backup-stores';

async function main(): Promise<void> {
  const from = process.argv[2];
  if (!from) throw new Error('usage: npm run restore -- <backup folder>');
  const config = loadConfig();
  const stores = await openStores(config);
  try {
    await restoreBackup({ databaseUrl: stores.databaseUrl, storage: stores.storage, dataDir: config.dataDir, fromDir: path.resolve(from), log: (l) => process.stdout.write(`${l}\n`) });
    process.stdout.write(`restored ${path.resolve(from)}; start the service with the same configuration\n`);
  } finally {
    await stores.stop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`restore failed: ${err instanceof ConfigError || err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
