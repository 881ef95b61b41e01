/**
 * The deadline sweep on several instances at once: two apps (two connection pools, as two
 * processes would have) sweep the same database concurrently; every due row is handled exactly
 * once (FOR UPDATE SKIP LOCKED in one transaction, no session-level lock).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import postgres from 'postgres';
import { createTestEnv, type TestEnv } from '../helpers/test-env';
import { client, completeDossier, sampleDeclaration, sampleProject } from '../helpers/api';
import { createDatabase, type Database } from '../../src/infra/database';

let env: TestEnv;
let app: FastifyInstance;
let second: FastifyInstance;
let secondDb: Database;
let db: postgres.Sql;
let now = new Date('2026-05-04T03:00:00Z'); // Mon 4 May 2026
const clock = () => now;

beforeAll(async () => {
  env = await createTestEnv({ RATE_LIMIT_PER_MINUTE: '100000', RATE_LIMIT_UPLOADS_PER_MINUTE: '100000' });
  app = await env.buildApp({ clock });
  secondDb = createDatabase(env.databaseUrl, { max: 5 });
  second = await env.buildApp({ clock, database: secondDb });
  db = postgres(env.databaseUrl, { max: 2, onnotice: () => {} });
});
afterAll(async () => {
  await second?.close();
  await secondDb?.close();
  await db?.end();
  await env.close();
});

describe('two instances sweep at once', () => {
  it('handle each due deadline once', async () => {
    const alice = client(app, await env.token('alice', ['investor'], 'acme'));
    const carol = client(app, await env.token('carol', ['clerk'], 'desk'));
    const { environmentalRisk: _legacy, ...base } = sampleProject();
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const id = (await alice.post('/v1/projects', { ...base, environmentalGroup: 'III', name: `Dự án ${i}` })).body.id as string;
      await alice.put(`/v1/projects/${id}/technology`, sampleDeclaration());
      await completeDossier(app, await env.token('alice', ['investor'], 'acme'), id);
      await alice.post(`/v1/projects/${id}/submit`);
      expect((await carol.post(`/v1/projects/${id}/completeness`, { result: 'complete' })).status).toBe(200);
      ids.push(id);
    }
    now = new Date('2026-07-01T03:00:00Z'); // every step of every project is past due
    const [a, b] = await Promise.all([app.backgroundJobs.sweepDeadlines(), second.backgroundJobs.sweepDeadlines()]);
    const rows = await db`select status from deadlines where project_id in ${db(ids)}`;
    expect(rows).toHaveLength(8); // forwarding + opinion per project
    expect(a.overdue + b.overdue).toBe(8);
    expect(rows.every((r) => r.status === 'overdue')).toBe(true);
    const notes = await db`select count(*)::int as n from outbox where payload->>'kind' = 'deadline.overdue'`;
    expect(notes[0]!.n).toBe(8);
    const events = await db`select count(*)::int as n from audit_events where action = 'deadline.overdue'`;
    expect(events[0]!.n).toBe(8);
    expect((await Promise.all([app.backgroundJobs.sweepDeadlines(), second.backgroundJobs.sweepDeadlines()])).map((r) => r.overdue)).toEqual([0, 0]);
  });
});
