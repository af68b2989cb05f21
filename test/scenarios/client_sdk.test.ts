import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ActiveLease, LeaseholdClient, LeaseholdError, verifyCheckout } from '@leasehold/client';
import { errorCatalogue, generatePartyKeys, serializeVendorPublicKeys } from '@leasehold/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { applicationFolder } from '../support/application.ts';
import { DAY_MS, type Daemon, daemon, leasehold } from '../support/leasehold.ts';
import { type LocalServerHandle, World } from '../support/world.ts';

// The client SDK against a real central server and a real local server with 10-second leases:
// Base=10 and Analysis=1, so a second user asking for Analysis finds no seat.

const LEASE_SECONDS = 10;

async function serve(server: LocalServerHandle, options: { port?: number; env?: NodeJS.ProcessEnv } = {}) {
  return daemon(
    [
      'server',
      'serve',
      '--data-dir',
      server.dataDir,
      '--port',
      String(options.port ?? 0),
      '--host',
      '127.0.0.1',
    ],
    options.env,
  );
}

/** Short leases, so that renewal and loss show within seconds (the minimum lease is 10 s). */
function shortLeases(server: LocalServerHandle): void {
  const file = join(server.dataDir, 'server.json');
  const config = JSON.parse(readFileSync(file, 'utf8'));
  writeFileSync(
    file,
    `${JSON.stringify({ ...config, leaseSeconds: LEASE_SECONDS, reaperIntervalSeconds: 1 }, null, 2)}\n`,
  );
}

const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error as LeaseholdError,
  );

