import { HOUR_MS, verifyCheckoutToken, verifyLeaseToken } from '@leasehold/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalServer } from '../localServer.ts';
import { syncedLocalServer } from '../test-support/localServer.ts';
import { license } from '../test-support/syncedServer.ts';
import { buildServerApp } from './app.ts';

const CAD = license({
  maxCheckoutHours: 24,
  domain: 'example.com',
  components: [
    { name: 'Base', seats: 2 },
    { name: 'Render', seats: 1 },
  ],
});
const body = { components: ['Render'], user: 'ann', computer: 'ws-1', domain: ' EXAMPLE.com\t' };

describe('client API of the local server', () => {
  let setup: Awaited<ReturnType<typeof syncedLocalServer>>;
  let app: ReturnType<typeof buildServerApp>;
  let server: LocalServer;
  const post = (url: string, payload: unknown) =>
    app.inject({ method: 'POST', url, payload: payload as object });

  beforeAll(async () => {
    setup = await syncedLocalServer([CAD]);
    server = setup.server;
    app = buildServerApp(server);
  });
  afterAll(async () => {
    await app.close();
    server.close();
  });

  it('refuses bad input with 4xx and a code, and changes nothing', async () => {
    const cases: Array<[string, unknown, number, string]> = [
      ['not JSON', '{"components":', 400, 'INVALID_INPUT'],
      ['no components', { user: 'ann', computer: 'ws-1' }, 400, 'INVALID_INPUT'],
      ['an unknown field', { ...body, seats: 99 }, 400, 'INVALID_INPUT'],
      ['a bad component name', { ...body, components: ['Render; drop table'] }, 400, 'INVALID_INPUT'],
      ['a bad license number', { ...body, licenseNumber: '12' }, 400, 'INVALID_INPUT'],
      ['a non-ASCII domain', { ...body, domain: 'exämple.com' }, 400, 'INVALID_INPUT'],
      ['an unknown component', { ...body, components: ['Teleport'] }, 403, 'COMPONENTS_NOT_LICENSED'],
      [
        'an unknown license number',
        { ...body, licenseNumber: 'ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZZZ' },
        404,
        'LICENSE_UNKNOWN',
      ],
      ['another domain', { ...body, domain: 'example.org' }, 403, 'DOMAIN_NOT_SERVED'],
      ['a huge payload', { ...body, instance: 'x'.repeat(100_000) }, 413, 'MESSAGE_TOO_LARGE'],
    ];
    for (const [what, payload, status, code] of cases) {
      const response =
        typeof payload === 'string'
          ? await app.inject({
              method: 'POST',
              url: '/v1/leases',
              payload,
              headers: { 'content-type': 'application/json' },
            })
          : await post('/v1/leases', payload);
      expect(response.statusCode, what).toBe(status);
      expect(response.json().error.code, what).toBe(code);
    }
    for (const url of [
      '/v1/leases/short/renew',
      '/v1/leases/%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00/renew',
    ]) {
      const response = await post(url, {});
      expect(response.statusCode).toBe(400);
    }
    expect((await post('/v1/leases/AAAAAAAAAAAAAAAAAAAAAA/renew', {})).json().error.code).toBe(
      'LEASE_NOT_FOUND',
    );
    expect(
      (await app.inject({ method: 'DELETE', url: '/v1/checkouts/AAAAAAAAAAAAAAAAAAAAAA' })).json().error.code,
    ).toBe('CHECKOUT_NOT_FOUND');
    expect(server.leases.list()).toEqual([]);
  });

  it('activates, renews and releases over HTTP, trimming and ignoring case in the domain (L4)', async () => {
    const granted = await post('/v1/leases', body);
    expect(granted.statusCode).toBe(201);
    const { lease } = granted.json();
    expect(lease.components).toEqual(['Base', 'Render']);
    expect((await post('/v1/leases', { ...body, user: 'bob' })).json().error.code).toBe('NO_SEATS_AVAILABLE');
    expect((await post(`/v1/leases/${lease.id}/renew`, {})).statusCode).toBe(200);
    expect((await app.inject({ method: 'DELETE', url: `/v1/leases/${lease.id}` })).json()).toEqual({
      released: lease.id,
    });
    expect((await post('/v1/leases', { ...body, user: 'bob' })).statusCode).toBe(201);
  });

  it('answers each grant and renewal with a lease token for the nonce it was sent, inside the certificate (L2)', async () => {
    const trusted = { vendorSigningKeys: setup.vendorPublicKeys.signing };
    const granted = await post('/v1/leases', {
      ...body,
      components: ['Base'],
      user: 'dee',
      nonce: 'grant-nonce-0000000001',
    });
    expect(granted.statusCode).toBe(201);
    const { lease, leaseToken } = granted.json();
    const claims = verifyLeaseToken(leaseToken, { ...trusted, nonce: 'grant-nonce-0000000001' });
    expect(claims).toMatchObject({
      leaseId: lease.id,
      licenseNumber: CAD.number,
      components: ['Base'],
      user: 'dee',
      issuedAt: lease.grantedAt,
      expiresAt: lease.expiresAt,
    });
    expect(() => verifyLeaseToken(leaseToken, { ...trusted, nonce: 'another-nonce-000000001' })).toThrowError(
      expect.objectContaining({ code: 'LEASE_NOT_TRUSTED' }) as Error,
    );
    setup.clock.advance(60_000);
    const renewed = await post(`/v1/leases/${lease.id}/renew`, { nonce: 'renew-nonce-0000000001' });
    const again = verifyLeaseToken(renewed.json().leaseToken, {
      ...trusted,
      nonce: 'renew-nonce-0000000001',
      leaseId: lease.id,
    });
    expect(again.issuedAt).toBe(renewed.json().lease.renewedAt);
    expect(Date.parse(again.issuedAt) - Date.parse(claims.issuedAt)).toBe(60_000);
    expect((await post(`/v1/leases/${lease.id}/renew`, { nonce: 'short' })).json().error.code).toBe(
      'INVALID_INPUT',
    );
    await app.inject({ method: 'DELETE', url: `/v1/leases/${lease.id}` });
  });

  it('names the machine in the checkout token, and tells an active checkout from a returned one (L3)', async () => {
    const machine = 'M'.repeat(43);
    const response = await post('/v1/checkouts', {
      ...body,
      components: ['Base'],
      user: 'eve',
      hours: 2,
      machine,
    });
    expect(response.statusCode).toBe(201);
    const { checkout } = response.json();
    const verified = await verifyCheckoutToken(checkout.token, {
      vendorSigningKeys: setup.vendorPublicKeys.signing,
      now: setup.clock.now(),
      machine,
    });
    expect(verified.machine).toBe(machine);
    const state = async (id: string) =>
      (await app.inject({ method: 'GET', url: `/v1/checkouts/${id}` })).json();
    expect(await state(checkout.id)).toEqual({ id: checkout.id, state: 'active' });
    await app.inject({ method: 'DELETE', url: `/v1/checkouts/${checkout.id}` });
    expect(await state(checkout.id)).toEqual({ id: checkout.id, state: 'returned' });
    expect(await state('AAAAAAAAAAAAAAAAAAAAAA')).toEqual({ id: 'AAAAAAAAAAAAAAAAAAAAAA', state: 'unknown' });
    expect((await post('/v1/checkouts', { ...body, hours: 2, machine: 'short' })).json().error.code).toBe(
      'INVALID_INPUT',
    );
  });

  it('issues a checkout whose token verifies offline along vendor key, server key, token (L3)', async () => {
    const response = await post('/v1/checkouts', { ...body, components: ['Base'], user: 'cy', hours: 24 });
    expect(response.statusCode, response.body).toBe(201);
    const { checkout } = response.json();
    const options = {
      vendorSigningKeys: setup.vendorPublicKeys.signing,
      now: setup.clock.now(),
      user: 'cy',
      computer: 'ws-1',
    };
    const verified = await verifyCheckoutToken(checkout.token, options);
    expect(verified).toMatchObject({
      checkoutId: checkout.id,
      user: 'cy',
      expiresAt: checkout.expiresAt,
      licenseServerId: 'LS-AAAA-BBBB-CCCC',
    });

    const flipped =
      checkout.token.slice(0, -5) + (checkout.token.at(-5) === 'A' ? 'B' : 'A') + checkout.token.slice(-4);
    await expect(verifyCheckoutToken(flipped, options)).rejects.toMatchObject({
      code: 'CHECKOUT_TOKEN_INVALID',
    });
    await expect(verifyCheckoutToken(checkout.token, { ...options, user: 'mallory' })).rejects.toMatchObject({
      code: 'CHECKOUT_TOKEN_INVALID',
    });
    const later = new Date(setup.clock.now().getTime() + 25 * HOUR_MS);
    await expect(verifyCheckoutToken(checkout.token, { ...options, now: later })).rejects.toMatchObject({
      code: 'CHECKOUT_EXPIRED',
    });

    const over = await post('/v1/checkouts', { ...body, components: ['Base'], user: 'dee', hours: 25 });
    expect(over.json().error).toMatchObject({ code: 'CHECKOUT_TOO_LONG' });
    expect(over.json().error.message).toContain('24 hours');

    expect((await app.inject({ method: 'DELETE', url: `/v1/checkouts/${checkout.id}` })).json()).toEqual({
      returned: checkout.id,
    });
    expect(server.leases.list().some((l) => l.id === checkout.id)).toBe(false);
  });
});
