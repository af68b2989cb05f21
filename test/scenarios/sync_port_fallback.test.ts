import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort, leasehold, tempDir } from '../support/leasehold.ts';
import { World } from '../support/world.ts';

// Tests never use 443 or 8080 themselves: a closed loopback port stands in for a blocked 443, and the
// central server's two free ports stand in for 443 and 8080.
describe('online sync tries port 443, then 8080 (S5, S9)', () => {
  let world: World;
  let id: string;

  beforeAll(async () => {
    world = await World.start();
    id = await world.createServerId();
    await world.addLicense(id);
  });
  afterAll(() => world?.stop());

  it('falls back to the second port when the first is closed', async () => {
    const blocked = await closedPort();
    const server = await world.localServer(id, { name: 'fallback', ports: [blocked, world.ports.fallback] });
    const sync = await server.sync();
    expect(sync.code, sync.stderr).toBe(0);
    expect((await server.status()).synchronized).toBe(true);
  });

  it('says PORTS_BLOCKED, naming what to open, when both ports are closed', async () => {
    const id2 = await world.createServerId('Blocked Customer');
    const server = await world.localServer(id2, {
      name: 'blocked',
      ports: [await closedPort(), await closedPort()],
    });
    const sync = await server.sync();
    expect(sync.code).not.toBe(0);
    expect(sync.json.error.code).toBe('PORTS_BLOCKED');
    expect(sync.stderr).toContain('open outbound TCP 443 or 8080');
    expect(sync.stderr).toContain('ECONNREFUSED');
    const status = await server.status();
    expect(status).toMatchObject({
      synchronized: false,
      lastSyncAttempt: { outcome: 'PORTS_BLOCKED', method: 'online' },
    });
  });

  it('says DNS_FAILED when the central host name does not resolve', async () => {
    const dataDir = tempDir('dns');
    const init = await leasehold([
      'server',
      'init',
      '--data-dir',
      dataDir,
      '--id',
      id,
      '--central-url',
      'https://central.invalid',
      '--vendor-keys',
      world.vendorKeysFile,
      '--plain-http',
    ]);
    expect(init.code, init.stderr).toBe(0);
    const sync = await leasehold(['server', 'sync', '--data-dir', dataDir, '--json']);
    expect(sync.json.error.code).toBe('DNS_FAILED');
  });
});
