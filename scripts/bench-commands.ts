/**
 * `npm run bench:commands [-- --clients 32 --seconds 10]`
 *
 * Starts the service (scripts/bench-server.ts: the real app on an embedded Postgres with its
 * default, durable settings) in a child process, then drives it over HTTP from concurrent
 * clients with keep-alive connections:
 *  1. baseline: POST /bench/baseline, one INSERT + commit through the same stack;
 *  2. commands: PUT /v1/projects/:id/technology, a full workflow command (If-Match, an
 *     Idempotency-Key, conditional revision update, audit append to the hash chain, domain row),
 *     each client on its own project.
 * Prints requests/s, p50 and p99 latency for both, and the ratio commands/baseline.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import { loadOrCreateLocalSigningKey } from '../src/auth/local-signing-key';

const { values } = parseArgs({ options: { clients: { type: 'string', default: '32' }, seconds: { type: 'string', default: '10' }, warmup: { type: 'string', default: '3' } } });
const CLIENTS = Number(values.clients);
const SECONDS = Number(values.seconds);
const WARMUP = Number(values.warmup);
const ROOT = path.resolve(import.meta.dirname, '..');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
let PORT = 0;
function request(method: string, url: string, token: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: PORT, method, path: url, agent, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString() || 'null') }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function drive(name: string, makeClient: (i: number) => Promise<() => Promise<void>>) {
  const clients = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => makeClient(i)));
  const run = async (seconds: number, latencies: number[] | null) => {
    const end = performance.now() + seconds * 1000;
    let count = 0;
    await Promise.all(
      clients.map(async (fire) => {
        while (performance.now() < end) {
          const t = performance.now();
          await fire();
          latencies?.push(performance.now() - t);
          count++;
        }
      }),
    );
    return count;
  };
  await run(WARMUP, null);
  const latencies: number[] = [];
  const t0 = performance.now();
  const count = await run(SECONDS, latencies);
  const elapsed = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const result = { name, requests: count, perSecond: count / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
  console.log(`${name.padEnd(10)} ${result.perSecond.toFixed(0).padStart(6)} req/s   p50 ${result.p50.toFixed(1).padStart(6)} ms   p99 ${result.p99.toFixed(1).padStart(6)} ms   (${count} requests, ${CLIENTS} clients, ${SECONDS} s)`);
  return result;
}

const project = {
  name: 'Benchmark project',
  sector: 'cement',
  location: 'Quảng Ninh',
  capitalVnd: 1_000_000_000,
  stage: 'investment_policy',
  group: 'C',
  capitalSource: 'private',
  decidingLevel: 'provincial_peoples_committee',
  environmentalRisk: false,
};
const declaration = (i: number) => ({
  technologies: [{ name: 'Dry-process rotary kiln', origin: 'Germany', description: `revision ${i}` }],
  machinery: [{ name: 'Roller mill', hsCode: '8474.20', manufactureYear: 2024, condition: 'new', standards: ['QCVN 05:2023/BTNMT'] }],
});

async function main() {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-commands-'));
  await fs.chmod(dataDir, 0o755);
  PORT = await freePort();
  const server = spawn(process.execPath, [...(process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? []), '--import', 'tsx', 'scripts/bench-server.ts'], {
    cwd: ROOT,
    env: { ...process.env, DATA_DIR: dataDir, PORT: String(PORT), EMBEDDED_PG_PORT: String(await freePort()), RATE_LIMIT_PER_MINUTE: '10000000', DATABASE_POOL_MAX: String(Math.max(10, CLIENTS)), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    server.stdout!.on('data', (d) => String(d).includes('ready') && resolve());
    server.on('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  try {
    const key = await loadOrCreateLocalSigningKey(dataDir);
    const token = (sub: string, roles: string[], org?: string) =>
      new SignJWT({ roles, ...(org ? { org } : {}) })
        .setProtectedHeader({ alg: 'EdDSA', kid: key.kid })
        .setSubject(sub)
        .setIssuer('urn:tech-appraisal:local')
        .setAudience('tech-appraisal-api')
        .setExpirationTime('1h')
        .sign(key.privateKey);

    console.log(`node ${process.version}, ${os.cpus().length} CPUs, ${CLIENTS} clients, ${SECONDS} s per phase after ${WARMUP} s warm-up`);
    const baseline = await drive('baseline', async (i) => {
      const t = await token(`bench-${i}`, ['investor'], `org-${i}`);
      return async () => {
        const res = await request('POST', '/bench/baseline', t, { n: i });
        if (res.status !== 200) throw new Error(`baseline answered ${res.status}`);
      };
    });
    const commands = await drive('commands', async (i) => {
      const t = await token(`investor-${i}`, ['investor'], `org-${i}`);
      const created = await request('POST', '/v1/projects', t, project);
      if (created.status !== 201) throw new Error(`create answered ${created.status}: ${JSON.stringify(created.body)}`);
      let revision = created.body.revision as number;
      let n = 0;
      return async () => {
        const res = await request('PUT', `/v1/projects/${created.body.id}/technology`, t, declaration(n++), { 'if-match': `"${revision}"`, 'idempotency-key': randomUUID() });
        if (res.status !== 200) throw new Error(`command answered ${res.status}: ${JSON.stringify(res.body)}`);
        revision = res.body.revision;
      };
    });
    console.log(`ratio      ${(commands.perSecond / baseline.perSecond).toFixed(2)} (commands/s ÷ baseline/s)`);
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.on('exit', r));
    agent.destroy();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
