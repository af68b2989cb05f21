import { generatePartyKeys, ManualClock } from '@leasehold/protocol';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { CentralDatabase } from '../store/schema.ts';
import { backends, openTestDatabase } from '../test-support/databases.ts';
import { buildCentralApp } from './app.ts';

const clock = new ManualClock('2026-03-01T10:00:00Z');

async function appOn(db: Kysely<CentralDatabase>, readinessTimeoutMs?: number) {
  const app = buildCentralApp({
    db,
    clock,
    vendorKeys: await generatePartyKeys(),
    adminTokenSha256: '0'.repeat(64),
    ...(readinessTimeoutMs ? { readinessTimeoutMs } : {}),
  });
  await app.ready();
  return app;
}

describe.each(backends)('health endpoints on $name', (backend) => {
  it('answers /healthz and /readyz with 200 while the database answers, /readyz 503 once it is gone', async () => {
    const database = await openTestDatabase(backend);
    const app = await appOn(database.store.db);
    try {
      const health = await app.inject({ method: 'GET', url: '/healthz' });
      expect([health.statusCode, health.json()]).toEqual([200, { ok: true }]);
      const ready = await app.inject({ method: 'GET', url: '/readyz' });
      expect([ready.statusCode, ready.json()]).toEqual([200, { ok: true, database: 'reachable' }]);

      await database.destroy();
      const gone = await app.inject({ method: 'GET', url: '/readyz' });
      expect(gone.statusCode).toBe(503);
      expect(gone.json().error.code).toBe('DATABASE_UNAVAILABLE');
      expect(gone.json().error.message).toMatch(/check that PostgreSQL is running/);
      // The process itself is still up: restarting it would not help, so /healthz stays green.
      expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});

describe('the readiness check', () => {
  it('answers 503 DATABASE_UNAVAILABLE within its timeout when the database never answers', async () => {
    // A pool whose connections never come: a database host that drops packets.
    const pool = { connect: () => new Promise<never>(() => {}), end: async () => {} };
    const db = new Kysely<CentralDatabase>({
      dialect: new PostgresDialect({ pool: pool as unknown as pg.Pool }),
    });
    const app = await appOn(db, 200);
    try {
      const started = Date.now();
      const res = await app.inject({ method: 'GET', url: '/readyz' });
      expect([res.statusCode, res.json().error.code]).toEqual([503, 'DATABASE_UNAVAILABLE']);
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      await app.close();
    }
  });

  it('answers 503 when PostgreSQL refuses the connection, without naming the host in the answer', async () => {
    const pool = new pg.Pool({ connectionString: 'postgres://nobody@127.0.0.1:1/none' });
    const db = new Kysely<CentralDatabase>({ dialect: new PostgresDialect({ pool }) });
    const app = await appOn(db);
    try {
      const res = await app.inject({ method: 'GET', url: '/readyz' });
      expect([res.statusCode, res.json().error.code]).toEqual([503, 'DATABASE_UNAVAILABLE']);
      expect(res.body).not.toContain('127.0.0.1');
    } finally {
      await app.close();
      await db.destroy();
    }
  });
});
