import { verifyCheckoutToken } from '@leasehold/protocol';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncedLocalServer } from '../test-support/localServer.ts';
import { license } from '../test-support/syncedServer.ts';
import { buildServerApp } from './app.ts';

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

describe('checkout tokens under random damage (fuzz, L3)', () => {
  let setup: Awaited<ReturnType<typeof syncedLocalServer>>;
  let token: string;

  beforeAll(async () => {
    setup = await syncedLocalServer([
      license({ maxCheckoutHours: 48, components: [{ name: 'Base', seats: 2 }] }),
    ]);
    const app = buildServerApp(setup.server);
    const response = await app.inject({
      method: 'POST',
      url: '/v1/checkouts',
      payload: { components: ['Base'], user: 'ann', computer: 'ws-1', hours: 8 },
    });
    token = response.json().checkout.token;
    await app.close();
  });
  afterAll(() => setup.server.close());

  const verify = (candidate: string) =>
    verifyCheckoutToken(candidate, {
      vendorSigningKeys: setup.vendorPublicKeys.signing,
      now: setup.clock.now(),
    });

  it('verifies the undamaged token', async () => {
    expect((await verify(token)).user).toBe('ann');
  });

  it('refuses a changed character anywhere, including inside the embedded vendor certificate', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: token.length - 1 }),
        fc.integer({ min: 1, max: 63 }),
        async (at, delta) => {
          if (token[at] === '.') return;
          const changed =
            token.slice(0, at) +
            B64URL[(B64URL.indexOf(token[at] as string) + delta) % 64] +
            token.slice(at + 1);
          await expect(verify(changed)).rejects.toMatchObject({ code: 'CHECKOUT_TOKEN_INVALID' });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses truncated tokens and swapped parts', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: token.length - 1 }), async (length) => {
        await expect(verify(token.slice(0, length))).rejects.toMatchObject({
          code: 'CHECKOUT_TOKEN_INVALID',
        });
      }),
      { numRuns: 60 },
    );
    const [header, payload, signature] = token.split('.');
    await expect(verify([payload, header, signature].join('.'))).rejects.toMatchObject({
      code: 'CHECKOUT_TOKEN_INVALID',
    });
  });
});
