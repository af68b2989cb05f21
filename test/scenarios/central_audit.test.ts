import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { World } from '../support/world.ts';

// The vendor's audit log (C1, S4; docs/central.md, Audit): every binding, clearing and license change
// is in the audit log with who, when and what; syncs are in the sync log. Both are append-only
// (packages/central/src/store/appendOnly.test.ts).

describe('the vendor audit log names who did what and when', () => {
  let world: World;

  beforeAll(async () => {
    world = await World.start();
  }, 180_000);
  afterAll(async () => {
    await world?.stop();
  });

  it('records id creation, license changes, the binding, its clearing and a key rotation, newest first', async () => {
    const id = await world.createServerId('Audited Customer');
    const license = await world.addLicense(id);
    const ok = async (args: string[]) => {
      const result = await world.vendor([...args, '--json']);
      expect(result.code, result.stderr).toBe(0);
      return result.json;
    };
    await ok(['license', 'change', '--server-id', id, '--number', license.number, '--component', 'Base=12']);
    const second = await world.addLicense(id);
    await ok(['license', 'remove', '--server-id', id, '--number', second.number]);
    const server = await world.localServer(id);
    expect((await server.sync()).code).toBe(0);
    await ok(['binding', 'clear', '--server-id', id, '--reason', 'customer moved the server']);
    await ok(['keys', 'rotate']);

    const { entries } = await ok(['audit']);
    expect(entries.map((e: { action: string }) => e.action)).toEqual([
      'vendor-key.rotated',
      'binding.cleared',
      'binding.created',
      'license.removed',
      'license.added',
      'license.changed',
      'license.added',
      'server-id.created',
    ]);
    for (const entry of entries) {
      expect(Date.parse(entry.at), entry.action).not.toBeNaN();
      // The CLI went to the running server: its bootstrap token acted; the binding was made by a sync.
      expect(entry.actor, entry.action).toBe(entry.action === 'binding.created' ? 'sync' : 'admin-api');
    }
    const cleared = entries.find((e: { action: string }) => e.action === 'binding.cleared');
    expect(cleared.details).toMatchObject({
      reason: 'customer moved the server',
      serverKeyId: server.serverKeyId,
    });
    const bound = entries.find((e: { action: string }) => e.action === 'binding.created');
    expect(bound.details).toMatchObject({ serverKeyId: server.serverKeyId, method: 'online' });

    const other = await world.createServerId('Other');
    const filtered = await ok(['audit', '--server-id', other]);
    expect(filtered.entries.map((e: { action: string }) => e.action)).toEqual(['server-id.created']);
    expect((await ok(['audit', '--limit', '2'])).entries).toHaveLength(2);
  }, 180_000); // about 15 program runs: a loaded 2-core machine needs more than the default minute

  it('keeps the sync in the sync log with when, how, from which key and address', async () => {
    const id = await world.createServerId();
    await world.addLicense(id);
    const server = await world.localServer(id, { name: 'synced' });
    expect((await server.sync()).code).toBe(0);
    const shown = await world.vendor(['server-id', 'show', id, '--json']);
    expect(shown.json.syncHistory[0]).toMatchObject({
      method: 'online',
      outcome: 'ok',
      serverKeyId: server.serverKeyId,
      sourceAddress: '127.0.0.1',
      allocationVersion: 1,
    });
  });
});
