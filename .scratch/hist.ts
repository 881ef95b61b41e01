import { startKept } from './pg';
import { createDatabase } from '../src/infra/database';
import { loadConfig } from '../src/config';
import { buildApp } from '../src/app';
import { SignJWT } from 'jose';
import { loadOrCreateLocalSigningKey, LOCAL_JWT_ALG } from '../src/auth/local-signing-key';
import { projectHistory } from '../src/modules/audit/audit-reader';
import { searchAuditEvents } from '../src/modules/audit/audit-query';
const pg = await startKept();
const database = createDatabase(pg.urlFor('bench'), { max: 10 });
const config = loadConfig({ DATA_DIR: '/tmp/bench-audit-IEHqoi/data', DATABASE_URL: pg.urlFor('bench'), LOG_LEVEL: 'warn', RATE_LIMIT_PER_MINUTE: '10000000', S3_ENDPOINT: 'http://127.0.0.1:1', S3_ACCESS_KEY: 'x', S3_SECRET_KEY: 'y' });
const app = await buildApp({ config, database, storage: {} as any });
const key = await loadOrCreateLocalSigningKey(config.dataDir);
const token = await new SignJWT({ roles: ['auditor'] }).setProtectedHeader({ alg: LOCAL_JWT_ALG, kid: key.kid }).setSubject('a').setIssuer(config.jwt.issuer).setAudience(config.jwt.audience).setIssuedAt().setExpirationTime('2h').sign(key.privateKey);
const ids = (await database.sql`select id from projects`).map((r: any) => r.id as string);
const pick = () => ids[Math.floor(Math.random() * ids.length)]!;
const pct = (a: number[], p: number) => { const s = [...a].sort((x, y) => x - y); return s[Math.ceil(p / 100 * s.length) - 1]!.toFixed(2); };
async function time(label: string, f: () => Promise<unknown>, n = 300) {
  for (let i = 0; i < 30; i++) await f();
  const t: number[] = [];
  for (let i = 0; i < n; i++) { const s = performance.now(); await f(); t.push(performance.now() - s); }
  console.log(label.padEnd(40), 'p50', pct(t, 50), 'p95', pct(t, 95), 'max', pct(t, 100));
}
try {
  await time('inject history', async () => { const r = await app.inject({ method: 'GET', url: `/v1/projects/${pick()}/history`, headers: { authorization: `Bearer ${token}` } }); if (r.statusCode !== 200) throw new Error(r.body); });
  await time('projectHistory query', () => projectHistory(database.db, pick()));
  await time('raw sql by project_id', () => database.sql.unsafe(`select * from audit_events where project_id = $1 order by seq`, [pick()]));
  await time('inject /v1/projects/:id', async () => { await app.inject({ method: 'GET', url: `/v1/projects/${pick()}`, headers: { authorization: `Bearer ${token}` } }); });
  await time('inject readyz-like noop (openapi)', async () => { await app.inject({ method: 'GET', url: `/healthz` }); });
  await time('search time 1 day', () => { const from = Date.parse('2025-06-02') + Math.random() * 300 * 86400e3; return searchAuditEvents(database.sql, { from: new Date(from).toISOString(), to: new Date(from + 86400e3).toISOString() }, 100); }, 100);
  await time('search time 7 days + action', () => { const from = Date.parse('2025-06-02') + Math.random() * 300 * 86400e3; return searchAuditEvents(database.sql, { action: 'document.uploaded', from: new Date(from).toISOString(), to: new Date(from + 7 * 86400e3).toISOString() }, 100); }, 100);
  await time('search from only (wide, late)', () => { const from = Date.parse('2025-06-02') + (150 + Math.random() * 150) * 86400e3; return searchAuditEvents(database.sql, { from: new Date(from).toISOString() }, 100); }, 50);
} finally { await app.close(); await database.close(); await pg.stop(); }
