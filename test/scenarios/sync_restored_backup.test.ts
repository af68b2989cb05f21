import { cpSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leasehold, tempDir } from '../support/leasehold.ts';
import { World } from '../support/world.ts';

describe('a local server restored from a backup (S3; docs/operations.md, Restore)', () => {
  let world: World;
  beforeAll(async () => {
    world = await World.start();
  });
  afterAll(() => world?.stop());

  it('still syncs, and both the vendor and the local status say its sync count went backwards', async () => {
    const id = await world.createServerId();
    await world.addLicense(id);
    const server = await world.localServer(id);
    expect((await server.sync()).code).toBe(0);
    const backup = `${tempDir('backup')}/data`;
    cpSync(server.dataDir, backup, { recursive: true });
    expect((await server.sync()).code).toBe(0);
    expect((await server.sync()).code).toBe(0);
    expect((await server.status()).messages.map((m: { code: string }) => m.code)).not.toContain(
      'SERVER_STATE_ROLLBACK',
    );

    // The administrator restores last week's backup of the data folder.
    rmSync(server.dataDir, { recursive: true });
    cpSync(backup, server.dataDir, { recursive: true });
    const synced = await server.sync();
    expect(synced.code, synced.stderr).toBe(0);
    const status = await server.status();
    expect(status.synchronized).toBe(true);
    expect(status.messages).toContainEqual(
      expect.objectContaining({ level: 'warning', code: 'SERVER_STATE_ROLLBACK' }),
    );
    const shown = await world.vendor(['server-id', 'show', id, '--json']);
    // The restored audit log no longer holds the head the last sync reported either (S12).
    expect(shown.json.syncHistory.map((h: { flags: string[] }) => h.flags)).toContainEqual([
      'SERVER_STATE_ROLLBACK',
      'AUDIT_CHAIN_NOT_EXTENDING',
    ]);
  });

  it('flags a copied data folder that syncs in turns with the original (SERVER_STATE_FORK) to the vendor', async () => {
    const id = await world.createServerId();
    await world.addLicense(id);
    const original = await world.localServer(id, { name: 'original' });
    expect((await original.sync()).code).toBe(0);
    // The customer copies the whole data folder (keys included) to a second machine.
    const copyDir = `${tempDir('copy')}/data`;
    cpSync(original.dataDir, copyDir, { recursive: true });
    const syncCopy = () => leasehold(['server', 'sync', '--json', '--data-dir', copyDir]);
    for (let round = 0; round < 2; round++) {
      expect((await original.sync()).code).toBe(0);
      expect((await syncCopy()).code).toBe(0);
    }
    const shown = await world.vendor(['server-id', 'show', id, '--json']);
    expect(shown.json.serverStateFork?.count).toBeGreaterThanOrEqual(1);
    // Each copy's audit log holds not the other's head: every turn also shows as a broken anchor.
    const flags = shown.json.syncHistory.flatMap((h: { flags: string[] }) => h.flags);
    expect(flags).toContain('SERVER_STATE_FORK');
    expect(flags).toContain('AUDIT_CHAIN_NOT_EXTENDING');
    const human = await world.vendor(['server-id', 'show', id]);
    expect(human.stdout).toContain('warning SERVER_STATE_FORK');
  });

  it('refuses the restored copy with SERVER_STATE_REFUSED once the vendor sets the policy, and the original goes on', async () => {
    const id = await world.createServerId();
    await world.addLicense(id);
    const server = await world.localServer(id, { name: 'strict' });
    expect((await server.sync()).code).toBe(0);
    const backup = `${tempDir('strict-backup')}/data`;
    cpSync(server.dataDir, backup, { recursive: true });
    expect((await server.sync()).code).toBe(0);
    const set = await world.vendor(['server-id', 'policy', id, '--refuse-flagged', 'on', '--json']);
    expect(set.json).toEqual({ licenseServerId: id, refuseFlagged: true });
    const restored = await leasehold(['server', 'sync', '--json', '--data-dir', backup]);
    expect(restored.code).not.toBe(0);
    expect(restored.json.error.code).toBe('SERVER_STATE_REFUSED');
    expect((await server.sync()).code).toBe(0);
    const shown = await world.vendor(['server-id', 'show', id]);
    expect(shown.stdout).toContain('flagged syncs: refused (SERVER_STATE_REFUSED)');
  });
});
