/**
 * Counts what the service sends to Postgres, for `npm run bench:commands`: statements (each
 * Execute or simple Query message of the wire protocol) and round trips (socket writes: the
 * driver gathers the messages it has queued in one tick into one write, so a write is one
 * batch of statements sent before waiting for answers). Installed in the bench server only.
 */
import net from 'node:net';

export interface WireCounts {
  statements: number;
  roundTrips: number;
}

export function countPostgresWire(port: number): () => WireCounts {
  const counts: WireCounts = { statements: 0, roundTrips: 0 };
  const write = net.Socket.prototype.write;
  net.Socket.prototype.write = function (this: net.Socket, chunk: unknown, ...rest: unknown[]) {
    if (this.remotePort === port && Buffer.isBuffer(chunk)) {
      counts.roundTrips++;
      // Messages: type byte, int32 length (including itself), body. The startup message has no
      // type byte; a chunk that does not parse is counted as a round trip only.
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
  return () => ({ ...counts });
}
