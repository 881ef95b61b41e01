/**
 * `npm run backup -- [folder]`: the database (one consistent snapshot), every object a record
 * names, and DATA_DIR/keys, into a new folder with a manifest of sha256s
 * (default: backups/<UTC time>). Configuration as for the service (DATABASE_URL, S3_*, DATA_DIR).
 */
import path from 'node:path';
import { ConfigError, loadConfig } from '../config';
import { createBackup } from './backup-archive';
import { openStores } from './backup-stores';

async function main(): Promise<void> {
  const config = loadConfig();
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const outDir = path.resolve(process.argv[2] ?? path.join('backups', stamp));
  const stores = await openStores(config);
  try {
    const manifest = await createBackup({ databaseUrl: stores.databaseUrl, storage: stores.storage, dataDir: config.dataDir, outDir, log: (l) => process.stdout.write(`${l}\n`) });
    process.stdout.write(`backup written to ${outDir} (${Object.keys(manifest.files).length} files, manifest.json lists their sha256)\n`);
  } finally {
    await stores.stop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`backup failed: ${err instanceof ConfigError || err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