describe('the client SDK takes, renews and releases leases, and checks out for offline use (L2, L3)', () => {
  let world: World;
  let server: LocalServerHandle;
  let local: Daemon;
  let url: string;
  /** Every lease a test took, so that a failed test cannot leave one renewing into the next. */
  const held: ActiveLease[] = [];
  /** The vendor public key file the servers were initialized with, as the application ships it. */
  let vendorPublicKeys: string;
  const client = (user: string) =>
    new LeaseholdClient({ url, vendorPublicKeys, user, computer: `${user}-pc`, releaseOnExit: false });
  const activate = async (user: string, components = ['Analysis']) => {
    const lease = await client(user).activate({ components });
    held.push(lease);
    return lease;
  };

  beforeAll(async () => {
    world = await World.start();
    vendorPublicKeys = readFileSync(world.vendorKeysFile, 'utf8');
    const id = await world.createServerId();
    await world.addLicense(id, '--component', 'Analysis=1', '--max-checkout-hours', '24');
    server = await world.localServer(id);
    shortLeases(server);
    const sync = await server.sync();
    expect(sync.code, sync.stderr).toBe(0);
    local = await serve(server);
    url = local.info.url;
  });
  afterEach(async () => {
    await Promise.allSettled(held.splice(0).map((lease) => lease.close()));
  });
  afterAll(async () => {
    await local?.stop();
    await world?.stop();
  });

  it('activates a lease that renews itself before it runs out, then releases it on close', async () => {
    const ann = await activate('ann');
    expect(ann.lease).toMatchObject({
      kind: 'floating',
      components: expect.arrayContaining(['Analysis', 'Base']),
      user: 'ann',
      leaseSeconds: LEASE_SECONDS,
    });
    const first = ann.lease.expiresAt;
    const [renewed] = await once(ann, 'renewed', { signal: AbortSignal.timeout(8_000) });
    expect(Date.parse(renewed.expiresAt)).toBeGreaterThan(Date.parse(first));
    expect(ann.lease).toEqual(renewed);

    const refused = await failureOf(activate('bob'));
    expect(refused).toBeInstanceOf(LeaseholdError);
    expect(refused).toMatchObject({ code: 'NO_SEATS_AVAILABLE', status: 409 });
    expect(refused.message).toContain(errorCatalogue.NO_SEATS_AVAILABLE.message);

    const released = once(ann, 'released');
    const closing = ann.close();
    expect(ann.close()).toBe(closing);
    await closing;
    await released;
    expect(ann.state).toBe('closed');
    const bob = await activate('bob');
    await bob.close();
  });

  it('refuses a checkout longer than the license allows with CHECKOUT_TOO_LONG, naming the maximum', async () => {
    const error = await failureOf(client('ann').checkout({ components: ['Analysis'], hours: 25 }));
    expect(error).toMatchObject({ code: 'CHECKOUT_TOO_LONG' });
    expect(error.message).toContain('the maximum is 24 hours');
  });

  it('frees the seat of a returned checkout at once', async () => {
    const ann = client('ann');
    const checkout = await ann.checkout({ components: ['Analysis'], hours: 2 });
    expect(checkout).toMatchObject({ kind: 'checkout', user: 'ann', computer: 'ann-pc' });
    expect(await failureOf(activate('bob'))).toMatchObject({
      code: 'NO_SEATS_AVAILABLE',
    });
    expect(await ann.returnCheckout(checkout.token)).toEqual({ returned: checkout.id });
    const bob = await activate('bob');
    await bob.close();
    expect(await failureOf(ann.returnCheckout(checkout.id))).toMatchObject({ code: 'CHECKOUT_NOT_FOUND' });
  });

  it('lets scripts activate and release by id with `leasehold client`', async () => {
    const flags = [
      '--url',
      url,
      '--vendor-keys',
      world.vendorKeysFile,
      '--user',
      'carol',
      '--computer',
      'carol-pc',
      '--json',
    ];
    const activated = await leasehold(['client', 'activate', '--component', 'Analysis', ...flags]);
    expect(activated.code, activated.stderr).toBe(0);
    expect(activated.json.lease).toMatchObject({ kind: 'floating', user: 'carol' });
    expect(await failureOf(activate('bob'))).toMatchObject({
      code: 'NO_SEATS_AVAILABLE',
    });
    const released = await leasehold(['client', 'release', activated.json.lease.id, ...flags]);
    expect(released.code, released.stderr).toBe(0);
    expect(released.json).toEqual({ released: activated.json.lease.id });
    const again = await leasehold(['client', 'release', activated.json.lease.id, ...flags]);
    expect(again.code).toBe(1);
    expect(again.json.error.code).toBe('LEASE_NOT_FOUND');
    const bob = await activate('bob');
    await bob.close();
  });

  it('releases the leases of an application stopped with SIGTERM, and lets it end by the signal', async () => {
    // A plain Node application that imports the package by its name: no loader, no flags.
    const folder = applicationFolder(
      join(world.root, 'application'),
      {
        'app.mjs': [
          "import { readFileSync } from 'node:fs';",
          "import { LeaseholdClient } from '@leasehold/client';",
          'const client = new LeaseholdClient({',
          '  url: process.argv[2],',
          "  vendorPublicKeys: readFileSync('vendor-public-keys.json', 'utf8'),",
          "  user: 'dave',",
          "  computer: 'dave-pc',",
          '});',
          `const lease = await client.activate({ components: ['Analysis'] });`,
          'console.log(JSON.stringify(lease.lease));',
          'setInterval(() => {}, 1_000);',
        ].join('\n'),
      },
      { vendorKeysFile: world.vendorKeysFile },
    );
    const app = spawn(process.execPath, ['app.mjs', url], { cwd: folder, env: { PATH: process.env.PATH } });
    let output = '';
    app.stderr.on('data', (d) => (output += d));
    const line = await new Promise<string>((resolve, reject) => {
      app.stdout.once('data', (d) => resolve(String(d)));
      app.once('exit', (code) => reject(new Error(`the application exited with ${code}: ${output}`)));
    });
    const lease = JSON.parse(line);
    expect(await failureOf(activate('bob'))).toMatchObject({
      code: 'NO_SEATS_AVAILABLE',
    });
    app.kill('SIGTERM');
    const [code, signal] = await once(app, 'exit');
    expect({ code, signal }, output).toEqual({ code: null, signal: 'SIGTERM' });
    const bob = await activate('bob');
    // Still inside the application's lease: the seat came back by release, not by expiry.
    expect(Date.parse(lease.expiresAt)).toBeGreaterThan(Date.now());
    await bob.close();
  });

  it('reports NOT_SYNCHRONIZED verbatim from a server that never synchronized', async () => {
    const unsynced = await world.localServer(await world.createServerId(), { name: 'unsynced' });
    const running = await serve(unsynced);
    try {
      const error = await failureOf(
        new LeaseholdClient({ url: running.info.url, vendorPublicKeys, releaseOnExit: false }).activate({
          components: ['Base'],
        }),
      );
      expect(error).toBeInstanceOf(LeaseholdError);
      expect(error).toMatchObject({ code: 'NOT_SYNCHRONIZED', status: 403 });
      expect(error.message).toContain('leasehold server sync');
    } finally {
      await running.stop();
    }
  });

  it("refuses, with LEASE_NOT_TRUSTED, a lease from a server the application's vendor keys do not vouch for", async () => {
    // Another vendor's key file: the real server's certificate is signed by a key it does not hold.
    const otherVendor = await serializeVendorPublicKeys(await generatePartyKeys());
    const stranger = new LeaseholdClient({
      url,
      vendorPublicKeys: otherVendor,
      user: 'erin',
      computer: 'erin-pc',
      releaseOnExit: false,
    });
    let taken: ActiveLease | undefined;
    const error = await failureOf(
      stranger.activate({ components: ['Base'] }).then((lease) => {
        taken = lease;
        held.push(lease);
        return lease;
      }),
    );
    expect(error).toBeInstanceOf(LeaseholdError);
    expect(error).toMatchObject({ code: 'LEASE_NOT_TRUSTED' });
    expect(taken).toBeUndefined();
    // The server granted a Base seat (it runs out with the lease); the SDK holds nothing of it.
  });

  describe('with the server gone', () => {
    let lease: ActiveLease;
    const lost: LeaseholdError[] = [];
    let token: string;
    let checkoutExpiresAt: string;

    it('verifies a checkout offline; a changed token or a later time fails', async () => {
      // Not in `held`: the lease lives on into the next test.
      const ann = client('ann');
      lease = await ann.activate({ components: ['Base'] });
      lease.on('lost', (error) => lost.push(error as LeaseholdError));
      const checkout = await ann.checkout({ components: ['Base'], hours: 2 });
      ({ token, expiresAt: checkoutExpiresAt } = checkout);
      // Right after a renewal, so the whole lease is left for the server to come back.
      await once(lease, 'renewed', { signal: AbortSignal.timeout(8_000) });
      await local.stop();

      const verified = await verifyCheckout(token, vendorPublicKeys, { user: 'ann', computer: 'ann-pc' });
      expect(verified).toMatchObject({ checkoutId: checkout.id, components: ['Base'], user: 'ann' });
      expect(await LeaseholdClient.verifyCheckout(token, vendorPublicKeys)).toEqual(verified);

      const at = token.length - 10;
      const changed = `${token.slice(0, at)}${token[at] === 'A' ? 'B' : 'A'}${token.slice(at + 1)}`;
      expect(await failureOf(verifyCheckout(changed, vendorPublicKeys))).toMatchObject({
        code: 'CHECKOUT_TOKEN_INVALID',
      });
      expect(await failureOf(verifyCheckout(token, vendorPublicKeys, { user: 'mallory' }))).toMatchObject({
        code: 'CHECKOUT_TOKEN_INVALID',
      });
      const later = new Date(Date.parse(checkoutExpiresAt) + 1_000);
      expect(await failureOf(verifyCheckout(token, vendorPublicKeys, { now: later }))).toMatchObject({
        code: 'CHECKOUT_EXPIRED',
      });
    });

    it('loses the lease once when the server comes back and refuses the renewal', async () => {
      // The same port, 400 days on: the last sync is too old, so the renewal gets NOT_SYNCHRONIZED.
      local = await serve(server, {
        port: new URL(url).port ? Number(new URL(url).port) : 0,
        env: { LEASEHOLD_CLOCK_OFFSET_MS: String(400 * DAY_MS) },
      });
      await vi.waitFor(() => expect(lost).toHaveLength(1), { timeout: LEASE_SECONDS * 1000, interval: 100 });
      expect(lost[0]).toMatchObject({ code: 'NOT_SYNCHRONIZED' });
      expect(lease.state).toBe('lost');
      await lease.close();
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      expect(lost).toHaveLength(1);
    });

    it('shows a checkout token offline with `leasehold client show`', async () => {
      const file = join(world.root, 'checkout.token');
      writeFileSync(file, `${token}\n`);
      const shown = await leasehold([
        'client',
        'show',
        '--token',
        `@${file}`,
        '--vendor-keys',
        world.vendorKeysFile,
        '--json',
      ]);
      expect(shown.code, shown.stderr).toBe(0);
      expect(shown.json.checkout).toMatchObject({ user: 'ann', expiresAt: checkoutExpiresAt });
    });
  });
});
