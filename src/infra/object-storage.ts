import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { Client } from 'minio';
import type { S3Settings } from '../config';
import { observe } from './metrics-observer';

// The client calls that go over the network and return a promise: each gets a span and a timing.
const OBSERVED_CALLS = new Set(['putObject', 'getObject', 'getPartialObject', 'statObject', 'removeObject', 'removeObjects', 'copyObject', 'bucketExists', 'makeBucket', 'presignedGetObject', 'presignedUrl', 'fPutObject', 'fGetObject']);

/** The minio client with its network calls observed (the client's own internal calls are not). */
function observedClient(client: Client): Client {
  return new Proxy(client, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof prop !== 'string' || !OBSERVED_CALLS.has(prop) || typeof value !== 'function') return value;
      return (...args: unknown[]) => observe.storageCall(prop, async () => (value as (...a: unknown[]) => unknown).apply(target, args));
    },
  });
}

export interface ObjectStorage {
  client: Client;
  bucket: string;
  /** Create the bucket when it does not exist (idempotent). */
  ensureBucket(): Promise<void>;
  /** Readiness probe: the endpoint answers, our credentials are accepted and the bucket exists. */
  ping(): Promise<void>;
  /** A Writable that stores everything written to it under `key` (see ObjectUploadStream). */
  createUploadStream(key: string, opts?: { contentType?: string }): ObjectUploadStream;
  /** Upper bound for one storage request; past it the storage counts as unavailable. */
  requestTimeoutMs: number;
}

/** The service reaches object storage only through the minio client, built here. */
export function createObjectStorage(settings: S3Settings, opts: { partSizeBytes?: number; requestTimeoutMs?: number } = {}): ObjectStorage {
  const endpoint = new URL(settings.endpoint);
  const useSSL = endpoint.protocol === 'https:';
  const client = observedClient(new Client({
    endPoint: endpoint.hostname,
    port: endpoint.port ? Number(endpoint.port) : useSSL ? 443 : 80,
    useSSL,
    accessKey: settings.accessKey,
    secretKey: settings.secretKey,
    region: settings.region,
    pathStyle: true,
    // The client buffers about three parts per upload: keep them small (5 MiB is the S3 minimum).
    partSize: opts.partSizeBytes ?? 5 * 1024 * 1024,
  }));
  const bucket = settings.bucket;
  const partSize = opts.partSizeBytes ?? 5 * 1024 * 1024;
  const requestTimeoutMs = opts.requestTimeoutMs ?? 30_000;
  return {
    client,
    bucket,
    requestTimeoutMs,
    createUploadStream: (key, o = {}) => new ObjectUploadStream(client, bucket, key, partSize, requestTimeoutMs, o.contentType),
    async ensureBucket() {
      if (!(await client.bucketExists(bucket))) {
        try {
          await client.makeBucket(bucket, settings.region);
        } catch (err) {
          // Another instance may have created it in between.
          if ((err as { code?: string }).code !== 'BucketAlreadyOwnedByYou') throw err;
        }
      }
    },
    async ping() {
      if (!(await client.bucketExists(bucket))) throw new Error(`bucket "${bucket}" does not exist`);
    },
  };
}

/**
 * The storage could not be reached (connection refused/reset, DNS, timeout): a fault of the
 * infrastructure, not of the request. Answered as 503 STORAGE_UNAVAILABLE.
 */
const CONNECTION_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'ERR_STORAGE_TIMEOUT']);
export function isStorageConnectionError(err: unknown): boolean {
  for (let e = err as { code?: unknown; cause?: unknown; errors?: unknown[] } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && CONNECTION_ERROR_CODES.has(e.code)) return true;
    if (Array.isArray(e.errors) && e.errors.some((x) => isStorageConnectionError(x))) return true; // AggregateError (happy eyeballs)
  }
  return false;
}

export class StorageTimeoutError extends Error {
  readonly code = 'ERR_STORAGE_TIMEOUT';
  constructor(what: string, ms: number) {
    super(`object storage did not answer ${what} within ${ms} ms`);
  }
}

