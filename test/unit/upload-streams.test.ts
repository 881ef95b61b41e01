import { createHash, randomBytes } from 'node:crypto';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { AppError, PayloadTooLargeError } from '../../src/errors';
import {
  FileTooLargeError,
  createHashingCounter,
  createHeadCapture,
  createSizeLimiter,
} from '../../src/modules/documents/upload-streams';

/** Odd chunk sizes, so boundaries fall everywhere (including 1-byte and empty chunks). */
const ODD_SIZES = [1, 7, 0, 4093, 65_537, 13, 333_331, 2, 99_991, 16_411];

/** Yields `data` in chunks cycling through `sizes`, counting what the pipeline actually pulled. */
function source(data: Buffer, sizes: readonly number[] = ODD_SIZES) {
  const stats = { pulled: 0 };
  async function* chunks() {
    let offset = 0;
    for (let i = 0; offset < data.length; i++) {
      const chunk = data.subarray(offset, offset + sizes[i % sizes.length]!);
      offset += chunk.length;
      stats.pulled += chunk.length;
      yield chunk;
    }
  }
  return { stream: Readable.from(chunks()), stats };
}

/** A sink that keeps only a running SHA-256 and length, like an object-storage upload would. */
function hashingSink() {
  const hash = createHash('sha256');
  const out = { size: 0, sha256: '' };
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      out.size += chunk.length;
      callback();
    },
    final(callback) {
      out.sha256 = hash.digest('hex');
      callback();
    },
  });
  return { stream, out };
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const MiB = 1024 * 1024;

describe('createHashingCounter', () => {
  it('passes multi-MB data through unchanged and reports its SHA-256 and size', async () => {
    const data = randomBytes(5 * MiB + 12_345);
    const counter = createHashingCounter();
    const sink = hashingSink();
    await pipeline(source(data).stream, counter, sink.stream);

    expect(counter.result()).toEqual({ sha256: sha256(data), size: data.length });
    expect(sink.out).toEqual({ sha256: sha256(data), size: data.length }); // bytes unchanged
    expect(counter.bytesSoFar).toBe(data.length);
  });

  it('handles an empty stream', async () => {
    const counter = createHashingCounter();
    await pipeline(Readable.from([]), counter, hashingSink().stream);
    expect(counter.result()).toEqual({
      sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      size: 0,
    });
  });

  it('has no result before the end, nor after a failed stream', async () => {
    const counter = createHashingCounter();
    expect(() => counter.result()).toThrow(/before the stream ended/);

    const failing = Readable.from(
      (async function* () {
        yield randomBytes(1000);
        throw new Error('client went away');
      })(),
    );
    await expect(pipeline(failing, counter, hashingSink().stream)).rejects.toThrow('client went away');
    expect(() => counter.result()).toThrow(/before the stream ended/);
  });
});

