import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Daemon, daemon } from '../support/leasehold.ts';
import { type LocalServerHandle, World } from '../support/world.ts';

async function activate(url: string, user: string) {
  const response = await fetch(`${url}/v1/leases`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ components: ['Base'], user, computer: `pc-${user}` }),
  });
  return { status: response.status, body: (await response.json()) as any };
}

function serve(server: LocalServerHandle): Promise<Daemon> {
  return daemon(['server', 'serve', '--data-dir', server.dataDir, '--port', '0', '--host', '127.0.0.1']);
}

describe('seats under load and across a crash (L2)', () => {
  let world: World;

  beforeAll(async () => {
    world = await World.start();
  });
  afterAll(() => world?.stop());

  /** A synchronized local server with one license of `seats` Base seats, serving clients. */
  async function syncedAndServing(name: string, seats: number) {
    const id = await world.createServerId(name);
    await world.vendor([
      'license',
      'add',
      '--server-id',
      id,
      '--expiry',
      '2030-12-31',
      '--component',
      `Base=${seats}`,
    ]);
    const server = await world.localServer(id, { name: name.toLowerCase() });
    expect((await server.sync()).code).toBe(0);
    return { server, running: await serve(server) };
  }

  it('gives 200 clients racing for 10 seats exactly 10 leases', async () => {
    const { server, running } = await syncedAndServing('Race', 10);
    try {
      const answers = await Promise.all(
        Array.from({ length: 200 }, (_, i) => activate(running.info.url, `user-${i}`)),
      );
      const granted = answers.filter((a) => a.status === 201);
      expect(granted).toHaveLength(10);
      expect(new Set(granted.map((a) => a.body.lease.id)).size).toBe(10);
      expect(
        answers.filter((a) => a.status === 409).every((a) => a.body.error.code === 'NO_SEATS_AVAILABLE'),
      ).toBe(true);
      expect(answers.filter((a) => a.status !== 201 && a.status !== 409)).toEqual([]);

      const leases = await server.run(['leases', '--json']);
      expect(leases.json.leases).toHaveLength(10);
      const components = await server.run(['components', '--json']);
      expect(components.json.components).toEqual([
        expect.objectContaining({
          component: 'Base',
          inUse: 10,
          maxUsers: 10,
          free: 0,
          expiryDate: '2030-12-31',
        }),
      ]);
      const users = await server.run(['users', '--json']);
      expect(users.json.users).toHaveLength(10);
      expect(users.json.users[0]).toMatchObject({ kind: 'floating', components: ['Base'] });
      const denials = await server.run(['audit', '--action', 'lease.denied']);
      expect(denials.stdout.trim().split('\n')).toHaveLength(190);
      expect(JSON.parse(denials.stdout.split('\n')[0] as string)).toMatchObject({
        action: 'lease.denied',
        code: 'NO_SEATS_AVAILABLE',
      });
    } finally {
      await running.stop();
    }
  });

  it('keeps every acknowledged lease, once, after kill -9 in the middle of a burst', async () => {
    const { server, running } = await syncedAndServing('Crash', 150);
    const acknowledged: string[] = [];
    let killed = false;
    const burst = Array.from({ length: 400 }, (_, i) =>
      activate(running.info.url, `user-${i}`)
        .then((a) => {
          if (a.status === 201) acknowledged.push(a.body.lease.id);
          // Kill the server mid-burst, with requests still in flight.
          if (acknowledged.length === 40 && !killed) {
            killed = true;
            running.child.kill('SIGKILL');
          }
        })
        .catch(() => {}),
    );
    await Promise.all(burst);
    expect(killed).toBe(true);
    expect(acknowledged.length).toBeGreaterThanOrEqual(40);

    const leases = await server.run(['leases', '--json']);
    expect(leases.code, leases.stderr).toBe(0);
    const held: string[] = leases.json.leases.map((l: { id: string }) => l.id);
    expect(new Set(held).size).toBe(held.length);
    for (const lease of acknowledged) expect(held).toContain(lease);
    expect(held.length).toBeLessThanOrEqual(150);

    // After restart the server goes on counting from what is on disk.
    const restarted = await serve(server);
    try {
      const more = await Promise.all(
        Array.from({ length: 200 }, (_, i) => activate(restarted.info.url, `late-${i}`)),
      );
      const granted = more.filter((a) => a.status === 201).length;
      expect(granted).toBe(150 - held.length);
    } finally {
      await restarted.stop();
    }
  });
});
