import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Daemon, daemon, leasehold } from '../support/leasehold.ts';
import { type LocalServerHandle, World } from '../support/world.ts';

// Usage reports (docs/central.md, Usage reports): a sync carries the local server's usage since its
// last sync; the vendor lists it per id, and the same day sent again counts once.

describe('usage reports travel with syncs and the vendor lists them', () => {
  let world: World;
  let server: LocalServerHandle;
  let local: Daemon;
  let id: string;
  const client = (args: string[], user: string) =>
    leasehold([
      'client',
      ...args,
      '--url',
      local.info.url,
      '--vendor-keys',
      world.vendorKeysFile,
      '--user',
      user,
      '--computer',
      `${user}-pc`,
      '--json',
    ]);
  const usage = async () => {
    const listed = await world.vendor(['usage', id, '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    return listed.json.days.map(({ receivedAt: _r, ...d }: { receivedAt: string }) => d);
  };

  beforeAll(async () => {
    world = await World.start();
    id = await world.createServerId();
    await world.addLicense(id, '--component', 'Analysis=1'); // Base=10, Analysis=1
    server = await world.localServer(id);
    expect((await server.sync()).code).toBe(0);
    local = await daemon([
      'server',
      'serve',
      '--data-dir',
      server.dataDir,
      '--port',
      '0',
      '--host',
      '127.0.0.1',
    ]);
  }, 180_000);
  afterAll(async () => {
    await local?.stop();
    await world?.stop();
  });

  it('reports the peaks and the denials of the day, once however often it syncs', async () => {
    expect(await usage()).toEqual([]);
    const ann = await client(['activate', '--component', 'Analysis'], 'ann');
    expect(ann.code, ann.stderr).toBe(0);
    expect((await client(['activate'], 'bob')).code).toBe(0);
    const denied = await client(['activate', '--component', 'Analysis'], 'cid');
    expect(denied.json.error.code).toBe('NO_SEATS_AVAILABLE');
    expect((await client(['release', ann.json.lease.id], 'ann')).code).toBe(0);

    expect((await server.sync()).code).toBe(0);
    const today = new Date().toISOString().slice(0, 10);
    const licenseNumber = ann.json.lease.licenseNumber;
    const expected = [
      { day: today, licenseNumber, component: 'Analysis', peakInUse: 1, denials: 1 },
      { day: today, licenseNumber, component: 'Base', peakInUse: 2, denials: 0 },
    ];
    expect(await usage()).toEqual(expected);
    // The next sync sends today again: nothing doubles.
    expect((await server.sync()).code).toBe(0);
    expect(await usage()).toEqual(expected);
  }, 180_000); // many program runs: a loaded 2-core machine needs more than the default minute

  it('refuses an unknown id with SERVER_ID_UNKNOWN', async () => {
    const listed = await world.vendor(['usage', 'LS-0000-0000-0000', '--json']);
    expect(listed.code).not.toBe(0);
    expect(listed.json.error.code).toBe('SERVER_ID_UNKNOWN');
  });
});
