import {
  certifyAllocation,
  DAY_MS,
  type Ed25519PublicJwk,
  FORMAT_VERSION,
  LeaseholdError,
  type License,
  type ManualClock,
  openSyncRequest,
  type PartyKeys,
  SYNC_RESPONSE_TYPE,
  sealSyncResponse,
} from '@leasehold/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type LocalServer, openLocalServer } from '../localServer.ts';
import { readStatus } from '../status.ts';
import { syncedLocalServer } from '../test-support/localServer.ts';
import { setAutoSyncMode } from './autoSyncStore.ts';
import { type AutoSyncRun, startAutoSync } from './scheduler.ts';
import type { SyncTransport } from './transport.ts';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;

const baseLicense: License = {
  number: 'AAAAA-AAAAA-AAAAA-AAAAA-AAAAA-0000001',
  startDate: '2026-01-01',
  expiryDate: '2030-12-31',
  maxCheckoutHours: 0,
  components: [{ name: 'Base', seats: 10 }],
};

/**
 * The central server's side of a sync, in process: the real request is opened with the vendor keys
 * and answered with a real sealed response, so the local server runs its whole sync path.
 */
function fakeCentral(clock: ManualClock, vendorKeys: PartyKeys) {
  const central = {
    exchanges: 0,
    down: false,
    gate: undefined as Promise<void> | undefined,
    transport: {
      method: 'online',
      async exchange(message: string) {
        central.exchanges += 1;
        await central.gate;
        if (central.down) throw new LeaseholdError('CENTRAL_UNAVAILABLE', 'the test stopped it');
        const { request, serverSigningKid, serverEncryption } = await openSyncRequest(message, vendorKeys);
        const issuedAt = clock.now().toISOString();
        const allocation = {
          licenseServerId: request.licenseServerId,
          version: request.allocationVersion + 1,
          issuedAt,
          licenses: [baseLicense],
        };
        const certificate = certifyAllocation(allocation, request.serverKeys.signing, vendorKeys.signing);
        return sealSyncResponse(
          {
            type: SYNC_RESPONSE_TYPE,
            formatVersion: FORMAT_VERSION,
            licenseServerId: request.licenseServerId,
            requestId: request.requestId,
            serverKeyId: serverSigningKid,
            issuedAt,
            allocation,
            serverKeyCertificate: certificate,
          },
          vendorKeys,
          serverEncryption,
        );
      },
    } satisfies SyncTransport,
  };
  return central;
}

const opened: LocalServer[] = [];
const stops: AbortController[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop.abort();
  for (const server of opened.splice(0)) server.close();
});

async function setUp() {
  const { server, clock, vendorKeys } = await syncedLocalServer([baseLicense]);
  opened.push(server);
  const central = fakeCentral(clock, vendorKeys);
  const start = (local: LocalServer = server, intervalMs = HOUR_MS, onRun?: (run: AutoSyncRun) => void) => {
    const stop = new AbortController();
    stops.push(stop);
    const scheduler = startAutoSync({
      server: { ...local, onlineTransport: () => central.transport },
      intervalMs,
      signal: stop.signal,
      random: () => 0.5,
      ...(onRun ? { onRun } : {}),
    });
    return { scheduler, stop };
  };
  const t0 = clock.now().getTime();
  return { server, clock, vendorKeys, central, start, at: (ms: number) => new Date(t0 + ms).toISOString() };
}