/** Rejects with a StorageTimeoutError when `work` has not settled within `ms`. */
export function withStorageTimeout<T>(what: string, ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StorageTimeoutError(what, ms)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * A Writable that stores what is written to it as one object, with memory bounded to one part.
 *
 * Why not `client.putObject(stream)`: minio's uploadStream pipes the source with `.pipe()`, so
 * when the source is destroyed (a size limit, a refused type, a client that went away) its
 * promise never settles, and neither the multipart upload nor the buffered part are ever freed.
 * Here the upload is driven by the stream itself: `pipeline()` sees every failure, and
 * destroying the stream aborts the multipart upload before the destroy completes.
 *
 * Up to one part the object is sent with a single PUT at the end; beyond, as a multipart upload
 * (one part in flight at a time: backpressure reaches the request socket).
 */
export class ObjectUploadStream extends Writable {
  #chunks: Buffer[] = [];
  #buffered = 0;
  #uploadId: string | undefined;
  #initiating: Promise<string> | undefined;
  #parts: Array<{ part: number; etag: string }> = [];
  #done = false;
  #inflight: Promise<unknown> | undefined;

  constructor(
    private readonly client: Client,
    private readonly bucket: string,
    readonly key: string,
    private readonly partSize: number,
    private readonly requestTimeoutMs: number,
    private readonly contentType = 'application/octet-stream',
  ) {
    super({ highWaterMark: 1024 * 1024 });
  }

  /**
   * Resolves once the stream is closed, i.e. after an abort has reached the storage. `pipeline()`
   * rejects as soon as one stage fails, before the others have finished destroying themselves;
   * await this before reporting that nothing was left behind.
   */
  settled(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => this.once('close', () => resolve()));
  }

  /** Whether the object was completely stored (false after an abort). */
  get stored(): boolean {
    return this.#done;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    if (this.#buffered < this.partSize) return callback();
    this.#flushPart().then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#finish().then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#chunks = [];
    if (this.#done || (!this.#uploadId && !this.#initiating)) return callback(error);
    // Abort the multipart upload before reporting the failure, so nothing is left behind once
    // the pipeline has settled. An abort that fails is left to the sweeper.
    const abort = async () => {
      // A part still being sent would land after the abort (and S3 would keep it): let it settle.
      await this.#inflight?.catch(() => {});
      const uploadId = this.#uploadId ?? (await this.#initiating!.catch(() => undefined));
      if (uploadId) await this.#timed('abort', this.client.abortMultipartUpload(this.bucket, this.key, uploadId)).catch(() => {});
    };
    abort().then(() => callback(error));
  }

  #timed<T>(what: string, work: Promise<T>): Promise<T> {
    return withStorageTimeout(what, this.requestTimeoutMs, work);
  }

  #take(): Buffer {
    const body = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks);
    this.#chunks = [];
    this.#buffered = 0;
    return body;
  }

  async #flushPart(): Promise<void> {
    if (!this.#uploadId) {
      this.#initiating = this.#timed('initiate', this.client.initiateNewMultipartUpload(this.bucket, this.key, { 'Content-Type': this.contentType }));
      this.#uploadId = await this.#initiating;
    }
    const body = this.#take();
    const part = this.#parts.length + 1;
    const md5 = createHash('md5').update(body).digest('base64');
    const sending = this.#timed(
      'upload part',
      this.client.makeRequestAsyncOmit(
        { method: 'PUT', bucketName: this.bucket, objectName: this.key, query: `partNumber=${part}&uploadId=${encodeURIComponent(this.#uploadId)}`, headers: { 'Content-Length': body.length, 'Content-MD5': md5 } },
        body,
      ),
    );
    this.#inflight = sending;
    const res = await sending;
    const etag = String(res.headers.etag ?? '').replace(/^"|"$/g, '');
    this.#parts.push({ part, etag });
  }

  async #finish(): Promise<void> {
    if (!this.#uploadId) {
      await this.#timed('put', this.client.putObject(this.bucket, this.key, this.#take(), undefined, { 'Content-Type': this.contentType }));
    } else {
      if (this.#buffered > 0) await this.#flushPart();
      await this.#timed('complete', this.client.completeMultipartUpload(this.bucket, this.key, this.#uploadId, this.#parts));
    }
    this.#done = true;
  }
}
