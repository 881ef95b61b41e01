/**
 * `npm run bench:audit [-- --sizes 100000,1000000 | --events N] [--projects P --samples 300 --keep]`
 *
 * Without --events it runs once per size in --sizes (default 100,000 and 1,000,000 events, each in
 * its own process and cluster) and then prints the figures side by side with their aims, so what
 * grows with the log and what does not is visible at a glance.
 *
 * The auditor's reads at scale. Starts its own embedded Postgres (a throw-away cluster under a
 * temporary folder: fsync off, since only reads are measured), migrates it, and seeds a large,
 * VALID audit log fast: events are sealed in Node with sealEvent on per-project chains (plus the
 * 'system' chain), streamed in with COPY, and the chain heads are set on the project rows and in
 * audit_chain_heads exactly as the write path leaves them. Then, with the real app (buildApp,
 * app.inject, and a listening server for the export):
 *
 *   - project history, GET /v1/projects/:id/history on random projects: p50 / p95;
 *   - filtered search, GET /v1/audit/events?actor=…&action=… (and other filters): p50 / p95;
 *   - verification, GET /v1/audit/verify: events/s, and where the time goes (SQL fetch vs hashing);
 *   - NDJSON export of the whole log over HTTP: events/s and the server's peak RSS growth;
 *   - as-of at random instants (must replay consistently), and the coverage report over the
 *     whole log (must find no violation).
 *
 *   - growth: 10,000 new events on 1,000 chains after the checkpoint, then routine (incremental)
 *     verification, a checkpoint of the 1,000 changed chains, and inclusion proofs;
 *
 * Targets: history p95 < 10 ms, search p95 < 100 ms, full verify ≥ 150,000 events/s, incremental
 * verify of 10,000 new events < 1 s, checkpoint after 1,000 changed chains < 100 ms.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Writable } from 'node:stream';
import pino from 'pino';
import postgres from 'postgres';
import { SignJWT } from 'jose';
import { loadConfig } from '../src/config';
import { startRuntime } from '../src/infra/runtime';
import { startEmbeddedPostgres } from '../src/infra/embedded-postgres';
import { buildApp } from '../src/app';
import { loadOrCreateLocalSigningKey, LOCAL_JWT_ALG } from '../src/auth/local-signing-key';
import { genesisHash, sealEvent, type AuditEventRecord } from '../src/modules/audit/audit-hash';
import { createChainVerifier } from '../src/modules/audit/chain-verifier';
import type { AuditRow } from '../src/modules/audit/audit-reader';
import { WALK_COLUMNS_TEXT, walkRowToRecord } from '../src/modules/audit/audit-query';
import { createCheckpointService } from '../src/modules/audit/checkpoint-service';
import { verifyAuditLog } from '../src/modules/audit/chain-audit';
import type { Role } from '../src/auth/roles';

const { values } = parseArgs({
  options: {
    events: { type: 'string' },
    sizes: { type: 'string', default: '100000,1000000' },
    summary: { type: 'string' },
    projects: { type: 'string', default: '0' },
    samples: { type: 'string', default: '300' },
    keep: { type: 'boolean', default: false },
  },
});
/** The address the app listens on for the exports (measureExport), once listening. */
let listening: string | undefined;
/** Figures compared across sizes: [key, label, aim, digits]. */
const SUMMARY_FIGURES: Array<[string, string, string, number]> = [
  ['checkpointFirstMs', 'first (full) version-2 checkpoint, ms', 'once', 0],
  ['incrementalVerifyMs', 'routine verify, 10,000 new events on 1,000 chains, ms', '< 1,000', 0],
  ['incrementalVerifyChecked', '  events it walked', '10,000', 0],
  ['checkpointChangedMs', 'checkpoint after 1,000 changed chains, ms', '< 100', 1],
  ['incrementalVerifyQuietMs', 'routine verify, nothing new since the checkpoint, ms', '', 0],
  ['proofP95', 'history with inclusion proof, p95 ms', '< 10', 2],
  ['proofPathLength', '  audit path length (hashes)', 'log2(chains)', 0],
  ['fullVerifyRate', 'full verify (?full=true), events/s', '≥ 150,000', 0],
  ['historyP95', 'project history, p95 ms', '< 10', 2],
  ['searchDecisionPageP95', 'search action (decision.recorded), page 100, p95 ms', '< 100', 2],
  ['searchActionWindowP95', 'search action + 7-day window, p95 ms', '< 100', 2],
  ['searchOpenLateP95', 'search open window starting late, p95 ms', '< 100', 2],
  ['searchDayP95', 'search 1-day window, p95 ms', '< 100', 2],
  ['exportRssGrowthMb', 'NDJSON export, server RSS growth, MB', '< 64', 0],
  ['exportHeapGrowthMb', '  heap + external growth, MB', '', 0],
  ['csvRssGrowthMb', 'CSV export, server RSS growth, MB', '< 64', 0],
  ['coverageMs', 'coverage report, whole log, ms', 'seconds', 0],
];
if (values.events === undefined) {
  // Parent: one child per size, then the comparison.
  const sizes = values.sizes.split(',').map((x) => Number(x.trim()));
  if (!sizes.every((n) => Number.isSafeInteger(n) && n > 0)) {
    process.stderr.write('usage: --sizes N1,N2,… (positive integers)\n');
    process.exit(2);
  }
  const tmpDir = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-audit-sizes-'));
  const summaries: Array<Record<string, number>> = [];
  for (const n of sizes) {
    const file = path.join(tmpDir, `${n}.json`);
    const args = ['--expose-gc', '--import', 'tsx', process.argv[1]!, '--events', String(n), '--summary', file, '--samples', values.samples];
    if (values.projects !== '0') args.push('--projects', values.projects);
    const code = await new Promise<number>((resolve) => spawn(process.execPath, args, { stdio: 'inherit' }).once('exit', (c) => resolve(c ?? 1)));
    if (code !== 0) process.exit(code);
    summaries.push(JSON.parse(await fs.readFile(file, 'utf8')));
    process.stdout.write('\n');
  }
  await fs.rm(tmpDir, { recursive: true, force: true });
  const f = (n: number | undefined, d = 1) => (n === undefined ? '–' : n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }));
  process.stdout.write(`growth curves — ${sizes.map((n) => n.toLocaleString('en-US')).join(' vs ')} events; load average now ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (${os.cpus().length} CPUs)\n`);
  process.stdout.write(`| figure | ${sizes.map((n) => `${n.toLocaleString('en-US')} events`).join(' | ')} | aim |\n|---|${sizes.map(() => '---:').join('|')}|---|\n`);
  for (const [key, label, aim, digits] of SUMMARY_FIGURES) {
    process.stdout.write(`| ${label} | ${summaries.map((x) => f(x[key], digits)).join(' | ')} | ${aim} |\n`);
  }
  process.exit(0);
}
const EVENTS = Number(values.events);
// A project's life is about 14 events on average: by default, enough projects to fill the log.
const PROJECTS = Number(values.projects) || Math.ceil(Number(values.events) / 14);
const SAMPLES = Number(values.samples);
if (![EVENTS, PROJECTS, SAMPLES].every((n) => Number.isSafeInteger(n) && n > 0) || EVENTS < PROJECTS) {
  process.stderr.write('usage: npm run bench:audit [-- --events N --projects P --samples S --keep]  (N ≥ P > 0)\n');
  process.exit(2);
}

