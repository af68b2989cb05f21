import {
  generatePartyKeys,
  LeaseholdError,
  ManualClock,
  type PartyKeys,
  parseVendorPublicKeys,
  serializeVendorPublicKeys,
  type VendorPublicKeys,
} from '@leasehold/protocol';
import type { FastifyInstance } from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { createServerId, showServerId } from '../admin/serverIds.ts';
import { backends, useTestDatabase } from '../test-support/databases.ts';
import { fakeLocalServer } from '../test-support/localServers.ts';
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

describe.each(backends)('the per-id limit and trusted proxies on $name', (backend) => {
  const clock = new ManualClock('2026-03-01T10:00:00Z');
  let vendorKeys: PartyKeys;
  let vendor: VendorPublicKeys;
  let app: FastifyInstance;

  const database = useTestDatabase(backend, async (database) => {
    vendorKeys = await generatePartyKeys();
    vendor = await parseVendorPublicKeys(await serializeVendorPublicKeys(vendorKeys));
    app = buildCentralApp({
      db: database.store.db,
      clock,
      vendorKeys,
      adminTokenSha256: '0'.repeat(64),
      syncRequestsPerMinutePerAddress: 3,
      syncRequestsPerMinutePerId: 2,
      trustProxy: ['10.0.0.0/8'],
    });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
  });
  const admin = () => ({ db: database().store.db, clock, actor: 'test' });

  /** A local server of `id` whose requests arrive from `remoteAddress`, optionally through a proxy header. */
  const serverOf = (id: string, remoteAddress: string, forwardedFor?: string) =>
    fakeLocalServer(id, {
      clock,
      vendor,
      send: async (sealed) => {
        const res = await app.inject({
          method: 'POST',
          url: '/v1/sync',
          remoteAddress,
          headers: {
            'content-type': 'application/jose',
            ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}),
          },
          payload: sealed,
        });
        if (res.statusCode !== 200) {
          throw Object.assign(new LeaseholdError(res.json().error.code), {
            retryAfter: res.headers['retry-after'],
            status: res.statusCode,
          });
        }
        return res.body;
      },
    });
  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (e: LeaseholdError & { retryAfter?: string }) => ({
        code: e.code,
        status: e.status,
        retryAfter: e.retryAfter,
      }),
    );
  const lastSourceAddress = async (id: string) =>
    (await showServerId(admin(), id)).syncHistory[0]?.sourceAddress;

  it('answers 429 SYNC_RATE_LIMITED with Retry-After past the limit for one id, from any address, and not for another id', async () => {
    clock.set('2026-03-01T11:00:10Z');
    const { id } = await createServerId(admin(), {});
    const { id: other } = await createServerId(admin(), {});
    const server = await serverOf(id, '192.0.2.20');
    expect(await refusal(server.sync())).toBeUndefined();
    // The same id from another address shares the id's count.
    const elsewhere = await serverOf(id, '192.0.2.21');
    expect(await refusal(elsewhere.sync())).toMatchObject({ code: 'SERVER_ID_IN_USE' });
    expect(await refusal(server.sync())).toEqual({
      code: 'SYNC_RATE_LIMITED',
      status: 429,
      retryAfter: '50',
    });
    expect(await refusal((await serverOf(other, '192.0.2.22')).sync())).toBeUndefined();
    clock.advance(50_000);
    expect(await refusal(server.sync())).toBeUndefined();
    // A refused request wrote no sync log row: 2 answered + 1 SERVER_ID_IN_USE.
    expect((await showServerId(admin(), id)).syncHistory).toHaveLength(3);
  });

  it('takes the client address from X-Forwarded-For only when the direct peer is a trusted proxy', async () => {
    clock.set('2026-03-01T12:00:00Z');
    const { id } = await createServerId(admin(), {});
    expect(await refusal((await serverOf(id, '10.1.2.3', '203.0.113.9')).sync())).toBeUndefined();
    expect(await lastSourceAddress(id)).toBe('203.0.113.9');
    clock.advance(60_000);
    const { id: direct } = await createServerId(admin(), {});
    // Not a trusted proxy: the header is a client's claim, and ignored.
    expect(await refusal((await serverOf(direct, '198.51.100.7', '203.0.113.9')).sync())).toBeUndefined();
    expect(await lastSourceAddress(direct)).toBe('198.51.100.7');
  });

  it('limits per forwarded address behind the proxy, and per peer when the header is not trusted', async () => {
    clock.set('2026-03-01T13:00:00Z');
    const post = (remoteAddress: string, forwardedFor: string) =>
      app.inject({
        method: 'POST',
        url: '/v1/sync',
        remoteAddress,
        headers: { 'content-type': 'application/jose', 'x-forwarded-for': forwardedFor },
        payload: 'not a message',
      });
    // Four clients behind the proxy: four addresses, none over 3 a minute.
    for (const client of ['203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.4']) {
      expect((await post('10.0.0.1', client)).json().error.code).toBe('MESSAGE_MALFORMED');
    }
    // One untrusted peer that forges four different headers is still one address.
    const codes = [];
    for (const forged of ['203.0.113.5', '203.0.113.6', '203.0.113.7', '203.0.113.8']) {
      codes.push((await post('198.51.100.9', forged)).json().error.code);
    }
    expect(codes).toEqual(['MESSAGE_MALFORMED', 'MESSAGE_MALFORMED', 'MESSAGE_MALFORMED', 'RATE_LIMITED']);
  });
});
