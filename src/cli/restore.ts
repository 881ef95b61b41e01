/**
 * `npm run restore -- <backup folder>`: restore a backup made by `npm run backup` into an EMPTY
 * database and bucket (DATABASE_URL and S3_* when set, else a NEW DATA_DIR for the embedded
 * default), and its keys into DATA_DIR/keys (and AUDIT_CHECKPOINT_KEY_FILE when set). Refuses a
 * target that holds anything. Exit codes: 0 restored, 1 failure, 2 usage, 3 the target is not
 * empty, 4 the backup is incomplete or from another schema version, 5 a file does not match its sha256.
 */
import { ConfigError, loadConfig } from '../config';
import { DataDirLockedError } from '../infra/data-dir-lock';
import { openBackupRuntime } from '../modules/backup/backup-runtime';
import { BackupRefusedError, EXIT, readManifest, restoreBackup } from '../modules/backup/backup-service';

async function main() {
  const dir = process.argv.slice(2).find((a) => a !== '--');
  if (!dir) {
    process.stderr.write('usage: npm run restore -- <backup folder>\n');
    process.exit(EXIT.usage);
  }
  const config = loadConfig();
  await readManifest(dir); // before starting anything: is it a backup at all?
  const runtime = await openBackupRuntime(config, 'restore');
  try {
    const r = await restoreBackup({ databaseUrl: runtime.databaseUrl, storage: runtime.storage, dir, dataDir: config.dataDir, checkpointKeyFile: config.checkpointKeyFile, log: (l) => process.stderr.write(`${l}\n`) });
    const c = r.manifest.counts;
    process.stdout.write(
      `restored ${dir} in ${(r.durationMs / 1000).toFixed(1)} s: ${c.projects} projects, ${c.auditEvents} audit events, ${c.documents} documents, ${c.slips} slips, ${r.objects} objects, ${r.keysWritten.length} keys; ` +
        `counts equal the manifest. Check it: GET /v1/audit/verify?full=true and GET /v1/reports/coverage as an auditor\n`,
    );
  } finally {
    await runtime.stop();
  }
}

main().catch((err) => {
  if (err instanceof ConfigError || err instanceof BackupRefusedError || err instanceof DataDirLockedError) {
    process.stderr.write(`restore: ${err.message}\n`);
    process.exit(err instanceof BackupRefusedError ? err.exitCode : err instanceof DataDirLockedError ? EXIT.targetNotEmpty : EXIT.usage);
  }
  process.stderr.write(`restore failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