const say = (s: string) => process.stdout.write(s + '\n');
const ms = (t0: number) => performance.now() - t0;
const fmt = (n: number, digits = 1) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
/** Deterministic PRNG (mulberry32): the same log for the same arguments. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = rng(20261122);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;

// ---------------------------------------------------------------------------------------------
// The population
// ---------------------------------------------------------------------------------------------
const ORGS = Array.from({ length: Math.max(1, Math.floor(PROJECTS / 10)) }, (_, i) => `org-${i}`);
const CLERKS = Array.from({ length: 20 }, (_, i) => `clerk-${i}`);
const APPRAISERS = Array.from({ length: 200 }, (_, i) => `appraiser-${i}`);
const APPROVERS = Array.from({ length: 10 }, (_, i) => `approver-${i}`);

interface Actor {
  sub: string;
  roles: string[];
  org: string | null;
}
type Step = { action: string; from: string; to: string; actor: (investor: Actor) => Actor; payload?: Record<string, unknown> };
const clerk = (): Actor => ({ sub: pick(CLERKS), roles: ['clerk'], org: 'desk' });
/**
 * A project's life as the service writes it: every event starts in the state the previous one
 * ended in, so the log replays through the machine and the coverage report finds no violation.
 * Projects stop at a random point (some are still in progress when the log ends).
 */
function lifeOfAProject(): { steps: Step[]; appraiser: string; approver: string; outcome: 'approved' | 'rejected' } {
  const appraiser = pick(APPRAISERS);
  const approver = pick(APPROVERS);
  const outcome = random() < 0.85 ? 'approved' : 'rejected';
  const inv = (i: Actor) => i;
  const steps: Step[] = [];
  const upload = (state: string) => steps.push({ action: 'document.uploaded', from: state, to: state, actor: inv });
  for (let i = 0, n = 4 + Math.floor(random() * 5); i < n; i++) upload('draft');
  steps.push({ action: 'technology.declared', from: 'draft', to: 'draft', actor: inv });
  steps.push({ action: 'project.submitted', from: 'draft', to: 'screening', actor: inv });
  steps.push({ action: 'screening.completed', from: 'screening', to: 'completeness_review', actor: inv });
  if (random() < 0.3) {
    steps.push({ action: 'supplement.requested', from: 'completeness_review', to: 'awaiting_supplement', actor: clerk });
    upload('awaiting_supplement');
    steps.push({ action: 'project.resubmitted', from: 'awaiting_supplement', to: 'screening', actor: inv });
    steps.push({ action: 'screening.completed', from: 'screening', to: 'completeness_review', actor: inv });
  }
  steps.push({ action: 'completeness.confirmed', from: 'completeness_review', to: 'under_appraisal', actor: clerk });
  steps.push({ action: 'appraisers.assigned', from: 'under_appraisal', to: 'under_appraisal', actor: clerk, payload: { appraisers: [appraiser] } });
  if (random() < 0.1) steps.push({ action: 'access.denied', from: 'under_appraisal', to: 'under_appraisal', actor: () => ({ sub: `inv-other`, roles: ['investor'], org: 'other' }) });
  const byAppraiser = () => ({ sub: appraiser, roles: ['appraiser'], org: 'dost' });
  steps.push({ action: 'opinion.recorded', from: 'under_appraisal', to: 'appraised', actor: byAppraiser });
  steps.push({ action: 'appraisal.concluded', from: 'appraised', to: 'appraised', actor: byAppraiser });
  steps.push({ action: 'decision.recorded', from: 'appraised', to: outcome, actor: () => ({ sub: approver, roles: ['approver'], org: 'ppc' }), payload: { outcome } });
  // 80% of projects run their whole course; the others stop somewhere on the way.
  const keep = random() < 0.8 ? steps.length : 1 + Math.floor(random() * (steps.length - 1));
  return { steps: steps.slice(0, keep), appraiser, approver, outcome };
}

interface Project {
  id: string;
  code: string;
  investor: Actor;
  chainSeq: number;
  head: string;
  life: ReturnType<typeof lifeOfAProject>;
  /** Steps emitted so far (after 'project.created'). */
  done: number;
  state: string;
  times: Record<string, string>;
}

