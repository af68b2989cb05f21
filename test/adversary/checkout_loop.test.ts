import { readFileSync } from 'node:fs';
import { LeaseholdClient, verifyCheckout } from '@leasehold/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Daemon, daemon } from '../support/leasehold.ts';
import { World } from '../support/world.ts';

/**
 * Machine-bound checkouts and recorded returns (L3; docs/security.md): one seat used to give any
 * number of valid offline tokens (check out, keep the token, return, repeat), each usable on any
 * machine. Now a token is bound to the machine it was made for, and a returned one is refused by
 * every application that can reach the server.
 */
describe('a customer who checks out, keeps the token, returns, and repeats', () => {
  let world: World;
  let serve: Daemon;
  let vendorKeys: string;
  const client = (machineId: string) =>
    new LeaseholdClient({
      url: serve.info.url,
      vendorPublicKeys: vendorKeys,
      user: 'mallory',
      computer: 'laptop',
      product: 'Example CAD',
      machineId,
      releaseOnExit: false,
    });

  beforeAll(async () => {
    world = await World.start();
    const id = await world.createServerId();
    await world.addLicense(id, '--max-checkout-hours', '24');
    const local = await world.localServer(id);
    expect((await local.sync()).code).toBe(0);
    serve = await daemon([
      'server',
      'serve',
      '--data-dir',
      local.dataDir,
      '--port',
      '0',
      '--host',
      '127.0.0.1',
    ]);
    vendorKeys = readFileSync(world.vendorKeysFile, 'utf8');
  });
  afterAll(async () => {
    await serve?.stop();
    await world?.stop();
  });

  it('gets one token that counts at a time: every returned one is refused online', async () => {
    const laptop = client('machine-of-the-laptop');
    const kept: string[] = [];
    for (let round = 0; round < 3; round++) {
      const checkout = await laptop.checkout({ components: ['Base'], hours: 8 });
      kept.push(checkout.token);
      expect((await laptop.confirmCheckout(checkout.token)).confirmed).toBe(true);
      await laptop.returnCheckout(checkout.id);
    }
    for (const token of kept) {
      // Offline the returned token still verifies until its end (docs/security.md says so) ...
      await expect(
        verifyCheckout(token, vendorKeys, { product: 'Example CAD', machineId: 'machine-of-the-laptop' }),
      ).resolves.toMatchObject({ user: 'mallory' });
      // ... and whenever the application reaches the server it is refused.
      await expect(laptop.confirmCheckout(token)).rejects.toMatchObject({ code: 'CHECKOUT_RETURNED' });
    }
  });

  it('cannot use a token on another machine, nor under another product name', async () => {
    const checkout = await client('machine-of-the-laptop').checkout({ components: ['Base'], hours: 8 });
    for (const [machineId, product] of [
      ['machine-of-the-desktop', 'Example CAD'],
      ['machine-of-the-laptop', 'Another Product'],
    ] as const) {
      await expect(verifyCheckout(checkout.token, vendorKeys, { product, machineId })).rejects.toMatchObject({
        code: 'CHECKOUT_TOKEN_INVALID',
        message: expect.stringContaining('another machine'),
      });
    }
    await expect(client('machine-of-the-desktop').confirmCheckout(checkout.token)).rejects.toMatchObject({
      code: 'CHECKOUT_TOKEN_INVALID',
    });
    // The raw machine id never reaches the server: the token names only its fingerprint.
    const payload = JSON.parse(Buffer.from(checkout.token.split('.')[1] as string, 'base64url').toString());
    expect(payload.machine).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(checkout.token).not.toContain(Buffer.from('machine-of-the-laptop').toString('base64url'));
    await client('machine-of-the-laptop').returnCheckout(checkout.id);
  });

  it('refuses, offline, a token checked out with no machine by hand (raw HTTP)', async () => {
    const response = await fetch(`${serve.info.url}/v1/checkouts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ components: ['Base'], user: 'mallory', computer: 'laptop', hours: 8 }),
    });
    const { checkout } = (await response.json()) as { checkout: { token: string } };
    await expect(
      verifyCheckout(checkout.token, vendorKeys, {
        product: 'Example CAD',
        machineId: 'machine-of-the-laptop',
      }),
    ).rejects.toMatchObject({ message: expect.stringContaining('no machine in particular') });
  });
});
