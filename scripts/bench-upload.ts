/**
 * `npm run bench:upload [-- --mb 256 --rounds 3]`
 *
 * Starts the service (scripts/bench-server.ts: the real app on an embedded Postgres, with the
 * embedded S3 server in its own child process, as `npm start` runs them) in a child process, writes a large file (a PDF header, then pseudo-random
 * bytes; streamed to disk, SHA-256 computed on the way, never held in memory), then, per round:
 *  - API:    POST /v1/projects/:id/documents, multipart/form-data (component, sha256, file part),
 *            streamed from disk with an exact Content-Length; the answer must be 201 with that sha256;
 *  - direct: the same minio client the service uses (createObjectStorage, same part size)
 *            uploads the file straight to the service's S3 endpoint (putObject from a read stream).
 * Rounds alternate the order: odd rounds API first, even rounds direct first, so that round 1
 * measures a service that has not yet seen any upload. While each upload runs, the service process's
 * VmRSS is read from /proc/<pid>/status every 50 ms; the growth over the value read just before the
 * upload is reported (the direct upload does not pass through the service process at all; the S3
 * server is a separate process, like MinIO in production).
 *
 * Targets: API throughput ≥ 0.8 × direct; service RSS growth during the API upload < 64 MiB.
 * Sizes: 1 MB here = 1 MiB = 2^20 bytes.
 * Exits 1 when a target is missed. BENCH_SERVER_NODE_ARGS (e.g. `--max-semi-space-size=…`) and
 * BENCH_SERVER_SCRIPT (another server entry, for experiments) change how the service is started.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomFillSync, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createObjectStorage } from '../src/infra/object-storage';
import { BENCH_PROJECT, jsonRequest as jsonRequestTo, startBenchServer } from './bench-support';

const { values } = parseArgs({ options: { mb: { type: 'string', default: '256' }, rounds: { type: 'string', default: '3' } } });
const MiB = 1024 * 1024;
const FILE_BYTES = Math.round(Number(values.mb) * MiB);
const ROUNDS = Number(values.rounds);
if (!(FILE_BYTES >= 64 * 1024) || !Number.isInteger(ROUNDS) || ROUNDS < 1) {
  console.error('usage: bench-upload [--mb N (≥ 0.0625)] [--rounds N]');
  process.exit(2);
}
const RATIO_TARGET = 0.8;
const GROWTH_TARGET_MB = 64;
const SAMPLE_MS = 50;

// --- memory of the service process ------------------------------------------------------------

function procStatus(pid: number): { rss: number; hwm: number } {
  const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** CPU seconds (user + system, all threads) the process has used so far; clock ticks are 1/100 s on Linux. */
function procCpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Reads VmRSS every SAMPLE_MS until stopped; keeps the peak. */
function sampleRss(pid: number) {
  let peak = procStatus(pid).rss;
  let samples = 1;
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, procStatus(pid).rss);
      samples++;
    } catch {
      /* the process is gone: the upload will fail and say so */
    }
  }, SAMPLE_MS);
  return {
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, procStatus(pid).rss);
      return { peak, samples: samples + 1 };
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// --- the file -----------------------------------------------------------------------------------

/**
 * `%PDF-1.4\n`, pseudo-random bytes written 1 MiB at a time, and a `%%EOF` trailer (the service
 * refuses a PDF without one, or with data after it); returns the SHA-256 (hex).
 */
