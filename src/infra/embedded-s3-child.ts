/**
 * Child-process entry of the embedded S3 server (see embedded-s3-process.ts): it keeps the S3
 * server's hashing and file I/O off the service's event loop, as MinIO would be in production.
 * It exits when told to, or as soon as its parent is gone.
 */
import { startEmbeddedS3 } from './embedded-s3';

const options = JSON.parse(process.argv[2] ?? '{}') as { dir: string; port: number; buckets: string[] };
// Set when the parent restarts a server that died: its clients keep their key pair.
const credentials = process.env.EMBEDDED_S3_CREDENTIALS ? (JSON.parse(process.env.EMBEDDED_S3_CREDENTIALS) as { accessKey: string; secretKey: string }) : undefined;
delete process.env.EMBEDDED_S3_CREDENTIALS;
const handle = await startEmbeddedS3({ ...options, credentials });
process.send!({ type: 'ready', settings: handle.settings });

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await handle.stop().catch(() => {});
  process.exit(0);
};
process.on('message', (m: { type?: string }) => m?.type === 'stop' && void stop());
process.on('disconnect', () => void stop());
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => {}); // the parent decides when to stop (Ctrl-C reaches the whole group)
