import { randomBytes } from 'node:crypto';
import { verifySigV4 } from './sigv4-verify';
import fs from 'node:fs/promises';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { S3Settings } from '../config';

const require = createRequire(import.meta.url);
// s3rver is CommonJS and ships no types; we use a narrow slice of it.
interface S3rverInstance {
  middleware: Array<(ctx: KoaContext, next: () => Promise<void>) => Promise<void> | void>;
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
interface KoaContext {
  method: string;
  path: string;
  url: string;
  querystring: string;
  headers: Record<string, string | string[] | undefined>;
  query: Record<string, string | string[] | undefined>;
  status: number;
  type: string;
  body: unknown;
}
const S3rver = require('s3rver') as new (options: Record<string, unknown>) => S3rverInstance;
const { DUMMY_ACCOUNT } = require('s3rver/lib/models/account.js') as {
  DUMMY_ACCOUNT: { createKeyPair(accessKey: string, secretKey: string): void; revokeAccessKey(accessKey: string): void };
};

export interface EmbeddedS3Handle {
  settings: S3Settings;
  stop(): Promise<void>;
}

/**
 * s3rver 3.x implements neither "list multipart uploads" (GET /bucket?uploads, 501), "list parts"
 * (GET /bucket/key?uploadId=…) nor "abort multipart upload" (DELETE /bucket/key?uploadId=…, 405). The service needs both: it aborts an
 * upload that fails half-way, and its sweeper lists and aborts what a crash left. Both are
 * answered here from s3rver's own store (one directory per upload, holding its key and parts).
 */
function multipartUploadsMiddleware(dir: string) {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const uploadsDir = (bucket: string) => path.join(dir, bucket, '._S3rver_uploads');
  return async (ctx: KoaContext, next: () => Promise<void>) => {
    const bucket = /^\/([^/]+)\/?$/.exec(ctx.path)?.[1];
    if (ctx.method === 'GET' && bucket && 'uploads' in ctx.query) {
      const prefix = typeof ctx.query.prefix === 'string' ? ctx.query.prefix : '';
      const uploads: string[] = [];
      const ids = await fs.readdir(uploadsDir(bucket)).catch(() => [] as string[]);
      for (const id of ids.sort()) {
        const key = await fs.readFile(path.join(uploadsDir(bucket), id, 'key'), 'utf8').catch(() => undefined);
        if (key === undefined || !key.startsWith(prefix)) continue;
        const st = await fs.stat(path.join(uploadsDir(bucket), id)).catch(() => undefined);
        if (!st) continue; // completed or aborted meanwhile
        const initiated = st.birthtimeMs > 0 ? st.birthtime : st.mtime;
        uploads.push(`<Upload><Key>${esc(key)}</Key><UploadId>${id}</UploadId><StorageClass>STANDARD</StorageClass><Initiated>${initiated.toISOString()}</Initiated></Upload>`);
      }
      ctx.status = 200;
      ctx.type = 'application/xml';
      ctx.body =
        '<?xml version="1.0" encoding="UTF-8"?>\n' +
        '<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
        `<Bucket>${esc(bucket)}</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker>` +
        `<NextKeyMarker></NextKeyMarker><NextUploadIdMarker></NextUploadIdMarker><Prefix>${esc(prefix)}</Prefix>` +
        `<MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>${uploads.join('')}</ListMultipartUploadsResult>`;
      return;
    }
    const object = /^\/([^/]+)\/(.+)$/.exec(ctx.path);
    if (ctx.method === 'GET' && object && typeof ctx.query.uploadId === 'string' && /^[0-9a-f]{32}$/.test(ctx.query.uploadId)) {
      // List parts (the minio client asks when it lists incomplete uploads, for their sizes).
      const uploadDir = path.join(uploadsDir(object[1]!), ctx.query.uploadId);
      const names = (await fs.readdir(uploadDir).catch(() => [] as string[])).filter((n) => /^\d+$/.test(n)).sort((a, b) => Number(a) - Number(b));
      const parts: string[] = [];
      for (const n of names) {
        const st = await fs.stat(path.join(uploadDir, n)).catch(() => undefined);
        if (st) parts.push(`<Part><PartNumber>${n}</PartNumber><LastModified>${st.mtime.toISOString()}</LastModified><ETag>"${n}"</ETag><Size>${st.size}</Size></Part>`);
      }
      ctx.status = 200;
      ctx.type = 'application/xml';
      ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${esc(object[1]!)}</Bucket><UploadId>${ctx.query.uploadId}</UploadId><IsTruncated>false</IsTruncated>${parts.join('')}</ListPartsResult>`;
      return;
    }
    if (ctx.method === 'DELETE' && object && typeof ctx.query.uploadId === 'string') {
      const id = ctx.query.uploadId;
      if (!/^[0-9a-f]{32}$/.test(id)) {
        ctx.status = 404;
        ctx.type = 'application/xml';
        ctx.body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message></Error>';
        return;
      }
      await fs.rm(path.join(uploadsDir(object[1]!), id), { recursive: true, force: true });
      ctx.status = 204;
      ctx.body = null;
      return;
    }
    await next();
  };
}

/**
 * s3rver 3.x checks that the access key exists but not the AWS Signature V4 itself. We verify
 * it (header and presigned-query forms) so that a client with a wrong secret fails here as it
 * would against MinIO or AWS.
 */
function signatureMiddleware(secrets: Map<string, string>) {
  return async (ctx: KoaContext, next: () => Promise<void>) => {
    const problem = verifySigV4(
      { method: ctx.method, url: ctx.url, headers: ctx.headers },
      (accessKey) => secrets.get(accessKey),
    );
    if (problem) {
      ctx.status = 403;
      ctx.type = 'application/xml';
      ctx.body =
        '<?xml version="1.0" encoding="UTF-8"?>\n' +
        `<Error><Code>${problem.code}</Code><Message>${problem.message}</Message></Error>`;
      return;
    }
    await next();
  };
}

/**
 * Start an S3-protocol server in this process, on loopback, storing objects under `dir`.
 * It checks request signatures against a key pair generated for this run.
 */
export async function startEmbeddedS3(opts: {
  dir: string;
  port: number;
  buckets: string[];
  /** Observe each request (method and URL); used by tests to see multipart uploads happen. */
  onRequest?: (method: string, url: string) => void;
  /** Reuse a key pair (a restarted server keeps its clients' credentials valid); else a new one. */
  credentials?: { accessKey: string; secretKey: string };
}): Promise<EmbeddedS3Handle> {
  await fs.mkdir(opts.dir, { recursive: true });
  const accessKey = opts.credentials?.accessKey ?? `local-${randomBytes(6).toString('hex')}`;
  const secretKey = opts.credentials?.secretKey ?? randomBytes(24).toString('base64url');
  DUMMY_ACCOUNT.createKeyPair(accessKey, secretKey);

  const server = new S3rver({
    address: '127.0.0.1',
    port: opts.port,
    directory: opts.dir,
    silent: true,
    configureBuckets: opts.buckets.map((name) => ({ name })),
  });
  const observe = async (ctx: KoaContext, next: () => Promise<void>) => {
    opts.onRequest?.(ctx.method, ctx.url);
    await next();
  };
  server.middleware.unshift(observe, signatureMiddleware(new Map([[accessKey, secretKey]])), multipartUploadsMiddleware(opts.dir));
  const address = await server.run();

  return {
    settings: {
      endpoint: `http://127.0.0.1:${address.port}`,
      accessKey,
      secretKey,
      bucket: opts.buckets[0] ?? 'dossiers',
      region: 'us-east-1',
    },
    stop: async () => {
      await server.close();
      DUMMY_ACCOUNT.revokeAccessKey(accessKey);
    },
  };
}
