/**
 * Counts what the service sends to Postgres, for `npm run bench:commands`: statements (each
 * Execute or simple Query message of the wire protocol) and round trips (on each connection, a
 * write after an answer arrived: the client had to wait for the server before sending more;
 * writes that follow each other with no answer in between are one pipelined batch). Installed
 * in the bench server only.
 */
import net from 'node:net';

export interface WireCounts {
  statements: number;
  roundTrips: number;
}

const answered = Symbol('answered since the last write');
/** BENCH_WIRE_TRACE=1: print each write (new round trip or not, the statements it parses) to stderr. */
const trace = process.env.BENCH_WIRE_TRACE === '1';

function traceWrite(chunk: Buffer, newTrip: boolean) {
  const parts: string[] = [];
  for (let i = 0; i + 5 <= chunk.length; ) {
    const type = String.fromCharCode(chunk[i]!);
    const length = chunk.readInt32BE(i + 1);
    if (length < 4) break;
    if (type === 'P') {
      const nameEnd = chunk.indexOf(0, i + 5);
      const textEnd = chunk.indexOf(0, nameEnd + 1);
      parts.push(`P(${chunk.toString('utf8', nameEnd + 1, Math.min(textEnd, nameEnd + 90)).replace(/\s+/g, ' ')})`);
    } else if (type === 'Q') parts.push(`Q(${chunk.toString('utf8', i + 5, Math.min(i + 1 + length - 1, i + 95)).replace(/\s+/g, ' ')})`);
    else if (type === 'E') parts.push(type);
    i += 1 + length;
  }
  process.stderr.write(`wire ${newTrip ? 'RT ' : '   '} ${parts.join(' ')}\n`);
}

export function countPostgresWire(port: number): () => WireCounts {
  const counts: WireCounts = { statements: 0, roundTrips: 0 };
  type Counted = net.Socket & { [answered]?: boolean };
  const write = net.Socket.prototype.write;
  net.Socket.prototype.write = function (this: Counted, chunk: unknown, ...rest: unknown[]) {
    if (this.remotePort === port && Buffer.isBuffer(chunk)) {
      const newTrip = this[answered] !== false;
      if (newTrip) counts.roundTrips++;
      this[answered] = false;
      if (trace) traceWrite(chunk, newTrip);
      // Messages: type byte, int32 length (including itself), body. The startup message has no
      // type byte; a chunk that does not parse is only counted as a write.
      for (let i = 0; i + 5 <= chunk.length; ) {
        const type = chunk[i]!;
        const length = chunk.readInt32BE(i + 1);
        if (length < 4) break;
        if (type === 0x45 /* E */ || type === 0x51 /* Q */) counts.statements++;
        i += 1 + length;
      }
    }
    return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
  } as typeof net.Socket.prototype.write;
  const emit = net.Socket.prototype.emit;
  net.Socket.prototype.emit = function (this: Counted, event: string | symbol, ...args: unknown[]) {
    if (event === 'data' && this.remotePort === port) this[answered] = true;
    return (emit as (...a: unknown[]) => boolean).call(this, event, ...args);
  } as typeof net.Socket.prototype.emit;
  return () => ({ ...counts });
}
