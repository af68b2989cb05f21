import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stableStatus } from '../support/leasehold.ts';
import { type LocalServerHandle, World } from '../support/world.ts';

describe('first sync binds the id; another server is refused until the binding is cleared (S3, S4)', () => {
  let world: World;
  let id: string;
  let first: LocalServerHandle;
  let second: LocalServerHandle;

  beforeAll(async () => {
    world = await World.start();
    id = await world.createServerId();
    await world.addLicense(id, '--component', 'Analysis=5');
    first = await world.localServer(id, { name: 'first' });
    second = await world.localServer(id, { name: 'second' });
  });
  afterAll(() => world?.stop());

  it('reports a new server as not synchronized, with no licenses', async () => {
    const status = await first.status();
    expect(status).toMatchObject({
      licenseServerId: id,
      synchronized: false,
      allocationVersion: 0,
      licenses: [],
    });
  });

  it('binds the id to the first server that syncs and delivers its licenses', async () => {
    const sync = await first.sync();
    expect(sync.code, sync.stderr).toBe(0);
    expect(sync.json).toMatchObject({
      licenseServerId: id,
      allocationVersion: 1,
      licenses: 1,
      method: 'online',
    });
    const status = await first.status();
    expect(status).toMatchObject({
      synchronized: true,
      daysRemaining: 365,
      allocationVersion: 1,
      syncCount: 1,
    });
    expect(status.licenses[0].components).toEqual([
      { name: 'Base', seats: 10 },
      { name: 'Analysis', seats: 5 },
    ]);
    const shown = await world.vendor(['server-id', 'show', id, '--json']);
    expect(shown.json.binding.serverKeyId).toBe(first.serverKeyId);
  });

  it('refuses a second server with fresh keys and the same id with SERVER_ID_IN_USE, changing nothing', async () => {
    const before = stableStatus(await second.status());
    const sync = await second.sync();
    expect(sync.code).not.toBe(0);
    expect(sync.json.error.code).toBe('SERVER_ID_IN_USE');
    expect(sync.stderr).toContain('error SERVER_ID_IN_USE');
    expect(sync.stderr).toContain('ask the vendor to clear the binding');
    expect(stableStatus(await second.status())).toEqual(before);
    const shown = await world.vendor(['server-id', 'show', id, '--json']);
    expect(shown.json.binding.serverKeyId).toBe(first.serverKeyId);
    expect(shown.json.syncHistory[0]).toMatchObject({
      outcome: 'SERVER_ID_IN_USE',
      serverKeyId: second.serverKeyId,
    });
  });

  it('after `binding clear` binds the second server and refuses the first', async () => {
    const noReason = await world.vendor(['binding', 'clear', '--server-id', id, '--json']);
    expect(noReason.code).not.toBe(0);
    const cleared = await world.vendor([
      'binding',
      'clear',
      '--server-id',
      id,
      '--reason',
      'customer replaced the machine',
      '--json',
    ]);
    expect(cleared.code, cleared.stderr).toBe(0);
    expect(cleared.json).toMatchObject({ cleared: true, serverKeyId: first.serverKeyId });

    const sync = await second.sync();
    expect(sync.code, sync.stderr).toBe(0);
    expect((await second.status()).synchronized).toBe(true);

    const refused = await first.sync();
    expect(refused.json.error.code).toBe('SERVER_ID_IN_USE');
    const shown = await world.vendor(['server-id', 'show', id, '--json']);
    expect(shown.json.binding.serverKeyId).toBe(second.serverKeyId);
  });

  it('refuses an id the central server does not know with SERVER_ID_UNKNOWN', async () => {
    const stranger = await world.localServer('LS-0000-0000-0000', { name: 'stranger' });
    const sync = await stranger.sync();
    expect(sync.json.error.code).toBe('SERVER_ID_UNKNOWN');
    expect((await stranger.status()).synchronized).toBe(false);
  });
});
