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
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { BENCH_PROJECT, jsonRequest, startBenchServer } from './bench-support';

const { values } = parseArgs({ options: { clients: { type: 'string', default: '32' }, seconds: { type: 'string', default: '10' }, warmup: { type: 'string', default: '3' } } });
const CLIENTS = Number(values.clients);
const SECONDS = Number(values.seconds);
const WARMUP = Number(values.warmup);

const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

type Wire = { statements: number; roundTrips: number };

async function drive(name: string, makeClient: (i: number) => Promise<() => Promise<void>>, wire: () => Promise<Wire>) {
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
  const w0 = await wire();
  const t0 = performance.now();
  const count = await run(SECONDS, latencies);
  const elapsed = (performance.now() - t0) / 1000;
  const w1 = await wire();
  latencies.sort((a, b) => a - b);
  const result = {
    name,
    requests: count,
    perSecond: count / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    statements: (w1.statements - w0.statements) / count,
    roundTrips: (w1.roundTrips - w0.roundTrips) / count,
  };
  console.log(
    `${name.padEnd(10)} ${result.perSecond.toFixed(0).padStart(6)} req/s   p50 ${result.p50.toFixed(1).padStart(6)} ms   p99 ${result.p99.toFixed(1).padStart(6)} ms   ` +
      `${result.statements.toFixed(2)} statements, ${result.roundTrips.toFixed(2)} round trips per request   (${count} requests, ${CLIENTS} clients, ${SECONDS} s)`,
  );
  return result;
}

const declaration = (i: number) => ({
  technologies: [{ name: 'Dry-process rotary kiln', origin: 'Germany', description: `revision ${i}` }],
  machinery: [{ name: 'Roller mill', hsCode: '8474.20', manufactureYear: 2024, condition: 'new', standards: ['QCVN 05:2023/BTNMT'] }],
});

async function main() {
  const server = await startBenchServer('commands', { DATABASE_POOL_MAX: String(Math.max(10, CLIENTS)) });
  const request = (method: string, url: string, token: string, body: unknown, headers?: Record<string, string>) =>
    jsonRequest(agent, server.port, method, url, token, body, headers);
  const token = server.token;
  const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');
  try {
    console.log(`node ${process.version}, ${os.cpus().length} CPUs, ${CLIENTS} clients, ${SECONDS} s per phase after ${WARMUP} s warm-up; load average ${load()}`);
    const wireToken = await token('bench-wire', ['auditor']);
    const wire = async (): Promise<Wire> => {
      const res = await request('GET', '/bench/wire', wireToken, undefined);
      if (res.status !== 200) throw new Error(`/bench/wire answered ${res.status}`);
      return res.body as Wire;
    };
    const baseline = await drive('baseline', async (i) => {
      const t = await token(`bench-${i}`, ['investor'], `org-${i}`);
      return async () => {
        const res = await request('POST', '/bench/baseline', t, { n: i });
        if (res.status !== 200) throw new Error(`baseline answered ${res.status}`);
      };
    }, wire);
    const commands = await drive('commands', async (i) => {
      const t = await token(`investor-${i}`, ['investor'], `org-${i}`);
      const created = await request('POST', '/v1/projects', t, BENCH_PROJECT);
      if (created.status !== 201) throw new Error(`create answered ${created.status}: ${JSON.stringify(created.body)}`);
      let revision = created.body.revision as number;
      let n = 0;
      return async () => {
        const res = await request('PUT', `/v1/projects/${created.body.id}/technology`, t, declaration(n++), { 'if-match': `"${revision}"`, 'idempotency-key': randomUUID() });
        if (res.status !== 200) throw new Error(`command answered ${res.status}: ${JSON.stringify(res.body)}`);
        revision = res.body.revision;
      };
    }, wire);
    const ratio = commands.perSecond / baseline.perSecond;
    console.log(`ratio      ${ratio.toFixed(2)} (commands/s ÷ baseline/s), aim ≥ 0.5: ${ratio >= 0.5 ? 'ok' : 'MISSED'}`);
    console.log(`p99        ${commands.p99.toFixed(1)} ms with ${CLIENTS} clients, aim < 50 ms: ${commands.p99 < 50 ? 'ok' : 'MISSED'}`);
    console.log(`wire       a command: ${commands.statements.toFixed(2)} statements in ${commands.roundTrips.toFixed(2)} round trips; the baseline: ${baseline.statements.toFixed(2)} in ${baseline.roundTrips.toFixed(2)}`);
    console.log(`load       average ${load()} (1, 5, 15 min; ${os.cpus().length} CPUs)`);
  } finally {
    agent.destroy();
    await server.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
