import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  armor,
  DAY_MS,
  generatePartyKeys,
  HOUR_MS,
  LeaseholdError,
  ManualClock,
  parseVendorPublicKeys,
  serializeVendorPublicKeys,
  verifyCheckoutToken,
} from '@leasehold/protocol';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addLicense } from '../../packages/central/src/admin/licenses.ts';
import { createServerId } from '../../packages/central/src/admin/serverIds.ts';
import { buildCentralApp } from '../../packages/central/src/http/app.ts';
import {
  backends,
  openTestDatabase,
  type TestDatabase,
} from '../../packages/central/src/test-support/databases.ts';
import { initServer } from '../../packages/server/src/init.ts';
import { signCheckout } from '../../packages/server/src/leases/checkoutSigner.ts';
import { type LocalServer, openLocalServer } from '../../packages/server/src/localServer.ts';
import { SyncRelay } from '../support/relay.ts';

/**
 * Replays and clocks (S8, S10; docs/security.md, Messages between the servers and Time): replays of
 * requests and responses, online and by file, and a clock wound back or forward, against a real
 * central server (in process, on PGlite) and a real local server (its SQLite file and keys), each on
 * a clock the test moves. Every case gets the code S8 and S10 name, and nothing — neither the 366
 * days nor a checkout — is won by moving the clock.
 */
const START = new Date('2027-03-01T09:00:00Z').getTime();

async function codeOf(run: () => unknown): Promise<string> {
  try {
    await run();
  } catch (error) {
    if (error instanceof LeaseholdError) return error.code;
    throw error;
  }
  return 'OK';
}

