/**
 * What the benchmark scripts share: a free port, the service started as a child process
 * (scripts/bench-server.ts, embedded Postgres and S3 under a temporary DATA_DIR), tokens signed
 * with that instance's local key, and a small JSON client over keep-alive connections.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SignJWT } from 'jose';
import { loadOrCreateLocalSigningKey } from '../src/auth/local-signing-key';
import type { S3Settings } from '../src/config';

export const ROOT = path.resolve(import.meta.dirname, '..');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface BenchServer {
  port: number;
  pid: number;
  dataDir: string;
  /** The embedded S3 server's settings, for direct uploads to the same store. */
  s3: S3Settings;
  token(sub: string, roles: string[], org?: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Start the service in a child process and wait until it serves. BENCH_SERVER_NODE_ARGS adds
 * Node flags (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`); BENCH_SERVER_SCRIPT swaps the entry.
 */
export async function startBenchServer(name: string, env: Record<string, string>): Promise<BenchServer> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), `bench-${name}-`));
  await fs.chmod(dataDir, 0o755);
  const port = await freePort();
  const server = spawn(
    process.execPath,
    [...(process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? []), '--import', 'tsx', process.env.BENCH_SERVER_SCRIPT ?? 'scripts/bench-server.ts'],
    {
      cwd: ROOT,
      env: { ...process.env, DATA_DIR: dataDir, PORT: String(port), EMBEDDED_PG_PORT: String(await freePort()), RATE_LIMIT_PER_MINUTE: '10000000', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const exited = new Promise((r) => server.once('exit', r));
  const cleanup = () => fs.rm(dataDir, { recursive: true, force: true });
  let s3: S3Settings;
  try {
    let stdout = '';
    s3 = await new Promise<S3Settings>((resolve, reject) => {
      server.stdout!.on('data', (d) => {
        stdout += String(d);
        const lines = stdout.split('\n');
        const s3Line = lines.find((l) => l.startsWith('s3 '));
        if (lines.includes('ready') && s3Line) resolve(JSON.parse(s3Line.slice(3)) as S3Settings);
      });
      server.once('exit', (code) => reject(new Error(`the bench server exited with ${code} before it was ready`)));
    });
  } catch (err) {
    await cleanup();
    throw err;
  }
  const key = await loadOrCreateLocalSigningKey(dataDir);
  return {
    port,
    pid: server.pid!,
    dataDir,
    s3,
    token: (sub, roles, org) =>
      new SignJWT({ roles, ...(org ? { org } : {}) })
        .setProtectedHeader({ alg: 'EdDSA', kid: key.kid })
        .setSubject(sub)
        .setIssuer('urn:tech-appraisal:local')
        .setAudience('tech-appraisal-api')
        .setExpirationTime('2h')
        .sign(key.privateKey),
    async stop() {
      if (server.exitCode === null) server.kill('SIGTERM');
      await exited;
      await cleanup();
    },
  };
}

/** A JSON request over a keep-alive agent. */
export function jsonRequest(
  agent: http.Agent,
  port: number,
  method: string,
  url: string,
  token: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any }> {
  // No body (a GET): no content-type either.
  const payload = body === undefined ? '' : JSON.stringify(body);
  const bodyHeaders: Record<string, string | number> = body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) };
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method, path: url, agent, headers: { authorization: `Bearer ${token}`, ...bodyHeaders, ...headers } },
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

/** A project body the benchmarks create (valid for POST /v1/projects). */
export const BENCH_PROJECT = {
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
