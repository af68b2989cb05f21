import { generatePartyKeys, ManualClock } from '@leasehold/protocol';
import type { FastifyInstance } from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { backends, useTestDatabase } from '../test-support/databases.ts';
import { buildCentralApp } from './app.ts';
import { FixedWindowLimiter } from './rateLimit.ts';

describe('the fixed-window limiter', () => {
  it('allows the limit in one clock minute, refuses the rest until the next minute begins', () => {
    const limiter = new FixedWindowLimiter(3);
    const t0 = Date.parse('2026-03-01T10:00:10Z');
    expect([1, 2, 3].map(() => limiter.take('a', t0).allowed)).toEqual([true, true, true]);
    expect(limiter.take('a', t0 + 1_000)).toEqual({ allowed: false, retryAfterSeconds: 49 });
    expect(limiter.take('b', t0 + 1_000).allowed).toBe(true);
    expect(limiter.take('a', t0 + 49_999)).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect(limiter.take('a', t0 + 50_000).allowed).toBe(true);
  });
});

describe.each(backends)('rate limits on the public sync endpoints on $name', (backend) => {
  let app: FastifyInstance;
  const clock = new ManualClock('2026-03-01T10:00:00Z');

  const database = useTestDatabase(backend, async (database) => {
    app = buildCentralApp({
      db: database.store.db,
      clock,
      vendorKeys: await generatePartyKeys(),
      adminTokenSha256: '0'.repeat(64),
      syncRequestsPerMinutePerAddress: 4,
    });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
  });

  const sync = (url: '/v1/sync' | '/v1/sync/file', remoteAddress = '192.0.2.10') =>
    app.inject({
      method: 'POST',
      url,
      remoteAddress,
      headers: { 'content-type': url === '/v1/sync' ? 'application/jose' : 'text/plain' },
      payload: 'not a message',
    });

  it('counts both endpoints per source address and answers 429 RATE_LIMITED with Retry-After past the limit', async () => {
    const codes: string[] = [];
    for (const url of ['/v1/sync', '/v1/sync/file', '/v1/sync', '/v1/sync/file', '/v1/sync'] as const) {
      codes.push((await sync(url)).json().error.code);
    }
    // The first four reach the sync code (and fail there as malformed); the fifth is not even read.
    expect(codes.slice(0, 4)).not.toContain('RATE_LIMITED');
    expect(codes[4]).toBe('RATE_LIMITED');
    const refused = await sync('/v1/sync/file');
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('60');
    expect(refused.json().error.message).toMatch(/wait .* then retry/);

    // Another address has its own count; the admin API and health checks are not limited.
    expect((await sync('/v1/sync', '192.0.2.11')).statusCode).toBe(400);
    const health = await app.inject({ method: 'GET', url: '/healthz', remoteAddress: '192.0.2.10' });
    expect(health.statusCode).toBe(200);

    clock.advance(60_000);
    expect((await sync('/v1/sync')).statusCode).toBe(400);
  });

  it('limits nothing when the setting is 0', async () => {
    const unlimited = buildCentralApp({
      db: database().store.db,
      clock,
      vendorKeys: await generatePartyKeys(),
      adminTokenSha256: '0'.repeat(64),
      syncRequestsPerMinutePerAddress: 0,
    });
    try {
      for (let i = 0; i < 20; i++) {
        const res = await unlimited.inject({
          method: 'POST',
          url: '/v1/sync',
          headers: { 'content-type': 'application/jose' },
          payload: 'not a message',
        });
        expect(res.json().error.code).toBe('MESSAGE_MALFORMED');
      }
    } finally {
      await unlimited.close();
    }
  });
});