function writeTestFile(file: string, bytes: number): string {
  const hash = createHash('sha256');
  const fd = fs.openSync(file, 'w');
  const trailer = Buffer.from('\n%%EOF\n', 'latin1');
  try {
    const header = Buffer.from('%PDF-1.4\n', 'latin1');
    hash.update(header);
    fs.writeSync(fd, header);
    const buf = Buffer.allocUnsafe(MiB);
    for (let left = bytes - header.length - trailer.length; left > 0; ) {
      const n = Math.min(left, buf.length);
      const chunk = n === buf.length ? buf : buf.subarray(0, n);
      randomFillSync(chunk);
      hash.update(chunk);
      for (let off = 0; off < n; ) off += fs.writeSync(fd, chunk, off, n - off);
      left -= n;
    }
    hash.update(trailer);
    fs.writeSync(fd, trailer);
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

// --- HTTP ---------------------------------------------------------------------------------------

let PORT = 0;

const agent = new http.Agent({ keepAlive: false });
const jsonRequest = (method: string, url: string, token: string, body: unknown) => jsonRequestTo(agent, PORT, method, url, token, body);

/** multipart/form-data: component, sha256, then the file part streamed from disk, with an exact Content-Length. */
function uploadMultipart(url: string, token: string, file: string, size: number, fields: Record<string, string>): Promise<{ status: number; body: any }> {
  const boundary = `----bench-upload-${randomUUID()}`;
  let head = '';
  for (const [name, value] of Object.entries(fields)) {
    head += `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  }
  head += `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="bench.pdf"\r\nContent-Type: application/pdf\r\n\r\n`;
  const tail = `\r\n--${boundary}--\r\n`;
  const contentLength = Buffer.byteLength(head) + size + Buffer.byteLength(tail);
  return new Promise((resolve, reject) => {
    let settled = false;
    const req = http.request(
      {
        host: '127.0.0.1',
        port: PORT,
        method: 'POST',
        path: url,
        headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': contentLength },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          settled = true;
          const text = Buffer.concat(chunks).toString();
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            /* keep the text */
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    // An early answer (413, 415, …) may close the socket while we still write: the answer wins.
    req.on('error', (err) => setTimeout(() => settled || reject(err), 100));
    req.write(head);
    const rs = fs.createReadStream(file, { highWaterMark: MiB });
    rs.on('error', (err) => req.destroy(err));
    rs.pipe(req, { end: false });
    rs.on('end', () => req.end(tail));
  });
}

// --- main ---------------------------------------------------------------------------------------

const mb = (bytes: number) => bytes / MiB;
const f1 = (n: number) => n.toFixed(1);

interface Measured {
  seconds: number;
  rssBefore: number;
  rssPeak: number;
  samples: number;
  /** CPU seconds used meanwhile by the service process and by this process. */
  cpu: { service: number; bench: number };
}

/** Runs one upload while sampling the service's VmRSS and counting CPU time. */
async function measure(pid: number, upload: () => Promise<void>): Promise<Measured> {
  // Flush what the previous upload left in the page cache (so its writeback does not slow this
  // one down), and let its stragglers (sockets, timers) settle.
  spawnSync('sync');
  await sleep(500);
  const rssBefore = procStatus(pid).rss;
  const sampler = sampleRss(pid);
  const service0 = procCpuSeconds(pid);
  const bench0 = process.cpuUsage();
  const t = performance.now();
  const done = await upload().then(
    () => null,
    (err: unknown) => ({ err }),
  );
  const seconds = (performance.now() - t) / 1000;
  const { peak, samples } = sampler.stop();
  if (done) throw done.err;
  const bench = process.cpuUsage(bench0);
  return { seconds, rssBefore, rssPeak: peak, samples, cpu: { service: procCpuSeconds(pid) - service0, bench: (bench.user + bench.system) / 1e6 } };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function main() {
  const fileDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'bench-upload-file-'));
  const server = await startBenchServer('upload', { RATE_LIMIT_UPLOADS_PER_MINUTE: '10000000', UPLOAD_MAX_BYTES: String(FILE_BYTES + MiB) });
  PORT = server.port;
  try {
    const s3 = server.s3;
    const pid = server.pid;

    const file = path.join(fileDir, 'bench.pdf');
    const t = performance.now();
    const sha256 = writeTestFile(file, FILE_BYTES);
    const writeSeconds = (performance.now() - t) / 1000;

    const token = await server.token('bench-investor', ['investor'], 'bench-org');
    const created = await jsonRequest('POST', '/v1/projects', token, BENCH_PROJECT);
    if (created.status !== 201) throw new Error(`create project answered ${created.status}: ${JSON.stringify(created.body)}`);
    const projectId = created.body.id as string;

    // The service's own client settings (part size default of createObjectStorage), from this process.
    const storage = createObjectStorage(s3);
    const partSize = (storage.client as unknown as { partSize: number }).partSize;

    console.log(
      `node ${process.version}, ${os.cpus().length} CPUs; file ${f1(mb(FILE_BYTES))} MiB (${FILE_BYTES} bytes, written in ${writeSeconds.toFixed(1)} s, sha256 ${sha256.slice(0, 16)}…); ` +
        `S3 part size ${f1(mb(partSize))} MiB; ${ROUNDS} round(s) of one API and one direct upload, alternating which goes first; load average ${os.loadavg()[0]!.toFixed(2)}`,
    );
    const start = procStatus(pid);
    console.log(`service pid ${pid}: VmRSS ${f1(mb(start.rss))} MiB, VmHWM ${f1(mb(start.hwm))} MiB after start-up and project creation`);

    const direct = async (r: number) => {
      const objectKey = `bench/direct-${r}-${randomUUID()}`;
      const m = await measure(pid, async () => {
        await storage.client.putObject(storage.bucket, objectKey, fs.createReadStream(file));
      });
      const stat = await storage.client.statObject(storage.bucket, objectKey);
      if (stat.size !== FILE_BYTES) throw new Error(`direct upload stored ${stat.size} bytes, not ${FILE_BYTES}`);
      await storage.client.removeObject(storage.bucket, objectKey);
      return m;
    };
    const api = (_r: number) =>
      measure(pid, async () => {
        const res = await uploadMultipart(`/v1/projects/${projectId}/documents`, token, file, FILE_BYTES, { component: 'machinery_list', sha256 });
        if (res.status !== 201) throw new Error(`API upload answered ${res.status}: ${JSON.stringify(res.body)}`);
        if (res.body.sha256 !== sha256 || res.body.size !== FILE_BYTES) {
          throw new Error(`API upload recorded sha256 ${res.body.sha256} size ${res.body.size}, expected ${sha256} ${FILE_BYTES}`);
        }
      });
    // Odd rounds API first (round 1 thus measures the service's memory before any upload ever ran
    // in it), even rounds direct first.
    const rounds: Array<{ order: string; direct: Measured; api: Measured }> = [];
    for (let r = 1; r <= ROUNDS; r++) {
      if (r % 2 === 1) {
        const a = await api(r);
        rounds.push({ order: 'API, direct', api: a, direct: await direct(r) });
      } else {
        const d = await direct(r);
        rounds.push({ order: 'direct, API', direct: d, api: await api(r) });
      }
    }
    const end = procStatus(pid);

    // --- report ---
    const rate = (m: Measured) => mb(FILE_BYTES) / m.seconds;
    const growth = (m: Measured) => mb(m.rssPeak - m.rssBefore);
    const cpu = (m: Measured) => `${m.seconds.toFixed(1)} s: ${m.cpu.service.toFixed(1)} / ${m.cpu.bench.toFixed(1)}`;
    const header = ['round', 'order', 'direct MiB/s', 'API MiB/s', 'API/direct', 'RSS before', 'RSS peak', 'growth', 'samples', 'direct growth', 'API wall, CPU s svc / bench', 'direct wall, CPU s svc / bench'];
    const rows = rounds.map((x, i) => [
      String(i + 1),
      x.order,
      f1(rate(x.direct)),
      f1(rate(x.api)),
      (rate(x.api) / rate(x.direct)).toFixed(3),
      f1(mb(x.api.rssBefore)),
      f1(mb(x.api.rssPeak)),
      f1(growth(x.api)),
      String(x.api.samples),
      f1(growth(x.direct)),
      cpu(x.api),
      cpu(x.direct),
    ]);
    const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c]!.length)));
    const line = (cells: string[]) => cells.map((cell, c) => (c === 1 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
    console.log('');
    console.log(line(header));
    for (const row of rows) console.log(line(row));
    console.log(
      'RSS before / peak / growth: the service process (VmRSS, MiB) just before and during the API upload; "direct growth": the same during the direct\n' +
        'upload, which does not pass through the service (the S3 server is its own process). CPU: seconds used by the service process / by this benchmark process.',
    );

    const ratio = median(rounds.map((x) => rate(x.api) / rate(x.direct)));
    const maxGrowth = Math.max(...rounds.map((x) => growth(x.api)));
    const ratioOk = ratio >= RATIO_TARGET;
    const growthOk = maxGrowth < GROWTH_TARGET_MB;
    console.log('');
    console.log(`file size        ${f1(mb(FILE_BYTES))} MiB`);
    console.log(
      `throughput       API ${f1(median(rounds.map((x) => rate(x.api))))} MiB/s, direct ${f1(median(rounds.map((x) => rate(x.direct))))} MiB/s (medians); ` +
        `ratio API/direct ${ratio.toFixed(3)}${ROUNDS > 1 ? ' (median of rounds)' : ''}, target ≥ ${RATIO_TARGET}: ${ratioOk ? 'PASS' : 'FAIL'}`,
    );
    console.log(`service memory   peak growth ${f1(maxGrowth)} MiB during the API upload${ROUNDS > 1 ? ' (largest of rounds)' : ''}, target < ${GROWTH_TARGET_MB} MiB: ${growthOk ? 'PASS' : 'FAIL'}`);
    console.log(`service VmHWM    ${f1(mb(end.hwm))} MiB at end (${f1(mb(start.hwm))} MiB before the uploads); VmRSS at end ${f1(mb(end.rss))} MiB`);
    process.exitCode = ratioOk && growthOk ? 0 : 1;
  } finally {
    await server.stop();
    await fsp.rm(fileDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
