/**
 * A client for ClamAV's clamd: VERSION, and INSTREAM as a pass-through stream so a file is
 * scanned while its bytes go to storage (not read back afterwards).
 *
 * Written here rather than taken from npm: the maintained-looking packages either buffer the
 * whole file, scan files by path, or have not been updated in years, and the protocol is tiny:
 *   `zINSTREAM\0`, then chunks each prefixed by a 4-byte big-endian length, a zero-length
 *   terminator; the reply is `stream: OK`, `stream: <Signature> FOUND` or `… ERROR`, ended by \0.
 *   `zVERSION\0` answers `ClamAV <engine>/<signature db version>/<db date>`; `zPING\0` answers `PONG`.
 */
import net from 'node:net';
import { Transform, type TransformCallback } from 'node:stream';

export type ClamdTarget = { socket: string } | { host: string; port: number };

export interface ClamdVersion {
  /** e.g. "ClamAV 1.4.6" */
  engine: string;
  /** The signature database version and date, e.g. "27481/Mon Dec  1 09:30:00 2026"; "custom" when clamd reports none. */
  signatures: string;
}

/** clamd could not be reached or broke off: the upload cannot be scanned. */
export class ClamdUnavailableError extends Error {
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'ClamdUnavailableError';
  }
}

/** clamd refused the stream (e.g. larger than its StreamMaxLength). */
export class ClamdStreamError extends Error {
  constructor(readonly reply: string) {
    super(`clamd could not scan the stream: ${reply}`);
    this.name = 'ClamdStreamError';
  }
}

/** clamd found something; the scan stream fails with this so the upload is never completed. */
export class ClamdInfectedError extends Error {
  constructor(readonly signature: string) {
    super(`clamd found ${signature}`);
    this.name = 'ClamdInfectedError';
  }
}

export type ScanVerdict = { infected: false } | { infected: true; signature: string };

function describe(target: ClamdTarget): string {
  return 'socket' in target ? target.socket : `${target.host}:${target.port}`;
}

