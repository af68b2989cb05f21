import { cpSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/leasehold.ts';
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
    expect(shown.json.syncHistory.map((h: { flags: string[] }) => h.flags)).toContainEqual([
      'SERVER_STATE_ROLLBACK',
    ]);
  });
});