describe('createSizeLimiter', () => {
  const LIMIT = 3 * MiB + 17;

  it.each([
    ['limit − 1', LIMIT - 1],
    ['exactly the limit', LIMIT],
  ])('lets %s bytes through unchanged', async (_label, length) => {
    const data = randomBytes(length);
    const sink = hashingSink();
    await pipeline(source(data).stream, createSizeLimiter(LIMIT), sink.stream);
    expect(sink.out).toEqual({ sha256: sha256(data), size: length });
  });

  it('fails with FileTooLargeError at limit + 1, forwarding no more than the limit', async () => {
    const sink = hashingSink();
    const error = await pipeline(source(randomBytes(LIMIT + 1)).stream, createSizeLimiter(LIMIT), sink.stream).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(FileTooLargeError);
    expect(sink.out.size).toBeLessThanOrEqual(LIMIT);
  });

  it('fails at limit + 1 also when that byte arrives alone', async () => {
    const data = randomBytes(11);
    const sink = hashingSink();
    await expect(pipeline(source(data, [1]).stream, createSizeLimiter(10), sink.stream)).rejects.toBeInstanceOf(
      FileTooLargeError,
    );
    expect(sink.out.size).toBe(10);
  });

  it('fails as soon as the limit is passed, without reading the rest of the upload', async () => {
    const data = randomBytes(32 * MiB);
    const { stream, stats } = source(data, [64 * 1024]);
    await expect(pipeline(stream, createSizeLimiter(MiB), hashingSink().stream)).rejects.toBeInstanceOf(FileTooLargeError);
    expect(stats.pulled).toBeLessThan(2 * MiB); // at most the limit plus stream buffering
  });

  it('carries the limit and maps to HTTP 413', () => {
    const error = new FileTooLargeError(50 * MiB);
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    expect(error).toBeInstanceOf(AppError);
    expect(error.name).toBe('FileTooLargeError');
    expect(error.maxBytes).toBe(50 * MiB);
    expect(error.statusCode).toBe(413);
    expect(error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(error.details).toEqual({ maxBytes: 50 * MiB });
    expect(error.message).toBe('The file is larger than the maximum allowed size of 50 MiB.');
    expect(new FileTooLargeError(1000).message).toBe('The file is larger than the maximum allowed size of 1000 bytes.');
  });

  it('allows a zero limit (only empty files) and rejects invalid limits', async () => {
    await pipeline(Readable.from([]), createSizeLimiter(0), hashingSink().stream);
    await expect(pipeline(source(Buffer.from('x')).stream, createSizeLimiter(0), hashingSink().stream)).rejects.toBeInstanceOf(
      FileTooLargeError,
    );
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => createSizeLimiter(bad)).toThrow(RangeError);
    }
  });
});

describe('createHeadCapture', () => {
  it.each([
    ['inside the first chunk', 1],
    ['at the first chunk boundary', 8],
    ['across many chunk boundaries', 64 * 1024],
    ['ending exactly at a later chunk boundary', 1 + 7 + 0 + 4093],
    ['bigger than a single large chunk', 500_000],
  ])('captures the first bytes %s and passes everything through', async (_label, bytes) => {
    const data = randomBytes(3 * MiB);
    const capture = createHeadCapture(bytes);
    const sink = hashingSink();
    await pipeline(source(data).stream, capture, sink.stream);
    const head = await capture.head;
    expect(head.equals(data.subarray(0, bytes))).toBe(true);
    expect(sink.out).toEqual({ sha256: sha256(data), size: data.length });
  });

  it('resolves with the whole content of a shorter stream at its end', async () => {
    const data = randomBytes(1000);
    const capture = createHeadCapture(64 * 1024);
    await pipeline(source(data).stream, capture, hashingSink().stream);
    expect((await capture.head).equals(data)).toBe(true);

    const empty = createHeadCapture(10);
    await pipeline(Readable.from([]), empty, hashingSink().stream);
    expect((await empty.head).length).toBe(0);
  });

  it('resolves immediately for zero bytes', async () => {
    expect((await createHeadCapture(0).head).length).toBe(0);
  });

  it('returns a copy that later chunks cannot alter', async () => {
    const chunk = Buffer.alloc(100, 1);
    const capture = createHeadCapture(10);
    await pipeline(Readable.from([chunk]), capture, hashingSink().stream);
    chunk.fill(2);
    expect(await capture.head).toEqual(Buffer.alloc(10, 1));
  });

  it('makes the head available while the rest is still streaming', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const data = randomBytes(200_000);
    const slowUpload = Readable.from(
      (async function* () {
        yield data.subarray(0, 3000);
        yield data.subarray(3000, 5000);
        await released; // the rest only comes after the head has been seen
        yield data.subarray(5000);
      })(),
    );
    const capture = createHeadCapture(4100);
    const sink = hashingSink();
    const done = pipeline(slowUpload, capture, sink.stream);

    const head = await capture.head;
    expect(head.equals(data.subarray(0, 4100))).toBe(true);
    expect(sink.out.size).toBeLessThan(data.length);
    release();
    await done;
    expect(sink.out).toEqual({ sha256: sha256(data), size: data.length });
  });

  it('lets the caller refuse the file after sniffing by destroying the pipeline', async () => {
    const data = randomBytes(16 * MiB);
    const { stream, stats } = source(data, [64 * 1024]);
    const capture = createHeadCapture(4100);
    const sink = hashingSink();
    const done = pipeline(stream, capture, sink.stream);

    const head = await capture.head;
    expect(head.length).toBe(4100);
    const refusal = new Error('type refused');
    capture.destroy(refusal);

    await expect(done).rejects.toBe(refusal);
    expect(stats.pulled).toBeLessThan(data.length);
    expect(sink.out.size).toBeLessThan(data.length);
  });

  it('rejects the head when the stream fails before enough bytes arrived', async () => {
    const failing = Readable.from(
      (async function* () {
        yield Buffer.from('%PDF-1.4');
        await sleep(5);
        throw new Error('connection reset');
      })(),
    );
    const capture = createHeadCapture(4100);
    const done = pipeline(failing, capture, hashingSink().stream);
    await expect(capture.head).rejects.toThrow('connection reset');
    await expect(done).rejects.toThrow('connection reset');
  });

  it('rejects the head when destroyed without an error', async () => {
    const capture = createHeadCapture(10);
    capture.write(Buffer.from('abc'));
    capture.destroy();
    await expect(capture.head).rejects.toThrow(/ended before its first 10 bytes/);
  });

  it('does not cause an unhandled rejection when nobody awaits the head', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const capture = createHeadCapture(4100);
      const failing = Readable.from(
        (async function* () {
          yield Buffer.from('x');
          throw new Error('aborted');
        })(),
      );
      await expect(pipeline(failing, capture, hashingSink().stream)).rejects.toThrow('aborted');
      await sleep(20);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('rejects invalid sizes', () => {
    for (const bad of [-1, 0.5, Number.NaN]) expect(() => createHeadCapture(bad)).toThrow(RangeError);
  });
});