// ---------------------------------------------------------------------------------------------
// Start a throw-away Postgres, migrate it, build the app
// ---------------------------------------------------------------------------------------------
const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-audit-'));
await fs.chmod(dir, 0o755); // reachable by the postgres user when run as root
const pgHandle = await startEmbeddedPostgres({
  dir: path.join(dir, 'postgres'),
  port: await freePort(),
  postgresFlags: ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_wal_size=8GB', '-c', 'shared_buffers=512MB'],
});
const cleanup = async () => {
  await pgHandle.stop().catch(() => {});
  if (!values.keep) await fs.rm(dir, { recursive: true, force: true });
};
process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));
try {
  await run();
} finally {
  await cleanup();
}

async function run(): Promise<void> {
  const loadAtStart = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  const admin = postgres(pgHandle.adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe('create database bench');
  await admin.end();
  const config = loadConfig({
    DATA_DIR: path.join(dir, 'data'),
    DATABASE_URL: pgHandle.urlFor('bench'),
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_MINUTE: '10000000',
    EMBEDDED_S3_PORT: '0',
  });
  const logger = pino({ level: 'warn' });
  const runtime = await startRuntime(config, logger);
  const sql = postgres(pgHandle.urlFor('bench'), { max: 4, onnotice: () => {} });
  try {
    say(`bench:audit — ${fmt(EVENTS, 0)} events over ${fmt(PROJECTS, 0)} projects (+ system chain); node ${process.version}, ${os.cpus().length} CPUs`);
    const seeded = await seed(sql);
    const checkpoints = createCheckpointService({ db: runtime.database.db, keyFile: path.join(config.dataDir, 'keys', 'audit-checkpoint-ed25519.pem'), clock: () => new Date() });
    let t0 = performance.now();
    const cp = await checkpoints.checkpoint('manual');
    const checkpointFirstMs = ms(t0);
    say(`first version-2 checkpoint (every one of ${fmt(cp!.chainCount, 0)} heads is new: the tree starts) signed and stored in ${fmt(checkpointFirstMs, 0)} ms`);

    const app = await buildApp({ config, database: runtime.database, storage: runtime.storage, checkpoints });
    await app.ready();
    const key = await loadOrCreateLocalSigningKey(config.dataDir);
    const token = (sub: string, roles: Role[]) =>
      new SignJWT({ roles }).setProtectedHeader({ alg: LOCAL_JWT_ALG, kid: key.kid }).setSubject(sub).setIssuer(config.jwt.issuer).setAudience(config.jwt.audience).setIssuedAt().setExpirationTime('2h').sign(key.privateKey);
    const auditorToken = await token('audrey', ['auditor']);
    const get = async (url: string) => {
      const t = performance.now();
      const res = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${auditorToken}` } });
      const elapsed = ms(t);
      if (res.statusCode !== 200) throw new Error(`${url} answered ${res.statusCode}: ${res.body.slice(0, 300)}`);
      return { elapsed, body: res.body };
    };
    const timeMany = async (name: string, urls: () => string, check?: (body: string) => void) => {
      for (let i = 0; i < 20; i++) await get(urls()); // warm-up: plans, caches, JIT
      const times: number[] = [];
      for (let i = 0; i < SAMPLES; i++) {
        const r = await get(urls());
        if (i === 0) check?.(r.body);
        times.push(r.elapsed);
      }
      times.sort((a, b) => a - b);
      return { name, p50: percentile(times, 50), p95: percentile(times, 95), max: times.at(-1)! };
    };

    // --- latency ---------------------------------------------------------------------------
    const rows: Array<{ name: string; p50: number; p95: number; max: number; target?: number }> = [];
    rows.push({
      ...(await timeMany('project history (GET /v1/projects/:id/history)', () => `/v1/projects/${pick(seeded.projects).id}/history`, (b) => {
        if (!(JSON.parse(b).events.length > 0)) throw new Error('empty history');
      })),
      target: 10,
    });
    rows.push({
      ...(await timeMany('search actor+action (appraiser, opinion.recorded)', () => `/v1/audit/events?actor=${pick(APPRAISERS)}&action=opinion.recorded`)),
      target: 100,
    });
    rows.push({ ...(await timeMany('search actor+action (clerk, supplement.requested)', () => `/v1/audit/events?actor=${pick(CLERKS)}&action=supplement.requested`)), target: 100 });
    rows.push({ ...(await timeMany('search actor (investor)', () => `/v1/audit/events?actor=${pick(seeded.projects).investor.sub}`)), target: 100 });
    rows.push({ ...(await timeMany('search action (decision.recorded), page 100', () => `/v1/audit/events?action=decision.recorded&after=${Math.floor(random() * seeded.lastSeq)}`)), target: 100 });
    rows.push({ ...(await timeMany('search projectId', () => `/v1/audit/events?projectId=${pick(seeded.projects).id}`)), target: 100 });
    const day = 86_400_000;
    rows.push({
      ...(await timeMany('search time window (1 day)', () => {
        const from = seeded.t0 + Math.floor(random() * (seeded.tEnd - seeded.t0 - day));
        return `/v1/audit/events?from=${new Date(from).toISOString()}&to=${new Date(from + day).toISOString()}`;
      })),
      target: 100,
    });
    rows.push({
      ...(await timeMany('search action+time window (7 days)', () => {
        const from = seeded.t0 + Math.floor(random() * (seeded.tEnd - seeded.t0 - 7 * day));
        return `/v1/audit/events?action=appraisal.concluded&from=${new Date(from).toISOString()}&to=${new Date(from + 7 * day).toISOString()}`;
      })),
      target: 100,
    });
    rows.push({
      ...(await timeMany('search open window starting late (first page)', () => {
        const from = seeded.t0 + (0.5 + random() * 0.45) * (seeded.tEnd - seeded.t0);
        return `/v1/audit/events?from=${new Date(from).toISOString()}`;
      })),
      target: 100,
    });
    rows.push({ ...(await timeMany('search deep cursor (after=random seq)', () => `/v1/audit/events?after=${Math.floor(random() * seeded.lastSeq)}`)), target: 100 });
    rows.push({
      ...(await timeMany(
        'as-of (GET /v1/projects/:id/as-of, random instant)',
        () => `/v1/projects/${pick(seeded.projects).id}/as-of?at=${new Date(seeded.t0 + random() * (seeded.tEnd - seeded.t0)).toISOString()}`,
        (b) => {
          if (JSON.parse(b).consistent !== true) throw new Error(`as-of is inconsistent on seeded data: ${b.slice(0, 300)}`);
        },
      )),
      target: 100,
    });

    // --- coverage report over the whole log ----------------------------------------------------
    const coverageUrl = `/v1/reports/coverage?from=${new Date(seeded.t0).toISOString()}&to=${new Date(seeded.tEnd + 1000).toISOString()}`;
    const coverageRuns: number[] = [];
    let coverage: { submitted: number; decided: number; approved: number; rejected: number; appraised: number; coveragePercent: number; violations: unknown[] } | undefined;
    for (let i = 0; i < 2; i++) {
      const r = await get(coverageUrl);
      coverageRuns.push(r.elapsed);
      coverage = JSON.parse(r.body);
    }

    // --- verification -----------------------------------------------------------------------
    const verifyRuns: Array<{ checked: number; ms: number; ok: boolean }> = [];
    for (let i = 0; i < 2; i++) {
      const r = await get('/v1/audit/verify?full=true');
      const body = JSON.parse(r.body);
      if (!body.ok) throw new Error(`the seeded log does not verify: ${JSON.stringify(body.problems.slice(0, 3))}`);
      verifyRuns.push({ checked: body.checked, ms: r.elapsed, ok: body.ok });
    }
    const bestVerify = verifyRuns.reduce((a, b) => (b.ms < a.ms ? b : a));
    // The same verification in one thread, and the proof that splitting changes nothing.
    const { key: publicKey } = await checkpoints.publicKey();
    t0 = performance.now();
    const single = await verifyAuditLog(runtime.database.sql, { publicKey, parallelism: 1 });
    const singleMs = ms(t0);
    const parallel = await verifyAuditLog(runtime.database.sql, { publicKey });
    if (JSON.stringify(single) !== JSON.stringify(parallel)) throw new Error('parallel and single-threaded verification disagree');
    const breakdown = await verifyBreakdown(sql);

    // --- export over HTTP -------------------------------------------------------------------
    const exportResult = await measureExport(app, auditorToken, 'ndjson');
    const csvResult = await measureExport(app, auditorToken, 'csv');

    // --- growth: what routine work costs after 10,000 new events on 1,000 chains ------------------
    const appended = await appendEvents(sql, seeded, 1000, 10);
    const incremental = JSON.parse((await get('/v1/audit/verify')).body);
    const incRuns: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await get('/v1/audit/verify');
      const body = JSON.parse(r.body);
      if (!body.ok || body.mode !== 'incremental') throw new Error(`incremental verification failed: ${r.body.slice(0, 400)}`);
      incRuns.push(r.elapsed);
    }
    t0 = performance.now();
    const changedCp = await checkpoints.checkpoint('manual');
    const checkpointChangedMs = ms(t0);
    if (changedCp!.heads.length !== 1000) throw new Error(`the checkpoint stored ${changedCp!.heads.length} heads, expected the 1,000 changed`);
    // A second round on other chains, so the figure is not only the first after a cold cache.
    await appendEvents(sql, seeded, 1000, 10);
    t0 = performance.now();
    await checkpoints.checkpoint('manual');
    const checkpointChangedMs2 = ms(t0);
    const quietRuns: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await get('/v1/audit/verify');
      if (!JSON.parse(r.body).ok) throw new Error('verification after the checkpoint failed');
      quietRuns.push(r.elapsed);
    }
    let pathLength = 0;
    const proof = await timeMany('history with inclusion proof (?proof=true)', () => `/v1/projects/${pick(seeded.projects).id}/history?proof=true`, (b) => {
      const doc = JSON.parse(b);
      if (!doc.proof) throw new Error('no inclusion proof');
      pathLength = doc.proof.auditPath.length;
    });
    const incBest = Math.min(...incRuns);
    const cpChangedBest = Math.min(checkpointChangedMs, checkpointChangedMs2);

    await app.close();

    // --- report -------------------------------------------------------------------------------
    say('');
    say('| measurement | p50 ms | p95 ms | max ms | target p95 | |');
    say('|---|---:|---:|---:|---:|---|');
    for (const r of rows) {
      say(`| ${r.name} | ${fmt(r.p50, 2)} | ${fmt(r.p95, 2)} | ${fmt(r.max, 1)} | < ${r.target} ms | ${r.p95 < r.target! ? 'ok' : 'MISSED'} |`);
    }
    say('');
    say('| throughput | value | target | |');
    say('|---|---:|---:|---|');
    const vps = bestVerify.checked / (bestVerify.ms / 1000);
    say(`| full verify (GET /v1/audit/verify?full=true, ${fmt(bestVerify.checked, 0)} events, ${Math.min(os.availableParallelism(), 4)} worker threads, best of ${verifyRuns.length}: ${verifyRuns.map((r) => fmt(r.ms / 1000, 2) + ' s').join(', ')}) | ${fmt(vps, 0)} events/s | ≥ 150,000 | ${vps >= 150_000 ? 'ok' : 'MISSED'} |`);
    say(`| verify in one thread (same report, checked identical) | ${fmt(single.checked / (singleMs / 1000), 0)} events/s (${fmt(singleMs / 1000, 2)} s) | | |`);
    say(`|   one-thread walk: cursor fetch + row decoding | ${fmt(breakdown.fetchRate, 0)} events/s (${fmt(breakdown.fetchMs / 1000, 2)} s) | | |`);
    say(`|   one-thread walk: hashing + chain checks (verifier.push) | ${fmt(breakdown.hashRate, 0)} events/s (${fmt(breakdown.hashMs / 1000, 2)} s) | | |`);
    say(`| NDJSON export over HTTP (whole log, ${fmt(exportResult.mb, 0)} MB) | ${fmt(exportResult.eventsPerSecond, 0)} events/s, ${fmt(exportResult.mbPerSecond, 1)} MB/s | | |`);
    say(`|   server RSS during the export | +${fmt(exportResult.rssGrowthMb, 0)} MB over ${fmt(exportResult.rssBeforeMb, 0)} MB | < 64 MB | ${exportResult.rssGrowthMb < 64 ? 'ok' : 'MISSED'} |`);
    say(`|   server heap + external during the export (peak growth) | +${fmt(exportResult.heapGrowthMb, 0)} MB | | |`);
    say(`| CSV export over HTTP (whole log, ${fmt(csvResult.mb, 0)} MB) | ${fmt(csvResult.eventsPerSecond, 0)} events/s, ${fmt(csvResult.mbPerSecond, 1)} MB/s | | |`);
    say(`|   server RSS during the CSV export | +${fmt(csvResult.rssGrowthMb, 0)} MB over ${fmt(csvResult.rssBeforeMb, 0)} MB; heap + external +${fmt(csvResult.heapGrowthMb, 0)} MB | < 64 MB | ${csvResult.rssGrowthMb < 64 ? 'ok' : 'MISSED'} |`);
    say(`| routine verify (GET /v1/audit/verify, incremental from the checkpoint): ${fmt(incremental.checked, 0)} new events on ${appended.chains} chains, best of ${incRuns.length}: ${incRuns.map((x) => fmt(x, 0) + ' ms').join(', ')} | ${fmt(incBest, 0)} ms | < 1,000 ms | ${incBest < 1000 ? 'ok' : 'MISSED'} |`);
    say(`| checkpoint after 1,000 changed chains (stores ${changedCp!.heads.length} heads; two rounds: ${fmt(checkpointChangedMs, 1)} ms, ${fmt(checkpointChangedMs2, 1)} ms) | ${fmt(cpChangedBest, 1)} ms | < 100 ms | ${cpChangedBest < 100 ? 'ok' : 'MISSED'} |`);
    say(`| routine verify with nothing new since the checkpoint (${quietRuns.map((x) => fmt(x, 0) + ' ms').join(', ')}) | ${fmt(Math.min(...quietRuns), 0)} ms | | |`);
    say(`| history with inclusion proof (audit path of ${pathLength} hashes), p50 / p95 | ${fmt(proof.p50, 2)} / ${fmt(proof.p95, 2)} ms | < 10 ms | ${proof.p95 < 10 ? 'ok' : 'MISSED'} |`);
    say(
      `| coverage report, whole log (${coverageRuns.map((x) => fmt(x / 1000, 2) + ' s').join(', ')}): ${fmt(coverage!.submitted, 0)} submitted, ` +
        `${fmt(coverage!.decided, 0)} decided (${fmt(coverage!.approved, 0)} approved, ${fmt(coverage!.rejected, 0)} rejected), ${fmt(coverage!.appraised, 0)} appraised, ` +
        `coverage ${coverage!.coveragePercent}% | ${coverage!.violations.length} violations | 0 violations, seconds | ${coverage!.violations.length === 0 ? 'ok' : 'MISSED'} |`,
    );
    say('');
    say(`seeding: ${seeded.summary}`);
    say(`load average at start ${loadAtStart}, at end ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (${os.cpus().length} CPUs): other work on the machine skews the figures`);
    if (values.summary) {
      const p95 = (name: string) => rows.find((r) => r.name.startsWith(name))?.p95;
      const summary: Record<string, number | undefined> = {
        checkpointFirstMs,
        incrementalVerifyMs: incBest,
        incrementalVerifyChecked: incremental.checked,
        checkpointChangedMs: cpChangedBest,
        incrementalVerifyQuietMs: Math.min(...quietRuns),
        proofP95: proof.p95,
        proofPathLength: pathLength,
        fullVerifyRate: vps,
        historyP95: p95('project history'),
        searchDecisionPageP95: p95('search action (decision.recorded)'),
        searchActionWindowP95: p95('search action+time window'),
        searchOpenLateP95: p95('search open window'),
        searchDayP95: p95('search time window (1 day)'),
        exportRssGrowthMb: exportResult.rssGrowthMb,
        exportHeapGrowthMb: exportResult.heapGrowthMb,
        csvRssGrowthMb: csvResult.rssGrowthMb,
        coverageMs: Math.min(...coverageRuns),
      };
      await fs.writeFile(values.summary, JSON.stringify(summary));
    }
  } finally {
    await sql.end({ timeout: 5 });
    await runtime.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Growth: valid new events on existing chains, as the write path would append them
// ---------------------------------------------------------------------------------------------

async function appendEvents(sql: postgres.Sql, seeded: { projects: Project[]; tEnd: number }, chains: number, perChain: number) {
  const chosen = new Set<string>();
  while (chosen.size < Math.min(chains, seeded.projects.length)) chosen.add(pick(seeded.projects).id);
  const ids = [...chosen];
  const heads = await sql<Array<{ id: string; chain_seq: number; chain_head: string }>>`select id::text as id, chain_seq, chain_head from projects where id = any(${ids}::uuid[])`;
  const state = new Map(heads.map((h) => [h.id, { chainSeq: h.chain_seq, head: h.chain_head }]));
  const seqs = await sql<Array<{ seq: string }>>`select nextval('audit_events_seq_seq') as seq from generate_series(1, ${ids.length * perChain})`;
  const rows: Record<string, unknown>[] = [];
  let k = 0;
  for (let round = 0; round < perChain; round++) {
    for (const id of ids) {
      const s = state.get(id)!;
      const seq = Number(seqs[k++]!.seq);
      const e = sealEvent(
        {
          seq,
          chainId: id,
          chainSeq: s.chainSeq + 1,
          occurredAt: new Date(seeded.tEnd + seq * 1000).toISOString(),
          actor: { sub: 'bench-clerk', roles: ['clerk'], org: 'desk' },
          action: 'bench.note',
          projectId: id,
          fromState: null,
          toState: null,
          revision: null,
          machine: null,
          requestId: randomUUID(),
          idempotencyKey: null,
          payload: { round },
        },
        s.head,
      );
      s.chainSeq = e.chainSeq;
      s.head = e.rowHash;
      rows.push({
        seq: e.seq, chain_id: e.chainId, chain_seq: e.chainSeq, occurred_at: e.occurredAt, actor_sub: e.actor.sub, actor_roles: e.actor.roles, actor_org: e.actor.org,
        action: e.action, project_id: e.projectId, from_state: null, to_state: null, revision: null, machine_id: null, machine_version: null,
        request_id: e.requestId, idempotency_key: null, payload: sql.json(e.payload as never), prev_hash: e.prevHash, row_hash: e.rowHash,
      });
    }
  }
  await sql.begin(async (tx) => {
    for (let i = 0; i < rows.length; i += 1000) await tx`insert into audit_events ${tx(rows.slice(i, i + 1000) as never)}`;
    const h = [...state].map(([id, v]) => ({ id, s: v.chainSeq, h: v.head }));
    await tx`update projects p set chain_seq = h.s, chain_head = h.h
      from jsonb_to_recordset(${JSON.stringify(h)}::text::jsonb) as h(id uuid, s int, h text) where p.id = h.id`;
  });
  return { chains: ids.length, events: rows.length };
}

// ---------------------------------------------------------------------------------------------
// Seeding
// ---------------------------------------------------------------------------------------------

/** COPY text format: backslash, tab, newline and carriage return escaped; \N is NULL. */
function copyText(v: string | number | null): string {
  if (v === null) return '\\N';
  if (typeof v === 'number') return String(v);
  return /[\\\t\n\r]/.test(v) ? v.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r') : v;
}

function copyLine(e: AuditEventRecord): string {
  return (
    [
      e.seq,
      e.chainId,
      e.chainSeq,
      e.occurredAt,
      e.actor.sub,
      `{${e.actor.roles.join(',')}}`,
      e.actor.org,
      e.action,
      e.projectId,
      e.fromState,
      e.toState,
      e.revision,
      e.machine?.id ?? null,
      e.machine?.version ?? null,
      e.requestId,
      e.idempotencyKey,
      JSON.stringify(e.payload),
      e.prevHash,
      e.rowHash,
    ]
      .map(copyText)
      .join('\t') + '\n'
  );
}

function write(stream: Writable, chunk: string): Promise<void> {
  return stream.write(chunk) ? Promise.resolve() : new Promise((resolve) => stream.once('drain', resolve));
}

async function seed(sql: postgres.Sql) {
  const t0 = Date.parse('2025-06-01T00:00:00.000Z');
  const STEP_MS = 30_000; // one event every 30 s: 1M events span about a year
  let t = performance.now();

  // Projects: born in draft (the coverage trigger insists), each with its investor's organisation.
  const projects: Project[] = Array.from({ length: PROJECTS }, (_, i) => {
    const org = pick(ORGS);
    return {
      id: randomUUID(),
      code: `BN-2026-${String(i + 1).padStart(6, '0')}`,
      investor: { sub: `inv-${org}`, roles: ['investor'], org },
      chainSeq: 0,
      head: '',
      life: lifeOfAProject(),
      done: 0,
      state: 'draft',
      times: {},
    };
  });
  for (let i = 0; i < projects.length; i += 2000) {
    const batch = projects.slice(i, i + 2000).map((p) => ({
      id: p.id,
      code: p.code,
      organisation: p.investor.org,
      name: `Dự án ${p.code}`,
      sector: pick(['cement', 'steel', 'textiles', 'electronics', 'food processing']),
      location: 'Quảng Ninh',
      capital_vnd: String(1_000_000_000 + Math.floor(random() * 1e12)),
      stage: 'investment_policy',
      project_group: pick(['A', 'B', 'C']),
      capital_source: 'private',
      deciding_level: 'provincial_peoples_committee',
      environmental_risk: random() < 0.3,
      state: 'draft',
      snapshot: sql.json({ machineId: 'appraisal', machineVersion: 1, state: 'draft', context: {} }),
      machine_id: 'appraisal',
      machine_version: 1,
      created_by: p.investor.sub,
    }));
    await sql`insert into projects ${sql(batch)}`;
  }
  const projectsMs = ms(t);

  // Events, sealed on their chains in global seq order, streamed into COPY with backpressure.
  t = performance.now();
  let systemChain = { chainSeq: 0, head: genesisHash('system') };
  const writable = await sql`copy audit_events (seq, chain_id, chain_seq, occurred_at, actor_sub, actor_roles, actor_org, action, project_id,
    from_state, to_state, revision, machine_id, machine_version, request_id, idempotency_key, payload, prev_hash, row_hash) from stdin`.writable();
  const finished = new Promise<void>((resolve, reject) => {
    writable.once('finish', resolve);
    writable.once('error', reject);
  });
  let sealMs = 0;
  let chunk = '';
  // Events land on random projects, each following its own life in order; a few go to the system chain.
  const active = projects.map((_, i) => i);
  for (let seq = 1; seq <= EVENTS; seq++) {
    const s0 = performance.now();
    const occurredAt = new Date(t0 + seq * STEP_MS).toISOString();
    let record: AuditEventRecord;
    if (active.length > 0 && random() >= 0.002) {
      const slot = Math.floor(random() * active.length);
      const p = projects[active[slot]!]!;
      const created = p.chainSeq === 0;
      const step = created ? null : p.life.steps[p.done]!;
      const actor = created ? p.investor : step!.actor(p.investor);
      record = sealEvent(
        {
          seq,
          chainId: p.id,
          chainSeq: p.chainSeq + 1,
          occurredAt,
          actor: { sub: actor.sub, roles: actor.roles, org: actor.org },
          action: created ? 'project.created' : step!.action,
          projectId: p.id,
          fromState: created ? null : step!.from,
          toState: created ? 'draft' : step!.to,
          revision: p.chainSeq + 1,
          machine: { id: 'appraisal', version: 1 },
          requestId: randomUUID(),
          idempotencyKey: random() < 0.5 ? `key-${seq.toString(36)}-0001` : null,
          payload: created
            ? { code: p.code, name: `Dự án ${p.code}`, group: 'B', stage: 'investment_policy', sector: 'cement' }
            : (step!.payload ?? {
                documentId: randomUUID(),
                sha256: 'a3f1c2e4b5d6978812345678abcdef0123456789abcdef0123456789abcdef01',
                version: seq % 7,
                note: 'Báo cáo thẩm định công nghệ',
              }),
        },
        p.chainSeq === 0 ? genesisHash(p.id) : p.head,
      );
      p.chainSeq = record.chainSeq;
      p.head = record.rowHash;
      if (!created) {
        p.done++;
        p.state = step!.to;
        p.times[step!.action] = occurredAt;
      }
      if (p.done === p.life.steps.length) {
        active[slot] = active[active.length - 1]!;
        active.pop();
      }
    } else {
      record = sealEvent(
        {
          seq,
          chainId: 'system',
          chainSeq: systemChain.chainSeq + 1,
          occurredAt,
          actor: { sub: 'system:sweeper', roles: [], org: null },
          action: 'outbox.swept',
          projectId: null,
          fromState: null,
          toState: null,
          revision: null,
          machine: null,
          requestId: null,
          idempotencyKey: null,
          payload: { processed: seq % 13 },
        },
        systemChain.head,
      );
      systemChain = { chainSeq: record.chainSeq, head: record.rowHash };
    }
    sealMs += ms(s0);
    chunk += copyLine(record);
    if (chunk.length > 1 << 20) {
      await write(writable, chunk);
      chunk = '';
    }
    if (seq % 200_000 === 0) process.stdout.write(`  seeded ${fmt(seq, 0)} events…\n`);
  }
  if (chunk) await write(writable, chunk);
  writable.end();
  await finished;
  const eventsMs = ms(t);

  // Heads exactly where the write path keeps them, and the sequence past the seeded seqs.
  t = performance.now();
  await sql.begin(async (tx) => {
    await tx`create temp table bench_heads (id uuid primary key, chain_seq int not null, chain_head text not null) on commit drop`;
    for (let i = 0; i < projects.length; i += 5000) {
      await tx`insert into bench_heads ${tx(projects.slice(i, i + 5000).map((p) => ({ id: p.id, chain_seq: p.chainSeq, chain_head: p.head })))}`;
    }
    await tx`update projects p set chain_seq = h.chain_seq, chain_head = h.chain_head from bench_heads h where h.id = p.id`;
    // States, appraisals, opinions and decisions as the write path leaves them, so that the
    // coverage report finds no violation. Seeded in bulk with triggers off (superuser, replica).
    await tx`set local session_replication_role = replica`;
    const reached = (p: Project, action: string) => p.times[action] !== undefined;
    for (let i = 0; i < projects.length; i += 5000) {
      const batch = projects.slice(i, i + 5000);
      await tx`update projects p set state = v.state, revision = v.revision, snapshot = jsonb_build_object('machineId', 'appraisal', 'machineVersion', 1, 'state', v.state, 'context', jsonb_build_object('round', 1))
        from (select unnest(${batch.map((p) => p.id)}::uuid[]) as id, unnest(${batch.map((p) => p.state)}::text[]) as state, unnest(${batch.map((p) => p.chainSeq)}::int[]) as revision) v
        where v.id = p.id`;
      const assigned = batch.filter((p) => reached(p, 'appraisers.assigned'));
      if (assigned.length) {
        await tx`insert into assignments ${tx(assigned.map((p) => ({ project_id: p.id, round: 1, appraiser_sub: p.life.appraiser, appraiser_org: 'dost', assigned_by: CLERKS[0]!, status: 'active' })))}`;
        await tx`insert into appraisals ${tx(
          assigned.map((p) => {
            const concluded = reached(p, 'appraisal.concluded');
            return {
              id: (p.life as { appraisalId?: string }).appraisalId = randomUUID(),
              project_id: p.id,
              round: 1,
              mode: 'opinion',
              status: concluded ? 'concluded' : 'open',
              required_opinions: concluded ? 1 : null,
              conclusion: concluded ? (p.life.outcome === 'approved' ? 'approve' : 'reject') : null,
              concluded_at: concluded ? p.times['appraisal.concluded']! : null,
            };
          }),
        )}`;
      }
      const opined = batch.filter((p) => reached(p, 'opinion.recorded'));
      if (opined.length) {
        await tx`insert into opinions ${tx(
          opined.map((p) => ({
            appraisal_id: (p.life as { appraisalId?: string }).appraisalId!,
            project_id: p.id,
            appraiser_sub: p.life.appraiser,
            appraiser_org: 'dost',
            criteria: tx.json([]),
            recommendation: p.life.outcome === 'approved' ? 'approve' : 'reject',
            conditions: tx.json([]),
            conflict_declared: false,
            created_at: p.times['opinion.recorded']!,
          })),
        )}`;
      }
      const decided = batch.filter((p) => reached(p, 'decision.recorded'));
      if (decided.length) {
        await tx`insert into decisions ${tx(
          decided.map((p) => ({
            project_id: p.id,
            appraisal_id: (p.life as { appraisalId?: string }).appraisalId!,
            outcome: p.life.outcome,
            reasons: tx.json([]),
            conditions: tx.json([]),
            decided_by: p.life.approver,
            decided_by_org: 'ppc',
            created_at: p.times['decision.recorded']!,
          })),
        )}`;
      }
    }
    if (systemChain.chainSeq > 0) {
      await tx`insert into audit_chain_heads (chain_id, chain_seq, row_hash, seq)
        select 'system', ${systemChain.chainSeq}, ${systemChain.head}, max(seq) from audit_events where chain_id = 'system'`;
    }
    await tx`select setval('audit_events_seq_seq', ${EVENTS})`;
  });
  await sql`vacuum analyze audit_events`;
  await sql`vacuum analyze projects`;
  const headsMs = ms(t);
  const [{ size }] = await sql<[{ size: string }]>`select pg_size_pretty(pg_total_relation_size('audit_events')) as size`;
  const summary =
    `${fmt(PROJECTS, 0)} projects in ${fmt(projectsMs / 1000, 1)} s; ${fmt(EVENTS, 0)} events sealed and COPYed in ${fmt(eventsMs / 1000, 1)} s ` +
    `(sealing ${fmt(sealMs / 1000, 1)} s of it); heads, vacuum analyze ${fmt(headsMs / 1000, 1)} s; audit_events with indexes: ${size}; ` +
    `system chain: ${systemChain.chainSeq} events`;
  say(`seeded: ${summary}`);
  return { projects, lastSeq: EVENTS, t0, tEnd: t0 + EVENTS * STEP_MS, summary };
}

// ---------------------------------------------------------------------------------------------
// Where verification time goes
// ---------------------------------------------------------------------------------------------

/** One walk like the verify route, timing the cursor (SQL + row decoding) apart from push(). */
async function verifyBreakdown(sql: postgres.Sql) {
  const verifier = createChainVerifier();
  let fetchMs = 0;
  let hashMs = 0;
  let n = 0;
  await sql.begin('isolation level repeatable read read only', async (tx) => {
    await tx.unsafe("set local timezone = 'UTC'");
    await tx.unsafe("set local datestyle = 'ISO, MDY'");
    const iterator = tx<AuditRow[]>`select ${tx.unsafe(WALK_COLUMNS_TEXT)} from audit_events order by seq`.cursor(5000)[Symbol.asyncIterator]();
    for (;;) {
      let t = performance.now();
      const next = await iterator.next();
      if (next.done) break;
      const records = next.value.map(walkRowToRecord);
      fetchMs += ms(t);
      t = performance.now();
      for (const r of records) verifier.push(r);
      hashMs += ms(t);
      n += records.length;
    }
  });
  if (!verifier.result().ok) throw new Error('breakdown walk found problems');
  return { fetchMs, hashMs, fetchRate: n / (fetchMs / 1000), hashRate: n / (hashMs / 1000) };
}

// ---------------------------------------------------------------------------------------------
// Export over a real socket
// ---------------------------------------------------------------------------------------------

async function measureExport(app: Awaited<ReturnType<typeof buildApp>>, token: string, format: 'ndjson' | 'csv' = 'ndjson') {
  listening ??= await app.listen({ host: '127.0.0.1', port: 0 });
  const url = new URL(`/v1/audit/events?format=${format}`, listening);
  // The server runs in this process (so does the client, which only counts bytes): settle the
  // heap first so the growth is the export's, not garbage left by the figures before it.
  (globalThis as { gc?: () => void }).gc?.();
  const before = process.memoryUsage();
  const rssBefore = before.rss;
  let rssPeak = rssBefore;
  let heapPeak = before.heapUsed + before.external;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    rssPeak = Math.max(rssPeak, m.rss);
    heapPeak = Math.max(heapPeak, m.heapUsed + m.external);
  }, 50);
  const t = performance.now();
  const { bytes, lines } = await new Promise<{ bytes: number; lines: number }>((resolve, reject) => {
    http
      .get(url, { headers: { authorization: `Bearer ${token}` } }, (res) => {
        if (res.statusCode !== 200) reject(new Error(`export answered ${res.statusCode}`));
        let b = 0;
        let l = 0;
        res.on('data', (c: Buffer) => {
          b += c.length;
          for (let i = c.indexOf(10); i !== -1; i = c.indexOf(10, i + 1)) l++;
        });
        res.on('end', () => resolve({ bytes: b, lines: l }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
  const elapsed = ms(t);
  clearInterval(sampler);
  if (format === 'ndjson' ? lines !== EVENTS : lines < EVENTS + 1) throw new Error(`${format} export has ${lines} lines, expected ${EVENTS}`);
  return {
    heapGrowthMb: (heapPeak - before.heapUsed - before.external) / 1e6,
    mb: bytes / 1e6,
    eventsPerSecond: lines / (elapsed / 1000),
    mbPerSecond: bytes / 1e6 / (elapsed / 1000),
    rssBeforeMb: rssBefore / 1e6,
    rssGrowthMb: (rssPeak - rssBefore) / 1e6,
  };
}
