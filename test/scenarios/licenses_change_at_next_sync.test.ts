import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalServerHandle, World } from '../support/world.ts';

describe('licenses added, changed and removed centrally show on the local server at the next sync, not before (S2)', () => {
  let world: World;
  let id: string;
  let server: LocalServerHandle;
  let kept: string;
  let dropped: string;

  beforeAll(async () => {
    world = await World.start();
    id = await world.createServerId();
    kept = (await world.addLicense(id, '--name', 'Kept')).number;
    dropped = (await world.addLicense(id, '--name', 'Dropped')).number;
    server = await world.localServer(id);
    const sync = await server.sync();
    expect(sync.code, sync.stderr).toBe(0);
  });
  afterAll(() => world?.stop());

  it('holds the two licenses of the first sync', async () => {
    const status = await server.status();
    expect(status.licenses.map((l: { number: string }) => l.number).sort()).toEqual([kept, dropped].sort());
  });

  it('does not change before the next sync', async () => {
    const added = await world.addLicense(
      id,
      '--name',
      'Added',
      '--domain',
      'example.com',
      '--max-checkout-hours',
      '48',
    );
    const changed = await world.vendor([
      'license',
      'change',
      '--server-id',
      id,
      '--number',
      kept,
      '--component',
      'Base=25',
      '--component',
      'Render=3',
      '--json',
    ]);
    expect(changed.code, changed.stderr).toBe(0);
    const removed = await world.vendor([
      'license',
      'remove',
      '--server-id',
      id,
      '--number',
      dropped,
      '--json',
    ]);
    expect(removed.code, removed.stderr).toBe(0);

    const status = await server.status();
    expect(status.allocationVersion).toBe(1);
    expect(status.licenses.map((l: { number: string }) => l.number).sort()).toEqual([kept, dropped].sort());
    expect(status.licenses.some((l: { number: string }) => l.number === added.number)).toBe(false);
  });

  it('replaces the whole allocation at the next sync', async () => {
    const sync = await server.sync();
    expect(sync.code, sync.stderr).toBe(0);
    const status = await server.status();
    expect(status.allocationVersion).toBe(2);
    const byName = Object.fromEntries(status.licenses.map((l: { name: string }) => [l.name, l]));
    expect(Object.keys(byName).sort()).toEqual(['Added', 'Kept']);
    expect(byName.Kept.components).toEqual([
      { name: 'Base', seats: 25 },
      { name: 'Render', seats: 3 },
    ]);
    expect(byName.Added).toMatchObject({
      domain: 'example.com',
      maxCheckoutHours: 48,
      expiryDate: '2030-12-31',
    });
  });

  it('refuses invalid license input with INVALID_INPUT and changes nothing', async () => {
    const before = await world.vendor(['license', 'list', '--server-id', id, '--json']);
    const noBase = await world.vendor([
      'license',
      'add',
      '--server-id',
      id,
      '--expiry',
      '2030-01-01',
      '--component',
      'Render=2',
      '--json',
    ]);
    expect(noBase.json.error.code).toBe('INVALID_INPUT');
    expect(noBase.stderr).toContain('Base');
    const backwards = await world.vendor([
      'license',
      'add',
      '--server-id',
      id,
      '--start',
      '2031-01-01',
      '--expiry',
      '2030-01-01',
      '--component',
      'Base=1',
      '--json',
    ]);
    expect(backwards.json.error.code).toBe('INVALID_INPUT');
    const badSeats = await world.vendor([
      'license',
      'add',
      '--server-id',
      id,
      '--expiry',
      '2030-01-01',
      '--component',
      'Base=many',
    ]);
    expect(badSeats.code).not.toBe(0);
    const unknown = await world.vendor([
      'license',
      'remove',
      '--server-id',
      id,
      '--number',
      'AAAAA-AAAAA-AAAAA-AAAAA-AAAAA-AAAAAAA',
      '--json',
    ]);
    expect(unknown.json.error.code).toBe('LICENSE_NOT_FOUND');
    const after = await world.vendor(['license', 'list', '--server-id', id, '--json']);
    expect(after.json).toEqual(before.json);
  });
});