describe('all three in one upload pipeline', () => {
  it('captures the head, enforces the limit and hashes the stored bytes in a single pass', async () => {
    const data = randomBytes(4 * MiB + 3);
    const capture = createHeadCapture(64 * 1024);
    const limiter = createSizeLimiter(5 * MiB);
    const counter = createHashingCounter();
    const sink = hashingSink();
    const spy = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        callback(null, chunk); // a stand-in for any further stage; keeps the chain honest
      },
    });
    await pipeline(source(data).stream, capture, limiter, counter, spy, sink.stream);
    expect((await capture.head).equals(data.subarray(0, 64 * 1024))).toBe(true);
    expect(counter.result()).toEqual({ sha256: sha256(data), size: data.length });
    expect(sink.out).toEqual(counter.result());
  });
});

describe('StallTimeout', () => {
  it('passes a steady stream through and fails with 408 UPLOAD_STALLED when the source goes quiet', async () => {
    const { StallTimeout, UploadStalledError } = await import('../../src/modules/documents/upload-streams');
    let seen = 0;
    const steady = async function* () {
      for (let i = 0; i < 5; i++) {
        await sleep(20);
        yield Buffer.alloc(10);
      }
    };
    const sink = new Writable({ write: (c, _e, cb) => ((seen += c.length), cb()) });
    await pipeline(Readable.from(steady()), new StallTimeout(500), sink);
    expect(seen).toBe(50);

    const stalls = async function* () {
      yield Buffer.alloc(10);
      await sleep(10_000);
      yield Buffer.alloc(10);
    };
    const started = Date.now();
    const err = await pipeline(Readable.from(stalls()), new StallTimeout(200), new Writable({ write: (_c, _e, cb) => cb() })).catch((e) => e);
    expect(err).toBeInstanceOf(UploadStalledError);
    expect(err).toMatchObject({ statusCode: 408, code: 'UPLOAD_STALLED' });
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
