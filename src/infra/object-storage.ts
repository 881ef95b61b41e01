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
}

/** The service reaches object storage only through the minio client, built here. */
export function createObjectStorage(settings: S3Settings, opts: { partSizeBytes?: number } = {}): ObjectStorage {
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
  return {
    client,
    bucket,
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
