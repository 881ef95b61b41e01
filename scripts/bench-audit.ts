/**
 * `npm run bench:audit [-- --events 1000000 --projects 20000 --samples 300 --keep]`
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
 *   - as-of and the coverage report: placeholders until they are built.
 *
 * Targets: history p95 < 10 ms, search p95 < 100 ms, verify > 200,000 events/s.
 */
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
    events: { type: 'string', default: '1000000' },
    projects: { type: 'string', default: '20000' },
    samples: { type: 'string', default: '300' },
    keep: { type: 'boolean', default: false },
  },
});
const EVENTS = Number(values.events);
const PROJECTS = Number(values.projects);
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
/** What happens to a project after it is created, weighted, with who does it. */
const STEPS: Array<{ action: string; weight: number; from: string; to: string; actor: (investor: Actor) => Actor }> = [
  { action: 'document.uploaded', weight: 30, from: 'draft', to: 'draft', actor: (inv) => inv },
  { action: 'technology.declared', weight: 6, from: 'draft', to: 'draft', actor: (inv) => inv },
  { action: 'project.submitted', weight: 5, from: 'draft', to: 'screening', actor: (inv) => inv },
  { action: 'screening.completed', weight: 5, from: 'screening', to: 'completeness_review', actor: (inv) => inv },
  { action: 'completeness.confirmed', weight: 5, from: 'completeness_review', to: 'under_appraisal', actor: () => ({ sub: pick(CLERKS), roles: ['clerk'], org: 'desk' }) },
  { action: 'supplement.requested', weight: 4, from: 'completeness_review', to: 'awaiting_supplement', actor: () => ({ sub: pick(CLERKS), roles: ['clerk'], org: 'desk' }) },
  { action: 'appraisers.assigned', weight: 5, from: 'under_appraisal', to: 'under_appraisal', actor: () => ({ sub: pick(CLERKS), roles: ['clerk'], org: 'desk' }) },
  { action: 'opinion.submitted', weight: 15, from: 'under_appraisal', to: 'under_appraisal', actor: () => ({ sub: pick(APPRAISERS), roles: ['appraiser'], org: 'dost' }) },
  { action: 'appraisal.concluded', weight: 5, from: 'under_appraisal', to: 'appraised', actor: () => ({ sub: pick(APPRAISERS), roles: ['appraiser'], org: 'dost' }) },
  { action: 'decision.recorded', weight: 5, from: 'appraised', to: 'approved', actor: () => ({ sub: pick(APPROVERS), roles: ['approver'], org: 'ppc' }) },
  { action: 'access.denied', weight: 3, from: 'draft', to: 'draft', actor: () => ({ sub: `inv-${pick(ORGS)}-b`, roles: ['investor'], org: 'other' }) },
];
const STEP_TABLE = STEPS.flatMap((s) => Array.from({ length: s.weight }, () => s));

interface Project {
  id: string;
  code: string;
  investor: Actor;
  chainSeq: number;
  head: string;
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
    say(`checkpoint of ${fmt(cp!.chainCount, 0)} heads signed and stored in ${fmt(ms(t0), 0)} ms`);

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
      ...(await timeMany('search actor+action (appraiser, opinion.submitted)', () => `/v1/audit/events?actor=${pick(APPRAISERS)}&action=opinion.submitted`)),
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

    // --- verification -----------------------------------------------------------------------
    const verifyRuns: Array<{ checked: number; ms: number; ok: boolean }> = [];
    for (let i = 0; i < 2; i++) {
      const r = await get('/v1/audit/verify');
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
    const exportResult = await measureExport(app, auditorToken);

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
    say(`| verify (GET /v1/audit/verify, ${fmt(bestVerify.checked, 0)} events, ${Math.min(os.availableParallelism(), 4)} worker threads, best of ${verifyRuns.length}: ${verifyRuns.map((r) => fmt(r.ms / 1000, 2) + ' s').join(', ')}) | ${fmt(vps, 0)} events/s | > 200,000 | ${vps > 200_000 ? 'ok' : 'MISSED'} |`);
    say(`| verify in one thread (same report, checked identical) | ${fmt(single.checked / (singleMs / 1000), 0)} events/s (${fmt(singleMs / 1000, 2)} s) | | |`);
    say(`|   one-thread walk: cursor fetch + row decoding | ${fmt(breakdown.fetchRate, 0)} events/s (${fmt(breakdown.fetchMs / 1000, 2)} s) | | |`);
    say(`|   one-thread walk: hashing + chain checks (verifier.push) | ${fmt(breakdown.hashRate, 0)} events/s (${fmt(breakdown.hashMs / 1000, 2)} s) | | |`);
    say(`| NDJSON export over HTTP (whole log, ${fmt(exportResult.mb, 0)} MB) | ${fmt(exportResult.eventsPerSecond, 0)} events/s, ${fmt(exportResult.mbPerSecond, 1)} MB/s | | |`);
    say(`|   server RSS during the export | +${fmt(exportResult.rssGrowthMb, 0)} MB over ${fmt(exportResult.rssBeforeMb, 0)} MB | constant | |`);
    say(`| as-of: n/a (not built yet) | | | |`);
    say(`| coverage report: n/a (not built yet) | | | |`);
    say('');
    say(`seeding: ${seeded.summary}`);
    say(`load average at start ${loadAtStart}, at end ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (${os.cpus().length} CPUs): other work on the machine skews the figures`);
  } finally {
    await sql.end({ timeout: 5 });
    await runtime.stop();
  }
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
    return { id: randomUUID(), code: `BN-2026-${String(i + 1).padStart(6, '0')}`, investor: { sub: `inv-${org}`, roles: ['investor'], org }, chainSeq: 0, head: '' };
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
  // Every project gets its 'project.created' first, then events land on random chains.
  for (let seq = 1; seq <= EVENTS; seq++) {
    const s0 = performance.now();
    const occurredAt = new Date(t0 + seq * STEP_MS).toISOString();
    let record: AuditEventRecord;
    if (seq <= PROJECTS || random() >= 0.002) {
      const p = seq <= PROJECTS ? projects[seq - 1]! : pick(projects);
      const created = p.chainSeq === 0;
      const step = created ? null : pick(STEP_TABLE);
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
            : {
                documentId: randomUUID(),
                sha256: 'a3f1c2e4b5d6978812345678abcdef0123456789abcdef0123456789abcdef01',
                version: seq % 7,
                note: 'Báo cáo thẩm định công nghệ',
              },
        },
        p.chainSeq === 0 ? genesisHash(p.id) : p.head,
      );
      p.chainSeq = record.chainSeq;
      p.head = record.rowHash;
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

async function measureExport(app: Awaited<ReturnType<typeof buildApp>>, token: string) {
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  const url = new URL('/v1/audit/events?format=ndjson', address);
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  const sampler = setInterval(() => {
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
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
  if (lines !== EVENTS) throw new Error(`export has ${lines} lines, expected ${EVENTS}`);
  return {
    mb: bytes / 1e6,
    eventsPerSecond: lines / (elapsed / 1000),
    mbPerSecond: bytes / 1e6 / (elapsed / 1000),
    rssBeforeMb: rssBefore / 1e6,
    rssGrowthMb: (rssPeak - rssBefore) / 1e6,
  };
}
