import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Daemon, daemon } from '../support/leasehold.ts';
import { freshSchema } from '../support/postgres.ts';
import { World } from '../support/world.ts';

describe('the central server on the machine PostgreSQL: same behaviour, several nodes over one database (C3)', () => {
  let world: World;
  let database: Awaited<ReturnType<typeof freshSchema>>;
  let secondNode: Daemon;

  beforeAll(async () => {
    database = await freshSchema();
    world = await World.start({ databaseUrl: database.url });
    secondNode = await daemon([
      'central',
      'serve',
      '--data-dir',
      world.centralDir,
      '--port',
      '0',
      '--fallback-port',
      '0',
    ]);
  });
  afterAll(async () => {
    await secondNode?.stop();
    await world?.stop();
    await database?.drop();
  });

  it('binds on the first sync through one node and refuses another key through the other node', async () => {
    const id = await world.createServerId();
    await world.addLicense(id);
    const first = await world.localServer(id, { name: 'first' });
    const second = await world.localServer(id, {
      name: 'second',
      ports: [secondNode.info.listening.primary],
    });
    const sync = await first.sync();
    expect(sync.code, sync.stderr).toBe(0);
    const refused = await second.sync();
    expect(refused.json.error.code).toBe('SERVER_ID_IN_USE');
  });

  it('serves license changes made by the CLI on the database directly, through either node', async () => {
    const id = await world.createServerId('Second Customer');
    const license = await world.addLicense(id);
    const server = await world.localServer(id, {
      name: 'changes',
      ports: [secondNode.info.listening.primary],
    });
    expect((await server.sync()).code).toBe(0);
    const changed = await world.vendor([
      'license',
      'change',
      '--server-id',
      id,
      '--number',
      license.number,
      '--component',
      'Base=42',
      '--json',
    ]);
    expect(changed.code, changed.stderr).toBe(0);
    expect((await server.sync()).code).toBe(0);
    const status = await server.status();
    expect(status.allocationVersion).toBe(2);
    expect(status.licenses[0].components).toEqual([{ name: 'Base', seats: 42 }]);
    const shown = await world.vendor(['server-id', 'show', id, '--json']);
    expect(shown.json.syncHistory.map((s: { outcome: string }) => s.outcome)).toEqual(['ok', 'ok']);
  });
});
