import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort, stableStatus } from '../support/leasehold.ts';
import { ConnectProxy } from '../support/proxy.ts';
import { type LocalServerHandle, World } from '../support/world.ts';

const PASSWORD = 'corr3ct-horse';

/**
 * The proxy variables the spawned program sees, lower and upper case alike (the lower-case ones
 * win), so that a proxy set on the machine running the tests cannot take part.
 */
function proxyVariables(values: { https?: string; noProxy?: string } = {}): NodeJS.ProcessEnv {
  return {
    https_proxy: values.https ?? '',
    HTTPS_PROXY: values.https ?? '',
    http_proxy: '',
    HTTP_PROXY: '',
    no_proxy: values.noProxy ?? '',
    NO_PROXY: values.noProxy ?? '',
  };
}

describe('online sync through an HTTP proxy (S7)', () => {
  let world: World;
  let open: ConnectProxy;
  let guarded: ConnectProxy;
  let id: string;
  let server: LocalServerHandle;
  let central: string;

  beforeAll(async () => {
    world = await World.start();
    world.env = proxyVariables();
    id = await world.createServerId('Proxied Customer');
    await world.addLicense(id);
    server = await world.localServer(id, { name: 'proxied' });
    central = `127.0.0.1:${world.ports.primary}`;
    open = await new ConnectProxy().start();
    guarded = await new ConnectProxy({ username: 'alice', password: PASSWORD }).start();
  });
  afterAll(async () => {
    await Promise.all([world?.stop(), open?.stop(), guarded?.stop()]);
  });

  /** Syncs, expects the code, and checks that the failure changed nothing but the sync history. */
  async function expectFailure(code: string) {
    const before = stableStatus(await server.status());
    const sync = await server.sync();
    expect(sync.code).not.toBe(0);
    expect(sync.json.error.code, sync.stderr).toBe(code);
    expect(sync.stdout + sync.stderr).not.toContain(PASSWORD);
    const after = await server.status();
    expect(stableStatus(after)).toEqual(before);
    expect(after.lastSyncAttempt).toMatchObject({ outcome: code, method: 'online' });
    return sync;
  }

  it('syncs through the proxy set with `server proxy set`, which opened a tunnel to the central server', async () => {
    const set = await server.run(['proxy', 'set', open.url, '--json']);
    expect(set.code, set.stderr).toBe(0);
    const sync = await server.sync();
    expect(sync.code, sync.stderr).toBe(0);
    expect(open.tunnels).toContain(central);
    expect((await server.status()).synchronized).toBe(true);
  });

  it('authenticates with the stored credentials, and never shows the password', async () => {
    const set = await server.run(['proxy', 'set', guarded.url, '--user', 'alice', '--password', PASSWORD]);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).not.toContain(PASSWORD);
    expect(statSync(join(server.dataDir, 'proxy.json')).mode & 0o777).toBe(0o600);

    const show = await server.run(['proxy', 'show', '--json']);
    expect(show.json).toEqual({
      proxy: `http://alice:****@127.0.0.1:${guarded.port}`,
      source: 'stored',
      authenticated: true,
      noProxy: [],
    });
    expect(show.stdout).not.toContain(PASSWORD);

    const sync = await server.sync();
    expect(sync.code, sync.stderr).toBe(0);
    expect(guarded.tunnels).toContain(central);
    const status = await server.run(['status', '--json']);
    expect(status.code).toBe(0);
    expect(status.stdout).not.toContain(PASSWORD);
    const human = await server.run(['proxy', 'show']);
    expect(human.stdout).toContain('alice:****@');
    expect(human.stdout).not.toContain(PASSWORD);
  });

  it('says PROXY_AUTH_REQUIRED when the proxy refuses the credentials, and changes nothing', async () => {
    await server.run(['proxy', 'set', `http://alice:wrong@127.0.0.1:${guarded.port}`]);
    const sync = await expectFailure('PROXY_AUTH_REQUIRED');
    expect(sync.stderr).toContain('leasehold server proxy set');
    expect(guarded.connects.at(-1)).toEqual({ target: central, status: 407 });
  });

  it('says PROXY_UNREACHABLE when the proxy is down, without trying port 8080 directly', async () => {
    await server.run(['proxy', 'set', `http://127.0.0.1:${await closedPort()}`]);
    const sync = await expectFailure('PROXY_UNREACHABLE');
    expect(sync.stderr).not.toContain('PORTS_BLOCKED');
  });

  it('uses HTTPS_PROXY when no proxy is stored, and NO_PROXY takes the central host out of it', async () => {
    const cleared = await server.run(['proxy', 'clear', '--json']);
    expect(cleared.json).toEqual({ cleared: true });
    const viaEnvironment = proxyVariables({ https: open.url });

    const shown = await server.run(['proxy', 'show', '--json'], viaEnvironment);
    expect(shown.json).toMatchObject({ proxy: open.url, source: 'environment' });
    const tunnels = open.tunnels.length;
    const sync = await server.sync(viaEnvironment);
    expect(sync.code, sync.stderr).toBe(0);
    expect(open.tunnels.slice(tunnels)).toEqual([central]);

    const connects = open.connects.length;
    const bypassed = await server.sync(proxyVariables({ https: open.url, noProxy: '127.0.0.1' }));
    expect(bypassed.code, bypassed.stderr).toBe(0);
    expect(open.connects.length).toBe(connects);
  });

  it('connects directly once the proxy is cleared and the environment names none', async () => {
    const shown = await server.run(['proxy', 'show', '--json']);
    expect(shown.json).toMatchObject({ proxy: null, source: null });
    const connects = open.connects.length + guarded.connects.length;
    const sync = await server.sync();
    expect(sync.code, sync.stderr).toBe(0);
    expect(open.connects.length + guarded.connects.length).toBe(connects);
  });
});
