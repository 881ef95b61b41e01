import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedS3, type EmbeddedS3Handle } from '../../src/infra/embedded-s3';
import { createObjectStorage, type ObjectStorage } from '../../src/infra/object-storage';

// This file starts its own embedded S3 server (the one `npm start` uses) so it can watch the
// requests it receives.
let s3: EmbeddedS3Handle;
let storage: ObjectStorage;
let dir: string;
const requests: string[] = [];

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'embedded-s3-'));
  s3 = await startEmbeddedS3({ dir, port: 0, buckets: ['dossiers'], onRequest: (m, u) => requests.push(`${m} ${u}`) });
  storage = createObjectStorage(s3.settings, { partSizeBytes: 5 * 1024 * 1024 });
  await storage.ensureBucket();
});
afterAll(async () => {
  await s3.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

async function sha256Of(stream: AsyncIterable<Buffer>): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk);
  return hash.digest('hex');
}

describe('embedded S3 server through the minio client', () => {
  it('uploads a stream larger than one multipart part and reads back the same bytes', async () => {
    const { client, bucket } = storage;
    // 5 MiB parts (the S3 minimum): 12 MiB + 7 bytes is three parts.
    const data = randomBytes(12 * 1024 * 1024 + 7);
    const chunks = function* () {
      for (let i = 0; i < data.length; i += 256 * 1024) yield data.subarray(i, i + 256 * 1024);
    };
    requests.length = 0;
    // A stream of unknown length takes the client's multipart path, which first lists
    // unfinished uploads (GET ?uploads): s3rver alone answers that with 501.
    await client.putObject(bucket, 'multi/part.bin', Readable.from(chunks()));

    expect(requests.some((r) => /^GET \/dossiers\?.*uploads/.test(r))).toBe(true);
    const parts = requests.filter((r) => /^PUT \/dossiers\/multi\/part\.bin\?.*partNumber=/.test(r));
    expect(parts).toHaveLength(3);
    expect(requests.some((r) => /^POST \/dossiers\/multi\/part\.bin\?uploadId=/.test(r))).toBe(true);

    const stat = await client.statObject(bucket, 'multi/part.bin');
    expect(stat.size).toBe(data.length);
    expect(await sha256Of((await client.getObject(bucket, 'multi/part.bin')) as AsyncIterable<Buffer>)).toBe(
      createHash('sha256').update(data).digest('hex'),
    );
  });

  it('checks request signatures: a wrong secret or unknown key is refused', async () => {
    const wrongSecret = createObjectStorage({ ...s3.settings, secretKey: 'not-the-secret' });
    await expect(wrongSecret.client.putObject('dossiers', 'x.txt', Buffer.from('x'))).rejects.toMatchObject({ code: 'SignatureDoesNotMatch' });
    const wrongKey = createObjectStorage({ ...s3.settings, accessKey: 'nobody' });
    await expect(wrongKey.client.statObject('dossiers', 'multi/part.bin')).rejects.toBeTruthy();
    await expect(storage.client.statObject('dossiers', 'x.txt')).rejects.toMatchObject({ code: 'NotFound' });
  });

  it('serves presigned URLs and refuses tampered ones', async () => {
    await storage.client.putObject('dossiers', 'pre/signed name.txt', Buffer.from('hello'));
    const url = await storage.client.presignedGetObject('dossiers', 'pre/signed name.txt', 60);
    const ok = await fetch(url);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('hello');
    const tampered = await fetch(url.replace('pre/signed', 'pre/other'));
    expect(tampered.status).toBe(403);
  });
});

describe('ObjectUploadStream', () => {
  const list = async () => {
    const keys: string[] = [];
    for await (const u of storage.client.listIncompleteUploads(storage.bucket, 'ous/', true) as AsyncIterable<{ key: string }>) keys.push(u.key);
    return keys;
  };
  it('stores a small file with one PUT and a large one as a multipart upload, byte for byte', async () => {
    for (const size of [1000, 12 * 1024 * 1024 + 3]) {
      const data = randomBytes(size);
      const sink = storage.createUploadStream(`ous/ok-${size}`);
      await pipeline(Readable.from([data.subarray(0, 7), data.subarray(7)]), sink);
      expect(sink.stored).toBe(true);
      expect(await sha256Of((await storage.client.getObject(storage.bucket, `ous/ok-${size}`)) as AsyncIterable<Buffer>)).toBe(createHash('sha256').update(data).digest('hex'));
    }
    expect(await list()).toEqual([]);
  });

  it('destroyed half-way (after parts were sent): the pipeline settles at once, the multipart upload is aborted, no object', async () => {
    const failing = async function* () {
      for (let i = 0; i < 12; i++) yield randomBytes(1024 * 1024);
      throw new Error('source failed');
    };
    const sink = storage.createUploadStream('ous/aborted');
    await expect(pipeline(Readable.from(failing()), sink)).rejects.toThrow('source failed');
    await sink.settled();
    expect(sink.stored).toBe(false);
    expect(await list()).toEqual([]);
    await expect(storage.client.statObject(storage.bucket, 'ous/aborted')).rejects.toThrow();
  });
});
