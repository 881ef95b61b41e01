/**
 * `npm run backup -- <folder>`: a consistent backup of the database (one snapshot), the objects
 * its rows reference (sha256 checked) and the signing keys, into a new folder, with manifest.json.
 * Uses DATABASE_URL and S3_* when set, else the embedded default under DATA_DIR (the service may
 * keep running). Exit codes: 0 done, 1 failure, 2 usage (folder not new), 5 a stored object does
 * not match its sha256.
 */
import os from 'node:os';
import { ConfigError, loadConfig } from '../config';
import { openBackupRuntime } from '../modules/backup/backup-runtime';
import { BackupRefusedError, createBackup, EXIT, keyFilesOf } from '../modules/backup/backup-service';

async function main() {
  const dir = process.argv.slice(2).find((a) => a !== '--');
  if (!dir) {
    process.stderr.write('usage: npm run backup -- <new folder>\n');
    process.exit(EXIT.usage);
  }
  const config = loadConfig();
  const runtime = await openBackupRuntime(config, 'backup');
  try {
    const keyFiles = await keyFilesOf(config.dataDir, config.checkpointKeyFile);
    const { manifest, durationMs } = await createBackup({ databaseUrl: runtime.databaseUrl, storage: runtime.storage, keyFiles, dir, log: (l) => process.stderr.write(`${l}\n`) });
    const c = manifest.counts;
    process.stdout.write(
      `backup written to ${dir} in ${(durationMs / 1000).toFixed(1)} s (load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}): ` +
        `${c.projects} projects, ${c.auditEvents} audit events, ${c.documents} documents, ${c.slips} slips, ${manifest.objects.count} objects, ${manifest.keys.length} keys; ` +
        `last checkpoint ${manifest.lastCheckpoint ? `#${manifest.lastCheckpoint.id} root ${manifest.lastCheckpoint.root}` : 'none'}\n`,
    );
  } finally {
    await runtime.stop();
  }
}

main().catch((err) => {
  if (err instanceof ConfigError || err instanceof BackupRefusedError) {
    process.stderr.write(`backup: ${err.message}\n`);
    process.exit(err instanceof BackupRefusedError ? err.exitCode : EXIT.usage);
  }
  process.stderr.write(`backup failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
