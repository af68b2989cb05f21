import { createHmac, type KeyObject, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  CHECKOUT_TOKEN_TYPE,
  type CheckoutToken,
  MAX_CHECKOUT_TOKEN_BYTES,
  SERVER_KEY_CERTIFICATE_TYPE,
  type ServerKeyCertificate,
  SYNC_WINDOW_MS,
  signCheckoutToken,
  signServerKeyCertificate,
  verifyCheckoutToken,
} from './checkout.ts';
import { LeaseholdError } from './errors.ts';
import { signVendorKeyAnnouncement } from './keyAnnouncement.ts';
import { generatePartyKeys, publicJwkOf } from './keys.ts';
import type { Ed25519PublicJwk } from './schemas.ts';

/**
 * Checkout token hygiene (L3; docs/security.md, Header hygiene): the SDK verifies a token offline, so
 * whatever an application is handed must be refused on its header alone when the header is not
 * Leasehold's — before the vendor key or the server key is looked up.
 */

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('checkout token hygiene: refused before any key lookup', async () => {
  const vendor = await generatePartyKeys();
  const server = await generatePartyKeys();
  const now = new Date('2027-03-01T09:00:00Z');
  const certificatePayload: ServerKeyCertificate = {
    type: SERVER_KEY_CERTIFICATE_TYPE,
    licenseServerId: 'LS-AAAA-BBBB-CCCC',
    serverKeyId: server.signing.kid,
    serverSigningKey: publicJwkOf(server.signing.publicKey) as Ed25519PublicJwk,
    issuedAt: now.toISOString(),
    notAfter: new Date(now.getTime() + SYNC_WINDOW_MS).toISOString(),
    allocation: {
      licenseServerId: 'LS-AAAA-BBBB-CCCC',
      version: 1,
      issuedAt: now.toISOString(),
      licenses: [
        {
          number: 'AAAAA-AAAAA-AAAAA-AAAAA-AAAAA-0000001',
          startDate: '2027-01-01',
          expiryDate: '2099-12-31',
          maxCheckoutHours: 720,
          components: [{ name: 'Base', seats: 5 }],
        },
      ],
    },
  };
  const token: CheckoutToken = {
    type: CHECKOUT_TOKEN_TYPE,
    checkoutId: 'checkout-1',
    licenseServerId: 'LS-AAAA-BBBB-CCCC',
    licenseNumber: 'AAAAA-AAAAA-AAAAA-AAAAA-AAAAA-0000001',
    components: ['Base'],
    user: 'ann',
    computer: 'pc-ann',
    issuedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + 3_600_000).toISOString(),
  };
  const certificate = signServerKeyCertificate(certificatePayload, vendor.signing);

  /** Verifies with vendor key lookups counted. */
  async function verifyCounting(compact: string) {
    let lookups = 0;
    const keys = new Map([[vendor.signing.kid, vendor.signing.publicKey]]);
    const counted = {
      get: (kid: string) => {
        lookups += 1;
        return keys.get(kid);
      },
    } as unknown as ReadonlyMap<string, KeyObject>;
    try {
      await verifyCheckoutToken(compact, { vendorSigningKeys: counted, now });
      return { code: 'ACCEPTED', lookups };
    } catch (error) {
      if (!(error instanceof LeaseholdError)) throw error;
      return { code: error.code, lookups, message: error.message };
    }
  }

  /** A JWS over any header, signed with a real key (so only the header is wrong). */
  function signed(header: Record<string, unknown>, payload: unknown, key: KeyObject): string {
    const input = `${b64(header)}.${b64(payload)}`;
    return `${input}.${sign(null, Buffer.from(input), key).toString('base64url')}`;
  }
  const tokenHeader = { alg: 'EdDSA', kid: server.signing.kid, typ: CHECKOUT_TOKEN_TYPE, lhv: 1 };
  const certificateHeader = {
    alg: 'EdDSA',
    kid: vendor.signing.kid,
    typ: SERVER_KEY_CERTIFICATE_TYPE,
    lhv: 2,
  };

  it('accepts what the server signs, and a certificate carrying vendor key announcements (control)', async () => {
    const good = await signCheckoutToken(token, server.signing, certificate);
    expect(await verifyCounting(good)).toMatchObject({ code: 'ACCEPTED', lookups: 1 });
    const handBuilt = signed({ ...tokenHeader, lhc: certificate }, token, server.signing.privateKey);
    expect((await verifyCounting(handBuilt)).code).toBe('ACCEPTED');
    // The hand-built certificate header the cases below alter is itself accepted.
    const handBuiltCertificate = signed(certificateHeader, certificatePayload, vendor.signing.privateKey);
    expect(handBuiltCertificate).toBe(certificate);
    expect((await verifyCounting(signCheckoutToken(token, server.signing, handBuiltCertificate))).code).toBe(
      'ACCEPTED',
    );
    // Key rotation (S8) puts announcements in the certificate's header: still accepted.
    const next = await generatePartyKeys();
    const announcement = await signVendorKeyAnnouncement(next.signing, vendor.signing, now);
    const announced = signServerKeyCertificate(certificatePayload, vendor.signing, [announcement]);
    expect((await verifyCounting(await signCheckoutToken(token, server.signing, announced))).code).toBe(
      'ACCEPTED',
    );
  });

  const serverJwk = publicJwkOf(server.signing.publicKey);
  const headerCases: [string, Record<string, unknown>][] = [
    ['an embedded jwk', { jwk: serverJwk }],
    ['a jku URL', { jku: 'https://attacker.example/keys' }],
    ['an x5u URL', { x5u: 'https://attacker.example/cert' }],
    ['an x5c chain', { x5c: ['MIIB'] }],
    ['compression (zip)', { zip: 'DEF' }],
    ['an unknown crit extension', { crit: ['exp'], exp: 1 }],
    ['an unencoded payload (b64)', { b64: false, crit: ['b64'] }],
    ['the wrong typ', { typ: 'JWT' }],
    ['alg none', { alg: 'none' }],
  ];
  // Checkout tokens are format version 1; certificates version 2 (version 1 named no bounds).
  const tokenCases: [string, Record<string, unknown>][] = [
    ...headerCases,
    ['another envelope version', { lhv: 2 }],
  ];
  const certificateCases: [string, Record<string, unknown>][] = [
    ...headerCases,
    ['format version 1 (no bounds)', { lhv: 1 }],
    ['a later format version', { lhv: 3 }],
  ];

  it.each(tokenCases)(
    'refuses a token header with %s before looking up the vendor key',
    async (_n, extra) => {
      const bad = signed({ ...tokenHeader, lhc: certificate, ...extra }, token, server.signing.privateKey);
      expect(await verifyCounting(bad)).toMatchObject({ code: 'CHECKOUT_TOKEN_INVALID', lookups: 0 });
    },
  );

  it.each(certificateCases)('refuses a certificate header with %s', async (_n, extra) => {
    const badCertificate = signed(
      { ...certificateHeader, ...extra },
      certificatePayload,
      vendor.signing.privateKey,
    );
    const bad = await signCheckoutToken(token, server.signing, badCertificate);
    expect(await verifyCounting(bad)).toMatchObject({ code: 'CHECKOUT_TOKEN_INVALID', lookups: 0 });
  });

  it('refuses a token HMAC-signed with the server public key (algorithm confusion)', async () => {
    const pem = server.signing.publicKey.export({ type: 'spki', format: 'pem' });
    const input = `${b64({ ...tokenHeader, alg: 'HS256', lhc: certificate })}.${b64(token)}`;
    const forged = `${input}.${createHmac('sha256', pem).update(input).digest('base64url')}`;
    expect((await verifyCounting(forged)).code).toBe('CHECKOUT_TOKEN_INVALID');
  });

  it('refuses a token with no signature (alg none, empty third part)', async () => {
    const input = `${b64({ ...tokenHeader, alg: 'none', lhc: certificate })}.${b64(token)}`;
    expect(await verifyCounting(`${input}.`)).toMatchObject({ code: 'CHECKOUT_TOKEN_INVALID', lookups: 0 });
  });

  it('refuses an oversize token by its length', async () => {
    const huge = `${'A'.repeat(MAX_CHECKOUT_TOKEN_BYTES)}.A.A`;
    expect(await verifyCounting(huge)).toMatchObject({ code: 'CHECKOUT_TOKEN_INVALID', lookups: 0 });
    const padded = signed(
      { ...tokenHeader, lhc: certificate },
      { ...token, user: 'x'.repeat(MAX_CHECKOUT_TOKEN_BYTES) },
      server.signing.privateKey,
    );
    expect(await verifyCounting(padded)).toMatchObject({ code: 'CHECKOUT_TOKEN_INVALID', lookups: 0 });
  });
});