describe('automatic synchronization (S6), on an injected clock', () => {
  it('is off by default: nothing runs however long the server waits', async () => {
    const { server, clock, central, start } = await setUp();
    const { scheduler } = start();
    clock.advance(400 * DAY_MS);
    expect(await scheduler.tick()).toBeUndefined();
    expect(central.exchanges).toBe(0);
    expect(readStatus(server).autoSync).toEqual({
      mode: 'off',
      nextRunAt: null,
      lastRunAt: null,
      lastOutcome: null,
      consecutiveFailures: 0,
      retryAt: null,
    });
  });

  it('runs weekly syncs seven days apart', async () => {
    const { server, clock, central, start, at } = await setUp();
    setAutoSyncMode(server.store, 'weekly', clock.now());
    const { scheduler } = start();
    await scheduler.settled();
    expect(readStatus(server).autoSync).toMatchObject({ mode: 'weekly', nextRunAt: at(7 * DAY_MS) });

    clock.advance(7 * DAY_MS - 1);
    expect(await scheduler.tick()).toBeUndefined();
    clock.advance(1);
    expect(await scheduler.tick()).toMatchObject({ ok: true, at: at(7 * DAY_MS) });
    expect(readStatus(server)).toMatchObject({
      lastSyncAt: at(7 * DAY_MS),
      allocationVersion: 2,
      autoSync: { nextRunAt: at(14 * DAY_MS), lastRunAt: at(7 * DAY_MS), lastOutcome: 'ok' },
    });

    clock.advance(7 * DAY_MS - 1);
    expect(await scheduler.tick()).toBeUndefined();
    clock.advance(1);
    expect(await scheduler.tick()).toMatchObject({ ok: true, at: at(14 * DAY_MS) });
    expect(central.exchanges).toBe(2);
  });

  it('counts a manual sync: the next automatic one is a week after it', async () => {
    const { server, clock, central, start, at } = await setUp();
    setAutoSyncMode(server.store, 'weekly', clock.now());
    const { scheduler } = start();
    clock.advance(3 * DAY_MS);
    await server.syncClient.sync(central.transport);
    clock.advance(4 * DAY_MS);
    expect(await scheduler.tick()).toBeUndefined();
    expect(readStatus(server).autoSync.nextRunAt).toBe(at(10 * DAY_MS));
  });

  it('retries a failed run with growing back-off, records its code, and clears it on success', async () => {
    const { server, clock, central, start, at } = await setUp();
    setAutoSyncMode(server.store, 'daily', clock.now());
    const { scheduler } = start();
    central.down = true;

    clock.advance(DAY_MS);
    expect(await scheduler.tick()).toMatchObject({
      ok: false,
      code: 'CENTRAL_UNAVAILABLE',
      consecutiveFailures: 1,
      retryAt: at(DAY_MS + 5 * MINUTE_MS),
    });
    const failed = readStatus(server);
    expect(failed.autoSync).toEqual({
      mode: 'daily',
      nextRunAt: at(DAY_MS + 5 * MINUTE_MS),
      lastRunAt: at(DAY_MS),
      lastOutcome: 'CENTRAL_UNAVAILABLE',
      consecutiveFailures: 1,
      retryAt: at(DAY_MS + 5 * MINUTE_MS),
    });
    expect(failed.lastSyncAttempt).toMatchObject({ outcome: 'CENTRAL_UNAVAILABLE', method: 'online' });
    expect(failed.messages.map((m) => m.code)).toEqual(['AUTO_SYNC_FAILED']);

    clock.advance(5 * MINUTE_MS - 1);
    expect(await scheduler.tick()).toBeUndefined();
    clock.advance(1);
    expect(await scheduler.tick()).toMatchObject({
      ok: false,
      consecutiveFailures: 2,
      retryAt: at(DAY_MS + 15 * MINUTE_MS),
    });

    central.down = false;
    clock.advance(10 * MINUTE_MS);
    expect(await scheduler.tick()).toMatchObject({ ok: true });
    const recovered = readStatus(server);
    expect(recovered.autoSync).toMatchObject({
      lastOutcome: 'ok',
      consecutiveFailures: 0,
      retryAt: null,
      nextRunAt: at(2 * DAY_MS + 15 * MINUTE_MS),
    });
    expect(recovered.messages).toEqual([]);
    expect(central.exchanges).toBe(3);
  });

  it('syncs at start when the server was down at the scheduled time, the mode surviving the restart', async () => {
    const { server, clock, central, start, at } = await setUp();
    setAutoSyncMode(server.store, 'weekly', clock.now());
    server.close();
    opened.splice(opened.indexOf(server), 1);

    clock.advance(10 * DAY_MS);
    const restarted = await openLocalServer(server.dataDir, clock);
    opened.push(restarted);
    const { scheduler } = start(restarted);
    // The check made on start is already in flight.
    await scheduler.settled();
    expect(central.exchanges).toBe(1);
    expect(readStatus(restarted)).toMatchObject({
      lastSyncAt: at(10 * DAY_MS),
      autoSync: { mode: 'weekly', lastOutcome: 'ok', nextRunAt: at(17 * DAY_MS) },
    });
  });

  it('runs one sync at a time', async () => {
    const { server, clock, central, start } = await setUp();
    setAutoSyncMode(server.store, 'daily', clock.now());
    let open = () => {};
    central.gate = new Promise((resolve) => {
      open = resolve;
    });
    const { scheduler } = start();
    clock.advance(DAY_MS);
    const first = scheduler.tick();
    expect(await scheduler.tick()).toBeUndefined();
    open();
    expect(await first).toMatchObject({ ok: true });
    expect(central.exchanges).toBe(1);
  });

  it('does not try while the clock is wound back', async () => {
    const { server, clock, central, start } = await setUp();
    setAutoSyncMode(server.store, 'weekly', clock.now());
    const { scheduler } = start();
    clock.advance(8 * DAY_MS);
    server.guard.judge();
    clock.advance(-DAY_MS);
    const historyBefore = readStatus(server).lastSyncAttempt;
    expect(await scheduler.tick()).toBeUndefined();
    expect(readStatus(server).lastSyncAttempt).toEqual(historyBefore);
    expect(central.exchanges).toBe(0);
  });

  it('checks on its own timer, and stops when the signal aborts', async () => {
    const { server, clock, central, start } = await setUp();
    setAutoSyncMode(server.store, 'daily', clock.now());
    const runs: AutoSyncRun[] = [];
    const { stop } = start(server, 10, (run) => runs.push(run));
    clock.advance(DAY_MS);
    await vi.waitFor(() => expect(runs).toHaveLength(1), { timeout: 2_000 });
    expect(runs[0]).toMatchObject({ ok: true });
    stop.abort();
    clock.advance(DAY_MS);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(central.exchanges).toBe(1);
  });
});

describe('setAutoSyncMode', () => {
  it('refuses a mode it does not know with INVALID_INPUT, and audits a change', async () => {
    const { server, clock } = await setUp();
    expect(() => setAutoSyncMode(server.store, 'hourly', clock.now())).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
    setAutoSyncMode(server.store, 'weekly', clock.now());
    expect(server.leases.audit({ action: 'sync.auto' })).toEqual([
      expect.objectContaining({ action: 'sync.auto', detail: 'automatic sync weekly (was off)' }),
    ]);
  });
});
