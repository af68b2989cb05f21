import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultProxy } from '../support/faultProxy.ts';
import { closedPort, stableStatus } from '../support/leasehold.ts';
import { type LocalServerHandle, World } from '../support/world.ts';

/**
 * Network faults (S5, S9; docs/security.md, Networks), local server ↔ central server: the sync goes
 * through a fault-injecting TCP proxy. Latency and a crawling link still sync; a reset before the
 * request falls back to the other port; a silent peer times out as CENTRAL_TIMEOUT; an answer cut
 * mid-stream is CENTRAL_UNAVAILABLE and changes nothing; a request the network delivers twice is
 * applied once.
 */
describe('sync through a faulty network', () => {
  let world: World;
  let id: string;
  let server: LocalServerHandle;
  let primary: FaultProxy;
  let fallback: FaultProxy;

  function pointAt(ports: number[]): void {
    const path = join(server.dataDir, 'server.json');
    const config = JSON.parse(readFileSync(path, 'utf8'));
    writeFileSync(path, JSON.stringify({ ...config, centralPorts: ports, syncTimeoutSeconds: 2 }, null, 2));
  }

  /** The vendor's view of the id, over the admin API (a CLI start per look would cost seconds). */
  async function centralView() {
    const token = readFileSync(join(world.centralDir, 'admin-token'), 'utf8').trim();
    const shown = await fetch(`http://127.0.0.1:${world.ports.primary}/v1/admin/server-ids/${id}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(shown.status).toBe(200);
    return (await shown.json()) as {
      lastAllocationVersion: number;
      serverStateRollback: unknown;
      syncHistory: any[];
    };
  }

  beforeAll(async () => {
    world = await World.start();
    id = await world.createServerId('Faulty Network');
    await world.addLicense(id);
    server = await world.localServer(id);
    primary = await new FaultProxy({ port: world.ports.primary }).start();
    fallback = await new FaultProxy({ port: world.ports.fallback }).start();
    pointAt([primary.port, fallback.port]);
    const first = await server.sync();
    expect(first.code, first.stderr).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await primary?.stop();
    await fallback?.stop();
    await world?.stop();
  });

  it('syncs through latency and a crawling link', async () => {
    primary.always({ kind: 'pass', latencyMs: 150 });
    expect((await server.sync()).code).toBe(0);
    primary.always({ kind: 'slowRead', bytesPerTick: 400, tickMs: 20 });
    const slow = await server.sync();
    expect(slow.code, slow.stderr).toBe(0);
  }, 60_000);

  it('falls back to the second port when the first refuses; a reset after connecting is retried only if nothing went out', async () => {
    // Nothing listens on the first port: the request never went out, so the second port is tried.
    pointAt([await closedPort(), fallback.port]);
    const before = fallback.connections.length;
    const synced = await server.sync();
    expect(synced.code, synced.stderr).toBe(0);
    expect(fallback.connections.length).toBe(before + 1);
    pointAt([primary.port, fallback.port]);
    // Accepted, then reset. If the reset came before the request went out, the other port is
    // tried and the sync succeeds; if after, the request may have reached the central server, so it
    // is not sent again (a copy would be a replay): CENTRAL_UNAVAILABLE, and nothing changed.
    const status = stableStatus(await server.status());
    const vendorBefore = await centralView();
    primary.always({ kind: 'reset' });
    const reset = await server.sync();
    const vendorAfter = await centralView();
    if (reset.code === 0) {
      expect(fallback.connections.length).toBe(before + 2);
      expect(reset.json.allocationVersion).toBe(vendorAfter.lastAllocationVersion);
    } else {
      expect(reset.stderr).toContain('CENTRAL_UNAVAILABLE');
      expect(fallback.connections.length).toBe(before + 1);
      expect(stableStatus(await server.status())).toEqual(status);
    }
    expect(vendorAfter.lastAllocationVersion - vendorBefore.lastAllocationVersion).toBeLessThanOrEqual(1);
    primary.always({ kind: 'pass' });
  }, 60_000);

  it('times out a silent (half-open) central server with CENTRAL_TIMEOUT, changing nothing', async () => {
    const before = stableStatus(await server.status());
    primary.always({ kind: 'halfOpen' });
    fallback.always({ kind: 'halfOpen' });
    const started = Date.now();
    const silent = await server.sync();
    expect(silent.code).not.toBe(0);
    expect(silent.stderr).toMatch(/CENTRAL_TIMEOUT|PORTS_BLOCKED/);
    // Two ports, two seconds each, and the program's start: never the default 20 s per port.
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(stableStatus(await server.status())).toEqual(before);
  }, 60_000);

  it('refuses an answer cut mid-stream with CENTRAL_UNAVAILABLE, and the next sync applies once', async () => {
    const before = stableStatus(await server.status());
    const vendorBefore = await centralView();
    primary.always({ kind: 'resetMidResponse', afterBytes: 300 });
    fallback.always({ kind: 'resetMidResponse', afterBytes: 300 });
    const cut = await server.sync();
    expect(cut.code).not.toBe(0);
    expect(cut.stderr).toContain('CENTRAL_UNAVAILABLE');
    expect(stableStatus(await server.status())).toEqual(before);
    // The central server answered (and counted) the cut request; the local server applied nothing.
    expect((await centralView()).lastAllocationVersion).toBeGreaterThan(vendorBefore.lastAllocationVersion);

    primary.always({ kind: 'pass' });
    fallback.always({ kind: 'pass' });
    const again = await server.sync();
    expect(again.code, again.stderr).toBe(0);
    const vendorAfter = await centralView();
    expect(again.json.allocationVersion).toBe(vendorAfter.lastAllocationVersion);
    expect(vendorAfter.serverStateRollback).toBeNull();
  }, 60_000);

  it('applies a request the network delivers twice once: the copy is refused as a replay', async () => {
    const vendorBefore = await centralView();
    primary.always({ kind: 'duplicate' });
    fallback.always({ kind: 'duplicate' });
    try {
      const synced = await server.sync();
      const vendorAfter = await centralView();
      const newEntries = vendorAfter.syncHistory.slice(
        0,
        vendorAfter.syncHistory.length - vendorBefore.syncHistory.length,
      );
      expect(newEntries.map((e) => e.outcome).sort()).toEqual(['REQUEST_REPLAYED', 'ok'].sort());
      expect(vendorAfter.lastAllocationVersion).toBe(vendorBefore.lastAllocationVersion + 1);
      if (synced.code === 0) expect(synced.json.allocationVersion).toBe(vendorAfter.lastAllocationVersion);
      else expect(synced.stderr).toContain('REQUEST_REPLAYED');
    } finally {
      primary.always({ kind: 'pass' });
      fallback.always({ kind: 'pass' });
    }
  }, 60_000);
});