function connect(target: ClamdTarget, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = 'socket' in target ? net.createConnection(target.socket) : net.createConnection(target.port, target.host);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new ClamdUnavailableError(`clamd at ${describe(target)} did not accept a connection within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(new ClamdUnavailableError(`clamd at ${describe(target)} is unreachable (${(err as NodeJS.ErrnoException).code ?? err.message})`, err));
    });
  });
}

/** Collects a \0-terminated reply; rejects if the connection ends or fails first, or after timeoutMs. */
function readReply(socket: net.Socket, target: ClamdTarget, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => fail(new ClamdUnavailableError(`clamd at ${describe(target)} did not answer within ${timeoutMs} ms`)), timeoutMs);
    const done = () => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', fail);
      socket.off('close', onClose);
    };
    const fail = (err: Error) => {
      done();
      reject(err instanceof ClamdUnavailableError ? err : new ClamdUnavailableError(`clamd at ${describe(target)} broke off (${(err as NodeJS.ErrnoException).code ?? err.message})`, err));
    };
    const onData = (c: Buffer) => {
      chunks.push(c);
      const all = Buffer.concat(chunks);
      const end = all.indexOf(0);
      if (end >= 0) {
        done();
        resolve(all.subarray(0, end).toString('utf8').trim());
      }
    };
    const onClose = () => {
      const text = Buffer.concat(chunks).toString('utf8').replace(/\0.*$/s, '').trim();
      done();
      if (text) resolve(text);
      else reject(new ClamdUnavailableError(`clamd at ${describe(target)} closed the connection without an answer`));
    };
    socket.on('data', onData);
    socket.once('error', fail);
    socket.once('close', onClose);
  });
}

export async function clamdVersion(target: ClamdTarget, timeoutMs = 5_000): Promise<ClamdVersion> {
  const socket = await connect(target, timeoutMs);
  try {
    const reply = readReply(socket, target, timeoutMs);
    socket.write('zVERSION\0');
    const text = await reply;
    const [engine, ...rest] = text.split('/');
    return { engine: engine!.trim(), signatures: rest.join('/').trim() || 'custom' };
  } finally {
    socket.destroy();
  }
}

/** `zPING\0` answered `PONG`: clamd is up and accepting commands (readiness). */
export async function clamdPing(target: ClamdTarget, timeoutMs = 2_000): Promise<void> {
  const socket = await connect(target, timeoutMs);
  try {
    const reply = readReply(socket, target, timeoutMs);
    socket.write('zPING\0');
    const text = await reply;
    if (text !== 'PONG') throw new ClamdUnavailableError(`clamd at ${describe(target)} answered PING with "${text.slice(0, 80)}"`);
  } finally {
    socket.destroy();
  }
}

/** Parses an INSTREAM reply. */
export function parseScanReply(reply: string): ScanVerdict {
  const text = reply.replace(/^stream:\s*/, '');
  if (text === 'OK') return { infected: false };
  const found = /^(.+) FOUND$/.exec(text);
  if (found) return { infected: true, signature: found[1]!.trim() };
  throw new ClamdStreamError(reply);
}

/**
 * A pass-through that also sends every chunk to clamd. `verdict` resolves once the input has
 * ended and clamd has answered. The stream fails with ClamdInfectedError on an infection (so
 * the storage writer downstream aborts), and with ClamdUnavailableError if clamd goes away.
 * Backpressure: a chunk is passed on only once clamd's socket has taken it.
 */
export class ClamdScanStream extends Transform {
  readonly verdict: Promise<ScanVerdict>;
  #resolve!: (v: ScanVerdict) => void;
  #reject!: (e: Error) => void;
  #socket: Promise<net.Socket>;
  /** clamd's answer, collected from the start: it may answer early (e.g. a size limit) and close. */
  #reply: Promise<string> | undefined;
  #earlyReply: string | undefined;

  constructor(
    private readonly target: ClamdTarget,
    private readonly timeoutMs: number,
  ) {
    super();
    this.verdict = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.verdict.catch(() => {}); // observed by the caller; never an unhandled rejection
    this.#socket = connect(target, timeoutMs).then((s) => {
      s.on('error', () => {}); // surfaced through the reply or the next write
      this.#reply = readReply(s, target, 24 * 3600_000);
      this.#reply.then((r) => (this.#earlyReply = r), () => {});
      s.write('zINSTREAM\0');
      return s;
    });
    this.#socket.catch(() => {});
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    this.#socket.then(
      (s) => {
        if (this.#earlyReply !== undefined) return callback(new ClamdStreamError(this.#earlyReply));
        if (s.destroyed) return callback(new ClamdUnavailableError(`clamd at ${describe(this.target)} closed the connection during the scan`));
        const header = Buffer.alloc(4);
        header.writeUInt32BE(chunk.length);
        s.write(header);
        if (s.write(chunk)) callback(null, chunk);
        else s.once('drain', () => callback(null, chunk));
      },
      (err) => callback(err),
    );
  }

  override _flush(callback: TransformCallback): void {
    this.#socket.then(
      async (s) => {
        let timer: NodeJS.Timeout | undefined;
        try {
          if (!s.destroyed) s.write(Buffer.alloc(4)); // zero-length chunk: end of stream
          const timeout = new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new ClamdUnavailableError(`clamd at ${describe(this.target)} did not answer within ${this.timeoutMs} ms`)), this.timeoutMs);
          });
          const verdict = parseScanReply(await Promise.race([this.#reply!, timeout]));
          this.#resolve(verdict);
          // Fail the stream on an infection: downstream (storage) then never completes the object.
          callback(verdict.infected ? new ClamdInfectedError(verdict.signature) : null);
        } catch (err) {
          this.#reject(err as Error);
          callback(err as Error);
        } finally {
          clearTimeout(timer);
          s.destroy();
        }
      },
      (err) => {
        this.#reject(err);
        callback(err);
      },
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#socket.then((s) => s.destroy(), () => {});
    this.#reject(error ?? new Error('scan aborted'));
    callback(error);
  }
}