describe('replay and clock matrix (S8, S10)', () => {
  let database: TestDatabase;
  let central: FastifyInstance;
  let relay: SyncRelay;
  let server: LocalServer;
  let vendorKeysText: string;
  const centralClock = new ManualClock(START);
  const localClock = new ManualClock(START);
  let user = 0;
  const activate = () => server.leases.activate({ components: ['Base'], user: `u${++user}`, computer: 'pc' });
  /** Both clocks to the same moment, as two honest machines would be. */
  const bothAt = (ms: number) => {
    centralClock.set(ms);
    localClock.set(ms);
  };
  const centralUrl = () => `http://127.0.0.1:${(central.server.address() as { port: number }).port}`;

  beforeAll(async () => {
    database = await openTestDatabase(backends[0] as (typeof backends)[number]);
    const vendorKeys = await generatePartyKeys();
    const ctx = { db: database.store.db, clock: centralClock, actor: 'test' };
    const { id } = await createServerId(ctx, { customer: 'Clock' });
    await addLicense(ctx, id, {
      expiryDate: '2030-12-31',
      maxCheckoutHours: 48,
      components: [{ name: 'Base', seats: 50 }],
    });
    central = buildCentralApp({
      db: database.store.db,
      clock: centralClock,
      vendorKeys,
      adminTokenSha256: 'x',
    });
    await central.listen({ port: 0, host: '127.0.0.1' });
    relay = await new SyncRelay((central.server.address() as { port: number }).port).start();
    const dir = mkdtempSync(join(tmpdir(), 'leasehold-clock-'));
    vendorKeysText = await serializeVendorPublicKeys(vendorKeys);
    writeFileSync(join(dir, 'vendor.json'), vendorKeysText);
    await initServer({
      dataDir: join(dir, 'server'),
      licenseServerId: id,
      centralUrl: 'http://127.0.0.1',
      centralPorts: [relay.port],
      vendorKeysFile: join(dir, 'vendor.json'),
      plainHttp: true,
      plainHttpCentral: true,
    });
    server = await openLocalServer(join(dir, 'server'), localClock);
    await server.syncClient.sync(server.onlineTransport());
  }, 60_000);
  afterAll(async () => {
    server?.close();
    await relay?.stop();
    await central?.close();
    await database?.destroy();
  });

  const sync = () => server.syncClient.sync(server.onlineTransport());
  const allocationVersion = () => server.store.currentAllocation()?.allocation.version;

  describe('replays', () => {
    it('refuses a request replayed online with REQUEST_REPLAYED, and changes nothing', async () => {
      await sync();
      const [last] = relay.exchanges.slice(-1);
      const again = await fetch(`${centralUrl()}/v1/sync`, {
        method: 'POST',
        headers: { 'content-type': 'application/jose' },
        body: last?.request,
      });
      expect(again.status).toBe(409);
      expect(((await again.json()) as any).error.code).toBe('REQUEST_REPLAYED');
    });

    it('refuses a response replayed online with RESPONSE_STALE, and changes nothing', async () => {
      await sync();
      const replayed = relay.exchanges.at(-1)?.response as string;
      const before = allocationVersion();
      relay.tamper = async () => ({ body: replayed });
      try {
        expect(await codeOf(sync)).toBe('RESPONSE_STALE');
      } finally {
        relay.tamper = undefined;
      }
      expect(allocationVersion()).toBe(before);
    });

    it('refuses a request file answered twice, and a response file imported twice', async () => {
      const { file } = await server.syncClient.exportRequestFile();
      const answer = (body: string) =>
        fetch(`${centralUrl()}/v1/sync/file`, {
          method: 'POST',
          headers: { 'content-type': 'text/plain' },
          body,
        });
      const first = await answer(file);
      expect(first.status).toBe(200);
      const response = await first.text();
      const second = await answer(file);
      expect(((await second.json()) as any).error.code).toBe('REQUEST_REPLAYED');
      await server.syncClient.importResponseFile(response);
      const version = allocationVersion();
      expect(await codeOf(() => server.syncClient.importResponseFile(response))).toBe('RESPONSE_STALE');
      expect(allocationVersion()).toBe(version);
    });

    it('refuses an online response imported as a file when a newer one is applied (RESPONSE_STALE)', async () => {
      await sync();
      const older = relay.exchanges.at(-1)?.response as string;
      await sync();
      const asFile = armor('RESPONSE', older, {});
      expect(await codeOf(() => server.syncClient.importResponseFile(asFile))).toMatch(/^RESPONSE_STALE$/);
    });
  });

  describe('the clock wound back or forward', () => {
    it.each([
      ['an hour', HOUR_MS],
      ['a day', DAY_MS],
      ['a year', 365 * DAY_MS],
    ])(
      'refuses licenses with CLOCK_ROLLBACK when wound back %s, and grants again once right',
      async (_n, back) => {
        const now = localClock.now().getTime();
        expect(await codeOf(activate)).toBe('OK');
        localClock.set(now - back);
        expect(await codeOf(activate)).toBe('CLOCK_ROLLBACK');
        expect(
          await codeOf(() =>
            server.leases.checkout({ components: ['Base'], user: 'c', computer: 'pc', hours: 1 }),
          ),
        ).toBe('CLOCK_ROLLBACK');
        localClock.set(now);
        expect(await codeOf(activate)).toBe('OK');
      },
    );

    it('tolerates a few minutes back (clock adjustments) without refusing', async () => {
      const now = localClock.now().getTime();
      localClock.set(now - 5 * 60_000);
      expect(await codeOf(activate)).toBe('OK');
      localClock.set(now);
    });

    it('wound forward a day and back: CLOCK_ROLLBACK until the clock catches up with what it saw', async () => {
      const now = localClock.now().getTime();
      localClock.set(now + DAY_MS);
      expect(await codeOf(activate)).toBe('OK');
      localClock.set(now);
      expect(await codeOf(activate)).toBe('CLOCK_ROLLBACK');
      localClock.set(now + DAY_MS + HOUR_MS);
      expect(await codeOf(activate)).toBe('OK');
      centralClock.set(localClock.now());
    });

    it('never gives back the 366 days: 366 × 24 hours on is NOT_SYNCHRONIZED, and winding back is CLOCK_ROLLBACK', async () => {
      bothAt(localClock.now().getTime() + HOUR_MS);
      await sync();
      const syncedAt = localClock.now().getTime();
      localClock.set(syncedAt + 366 * DAY_MS - 1000);
      expect(await codeOf(activate)).toBe('OK');
      localClock.set(syncedAt + 366 * DAY_MS);
      expect(await codeOf(activate)).toBe('NOT_SYNCHRONIZED');
      localClock.set(syncedAt + 367 * DAY_MS);
      expect(await codeOf(activate)).toBe('NOT_SYNCHRONIZED');
      for (const back of [HOUR_MS, DAY_MS, 300 * DAY_MS]) {
        localClock.set(syncedAt + 367 * DAY_MS - back);
        expect(await codeOf(activate), `back ${back} ms`).toBe('CLOCK_ROLLBACK');
      }
      // A sync is the only way back: the vendor's clock must agree with the local one (CLOCK_SKEW).
      localClock.set(syncedAt + 367 * DAY_MS);
      expect(await codeOf(sync)).toBe('CLOCK_SKEW');
      centralClock.set(localClock.now());
      expect(await codeOf(sync)).toBe('OK');
      expect(await codeOf(activate)).toBe('OK');
    });

    it('never lengthens a checkout: it ends at its time, offline and on the server, whatever the clock did', async () => {
      const grantedAt = localClock.now().getTime();
      const lease = server.leases.checkout({
        components: ['Base'],
        user: 'cara',
        computer: 'pc-cara',
        hours: 2,
      });
      const token = await signCheckout(lease, server.config.licenseServerId, server.keys, server.store);
      const vendor = await parseVendorPublicKeys(vendorKeysText);
      const verifyAt = (ms: number) =>
        codeOf(() => verifyCheckoutToken(token, { vendorSigningKeys: vendor.signing, now: new Date(ms) }));
      expect(await verifyAt(grantedAt + HOUR_MS)).toBe('OK');
      expect(await verifyAt(grantedAt + 2 * HOUR_MS + 1)).toBe('CHECKOUT_EXPIRED');
      // The server frees the seat at the end, and a clock wound back afterwards grants nothing.
      localClock.set(grantedAt + 3 * HOUR_MS);
      expect(await codeOf(activate)).toBe('OK'); // a decision expires what is due first
      expect(server.store.db.prepare('select count(*) as n from leases where id = ?').get(lease.id)).toEqual({
        n: 0,
      });
      localClock.set(grantedAt + HOUR_MS);
      expect(
        await codeOf(() =>
          server.leases.checkout({ components: ['Base'], user: 'cara', computer: 'pc-cara', hours: 2 }),
        ),
      ).toBe('CLOCK_ROLLBACK');
      localClock.set(grantedAt + 3 * HOUR_MS);
    });
  });
});
