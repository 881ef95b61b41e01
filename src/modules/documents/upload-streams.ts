/**
 * Transform streams for the streaming upload path: multipart file part → (these) → object storage.
 *
 * Dossier files can be hundreds of megabytes (scanned drawings), so nothing here buffers a whole
 * file: each transform passes chunks through unchanged and keeps only O(1) state (plus, for
 * HeadCapture, the first few KiB). Typical use:
 *
 *   const head = createHeadCapture(SNIFF_BYTES);
 *   const limit = createSizeLimiter(maxBytes);
 *   const hasher = createHashingCounter();
 *   const upload = pipeline(part.file, head, limit, hasher, storageWritable);
 *   const verdict = checkType(await sniff(await head.head), extension);
 *   if (!verdict.ok) head.destroy(new UnsupportedMediaTypeError(verdict.message, verdict.code));
 *   await upload;                       // rejects with FileTooLargeError, the refusal above, …
 *   const { sha256, size } = hasher.result();
 */
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { AppError, PayloadTooLargeError } from '../../errors';

function assertByteCount(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${what} must be a non-negative integer number of bytes, got ${value}`);
  }
}

// ---------------------------------------------------------------------------------------------

export interface HashAndSize {
  /** SHA-256 of all bytes that passed, lower-case hex. */
  sha256: string;
  /** Number of bytes that passed. */
  size: number;
}

/** Pass-through that computes the SHA-256 and byte count of everything that flows through it. */
export class HashingCounter extends Transform {
  readonly #hash = createHash('sha256');
  #size = 0;
  #result: HashAndSize | undefined;

  /** Bytes seen so far (for progress); the final figure is in {@link result}. */
  get bytesSoFar(): number {
    return this.#size;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#hash.update(chunk);
    this.#size += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.#result = { sha256: this.#hash.digest('hex'), size: this.#size };
    callback();
  }

  /**
   * The digest and size, available once the input has ended (i.e. after the pipeline resolved).
   * Throws before that, so a half-read or failed upload can never be recorded with a wrong hash.
   */
  /** The digest and size if the input has ended, else undefined. */
  resultIfDone(): HashAndSize | undefined {
    return this.#result;
  }

  result(): HashAndSize {
    if (!this.#result) throw new Error('HashingCounter.result() called before the stream ended');
    return this.#result;
  }
}

export function createHashingCounter(): HashingCounter {
  return new HashingCounter();
}

// ---------------------------------------------------------------------------------------------

/**
 * The upload exceeded the size limit. An AppError (413, code PAYLOAD_TOO_LARGE, details.maxBytes)
 * so the HTTP error handler maps it without special-casing.
 */
export class FileTooLargeError extends PayloadTooLargeError {
  constructor(readonly maxBytes: number) {
    super(`The file is larger than the maximum allowed size of ${formatBytes(maxBytes)}.`, { maxBytes });
  }
}

function formatBytes(bytes: number): string {
  const MiB = 1024 * 1024;
  if (bytes >= MiB && bytes % MiB === 0) return `${bytes / MiB} MiB`;
  return `${bytes} bytes`;
}

/**
 * Pass-through that fails with {@link FileTooLargeError} as soon as more than `maxBytes` bytes have
 * arrived; exactly `maxBytes` is allowed. The chunk that crosses the limit is not forwarded, so
 * downstream never receives more than `maxBytes`. Erroring (instead of truncating) makes
 * `pipeline()` destroy every stage, which aborts the storage upload and stops reading the request.
 */
export class SizeLimiter extends Transform {
  #seen = 0;

  constructor(readonly maxBytes: number) {
    super();
    assertByteCount(maxBytes, 'maxBytes');
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#seen += chunk.length;
    if (this.#seen > this.maxBytes) {
      callback(new FileTooLargeError(this.maxBytes));
      return;
    }
    callback(null, chunk);
  }
}

export function createSizeLimiter(maxBytes: number): SizeLimiter {
  return new SizeLimiter(maxBytes);
}

// ---------------------------------------------------------------------------------------------

/**
 * Pass-through that copies the first `bytes` bytes into {@link head} while the stream keeps
 * flowing, so the caller can sniff the content type during the upload and destroy the pipeline if
 * the type is refused (some of the file will already have gone downstream; the storage writer must
 * abort on error).
 *
 * `head` resolves as soon as `bytes` bytes have arrived, however they were chunked, or at the end
 * of a shorter stream with everything there was. If the stream fails or is destroyed first, `head`
 * rejects with that error. A rejection nobody awaits is not reported as unhandled (the caller
 * learns of the failure from `pipeline()` anyway).
 */
export class HeadCapture extends Transform {
  readonly head: Promise<Buffer>;
  #resolve!: (head: Buffer) => void;
  #reject!: (error: Error) => void;
  #settled = false;
  #chunks: Buffer[] = [];
  #collected = 0;

  constructor(readonly bytes: number) {
    super();
    assertByteCount(bytes, 'bytes');
    this.head = new Promise<Buffer>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.head.catch(() => {}); // see class comment: a rejection must not crash the process
    if (bytes === 0) this.#settle();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (!this.#settled) {
      this.#chunks.push(chunk);
      this.#collected += chunk.length;
      if (this.#collected >= this.bytes) this.#settle();
    }
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.#settle(); // a stream shorter than `bytes`: its whole content is the head
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.#settled) {
      this.#settled = true;
      this.#chunks = [];
      this.#reject(error ?? new Error(`The stream ended before its first ${this.bytes} bytes were captured`));
    }
    callback(error);
  }

  /** Copies exactly the head out of the collected chunks (which may be much larger), then drops them. */
  #settle(): void {
    if (this.#settled) return;
    this.#settled = true;
    const head = Buffer.alloc(Math.min(this.#collected, this.bytes));
    let at = 0;
    for (const chunk of this.#chunks) {
      if (at >= head.length) break;
      at += chunk.copy(head, at, 0, Math.min(chunk.length, head.length - at));
    }
    this.#chunks = [];
    this.#resolve(head);
  }
}

export function createHeadCapture(bytes: number): HeadCapture {
  return new HeadCapture(bytes);
}

// ---------------------------------------------------------------------------------------------

/** The client stopped sending the body: 408, code UPLOAD_STALLED. */
export class UploadStalledError extends AppError {
  constructor(readonly idleMs: number) {
    super(408, 'UPLOAD_STALLED', `The upload stalled: no data arrived for ${Math.round(idleMs / 1000)} s. Check the connection and upload the file again.`, { idleSeconds: Math.round(idleMs / 1000) });
  }
}

/** The client went away mid-upload (nobody reads this answer; it ends the pipeline). */
export class ClientAbortedError extends AppError {
  constructor() {
    super(400, 'CLIENT_ABORTED', 'The client closed the connection before the upload finished');
  }
}

/**
 * Pass-through that fails with {@link UploadStalledError} when no chunk has arrived for `idleMs`
 * (from construction, then from each chunk), so a body that stops half-way does not hold a
 * connection, a pending row and a multipart upload forever. `onActivity` is told of each chunk.
 */
export class StallTimeout extends Transform {
  #timer: NodeJS.Timeout | undefined;

  constructor(
    readonly idleMs: number,
    private readonly onActivity?: () => void,
  ) {
    super();
    this.#arm();
  }

  #arm() {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.destroy(new UploadStalledError(this.idleMs)), this.idleMs);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#arm();
    this.onActivity?.();
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    clearTimeout(this.#timer);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    clearTimeout(this.#timer);
    callback(error);
  }
}
