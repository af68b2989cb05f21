import { type KeyObject, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  CHECKOUT_TOKEN_TYPE,
  type CheckoutToken,
  signCheckoutToken,
  verifyCheckoutToken,
} from './checkout.ts';
import { LeaseholdError } from './errors.ts';
import { generatePartyKeys, publicJwkOf } from './keys.ts';
import type { Allocation, Ed25519PublicJwk } from './schemas.ts';
import {
  certifyAllocation,
  licenseEndMs,
  SERVER_KEY_CERTIFICATE_TYPE,
  type ServerKeyCertificate,
  SYNC_WINDOW_MS,
  signServerKeyCertificate,
  verifyServerKeyCertificate,
} from './serverKeyCertificate.ts';

/**
 * The server key certificate bounds what the server key may sign (docs/security.md, The chain of
 * trust). The customer holds the server's private key, so every attack here is a token signed with
 * that real key and the real vendor certificate: only the certificate's bounds stand in the way.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const LS = 'LS-AAAA-BBBB-CCCC';
const LICENSE = 'AAAAA-AAAAA-AAAAA-AAAAA-AAAAA-0000001';
/** A license that outlasts the sync window and allows the longest checkout. */
const LONG_LICENSE = 'AAAAA-AAAAA-AAAAA-AAAAA-AAAAA-0000002';
const UNLISTED = 'AAAAA-AAAAA-AAAAA-AAAAA-AAAAA-0000003';
const ISSUED = new Date('2027-03-01T09:00:00.000Z');
const NOT_AFTER = new Date(ISSUED.getTime() + SYNC_WINDOW_MS);

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
/** A compact JWS over any header and payload, signed with a real key. */
function signed(header: Record<string, unknown>, payload: unknown, key: KeyObject): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${sign(null, Buffer.from(input), key).toString('base64url')}`;
}

describe('server key certificates bound what the server key signs', async () => {
  const [vendor, server, stranger] = await Promise.all([
    generatePartyKeys(),
    generatePartyKeys(),
    generatePartyKeys(),
  ]);
  const vendorKeys = new Map([[vendor.signing.kid, vendor.signing.publicKey]]);
  const allocation: Allocation = {
    licenseServerId: LS,
    version: 4,
    issuedAt: ISSUED.toISOString(),
    licenses: [
      {
        number: LICENSE,
        startDate: '2027-01-01',
        expiryDate: '2027-06-30',
        maxCheckoutHours: 720,
        components: [
          { name: 'Base', seats: 5 },
          { name: 'Solver', seats: 2 },
        ],
      },
      {
        number: LONG_LICENSE,
        startDate: '2027-01-01',
        expiryDate: '2099-12-31',
        maxCheckoutHours: 8784,
        components: [{ name: 'Base', seats: 1 }],
      },
    ],
  };
  const serverJwk = publicJwkOf(server.signing.publicKey) as Ed25519PublicJwk;
  const certificatePayload: ServerKeyCertificate = {
    type: SERVER_KEY_CERTIFICATE_TYPE,
    licenseServerId: LS,
    serverKeyId: server.signing.kid,
    serverSigningKey: serverJwk,
    issuedAt: ISSUED.toISOString(),
    notAfter: NOT_AFTER.toISOString(),
    allocation,
  };
  const certificate = certifyAllocation(allocation, serverJwk, vendor.signing);

  const claims = (overrides: Partial<CheckoutToken> = {}): CheckoutToken => ({
    type: CHECKOUT_TOKEN_TYPE,
    checkoutId: 'checkout-1',
    licenseServerId: LS,
    licenseNumber: LICENSE,
    components: ['Base', 'Solver'],
    user: 'ann',
    computer: 'pc-ann',
    issuedAt: ISSUED.toISOString(),
    expiresAt: new Date(ISSUED.getTime() + 8 * HOUR).toISOString(),
    ...overrides,
  });
  /** A token issued at `issuedAt` and lasting `ms`. */
  const lasting = (issuedAt: Date, ms: number, overrides: Partial<CheckoutToken> = {}) =>
    claims({
      issuedAt: issuedAt.toISOString(),
      expiresAt: new Date(issuedAt.getTime() + ms).toISOString(),
      ...overrides,
    });

  /** Signs `token` with the server's own key and certificate, verifies it a minute after it was issued. */
  async function verify(token: CheckoutToken, withCertificate = certificate) {
    const compact = signCheckoutToken(token, server.signing, withCertificate);
    const now = new Date(Date.parse(token.issuedAt) + 60_000);
    try {
      return {
        code: 'ACCEPTED',
        payload: await verifyCheckoutToken(compact, { vendorSigningKeys: vendorKeys, now }),
      };
    } catch (error) {
      if (!(error instanceof LeaseholdError)) throw error;
      return { code: error.code, message: error.message };
    }
  }
  const outside = (why: RegExp | string) => ({
    code: 'CHECKOUT_TOKEN_INVALID',
    message: expect.stringMatching(
      new RegExp(`outside the vendor's certificate.*${typeof why === 'string' ? why : why.source}`),
    ),
  });

  it('certifyAllocation certifies the allocation for the sync window from its issue time', () => {
    expect(certificate).toBe(signServerKeyCertificate(certificatePayload, vendor.signing));
    const verified = verifyServerKeyCertificate(certificate, vendorKeys, 'LOCAL_STATE_INVALID');
    expect(verified.payload).toEqual(certificatePayload);
    expect(verified.serverKey.kid).toBe(server.signing.kid);
    expect(verified.vendorKid).toBe(vendor.signing.kid);
    expect(Date.parse(verified.payload.notAfter) - Date.parse(verified.payload.issuedAt)).toBe(366 * DAY);
  });

  it('accepts a token inside every bound (the control)', async () => {
    const token = claims();
    expect(await verify(token)).toEqual({ code: 'ACCEPTED', payload: token });
    // Each bound, met exactly.
    const licenseEnd = new Date(licenseEndMs({ expiryDate: '2027-06-30' }));
    expect(licenseEnd.toISOString()).toBe('2027-06-30T23:59:59.999Z');
    for (const edge of [
      claims({ components: ['Base'] }),
      lasting(ISSUED, 720 * HOUR),
      lasting(new Date(licenseEnd.getTime() - DAY), DAY),
      lasting(new Date(NOT_AFTER.getTime() - 30 * DAY), 30 * DAY, {
        licenseNumber: LONG_LICENSE,
        components: ['Base'],
      }),
      lasting(new Date(ISSUED.getTime() - DAY), HOUR),
    ]) {
      expect(await verify(edge), JSON.stringify(edge)).toMatchObject({ code: 'ACCEPTED' });
    }
  });

  it('refuses a token for a license not in the certificate', async () => {
    expect(await verify(claims({ licenseNumber: UNLISTED }))).toMatchObject(
      outside(`license ${UNLISTED} is not in the vendor's certificate`),
    );
  });

  it('refuses a token for a component the license does not include', async () => {
    expect(await verify(claims({ components: ['Base', 'AnythingAtAll'] }))).toMatchObject(
      outside('does not include AnythingAtAll'),
    );
    expect(await verify(claims({ components: ['AnythingAtAll'] }))).toMatchObject(outside('AnythingAtAll'));
    // A component of another license in the certificate is not this license's.
    expect(
      await verify(claims({ licenseNumber: LONG_LICENSE, components: ['Base', 'Solver'] })),
    ).toMatchObject(outside('does not include Solver'));
  });

  it('refuses a token that never expires (9999-12-31)', async () => {
    for (const licenseNumber of [LICENSE, LONG_LICENSE]) {
      const forever = claims({ licenseNumber, components: ['Base'], expiresAt: '9999-12-31T23:59:59.999Z' });
      expect(await verify(forever), licenseNumber).toMatchObject(outside(''));
    }
  });

  it("refuses a token that runs past the certificate's notAfter", async () => {
    const past = lasting(new Date(NOT_AFTER.getTime() - 30 * DAY), 30 * DAY + 1, {
      licenseNumber: LONG_LICENSE,
      components: ['Base'],
    });
    expect(await verify(past)).toMatchObject(outside('sync window'));
  });

  it("refuses a token that runs past the license's expiry day", async () => {
    const licenseEnd = licenseEndMs({ expiryDate: '2027-06-30' });
    expect(await verify(lasting(new Date(licenseEnd - DAY), DAY + 1))).toMatchObject(
      outside(`end of license ${LICENSE} \\(2027-06-30\\)`),
    );
    expect(await verify(lasting(new Date('2027-06-29T00:00:00Z'), 5 * DAY))).toMatchObject(outside(LICENSE));
  });

  it("refuses a checkout longer than the license's maxCheckoutHours", async () => {
    expect(await verify(lasting(ISSUED, 720 * HOUR + 1))).toMatchObject(outside('720 hours'));
    expect(await verify(lasting(ISSUED, 721 * HOUR))).toMatchObject(outside('longer than'));
  });

  it('refuses a token dated more than a day before its certificate', async () => {
    expect(await verify(lasting(new Date(ISSUED.getTime() - DAY - 1), HOUR))).toMatchObject(
      outside('dated before its certificate'),
    );
    expect(await verify(lasting(new Date(ISSUED.getTime() - 30 * DAY), 31 * DAY))).toMatchObject(
      outside('dated'),
    );
  });

  it('refuses a token for another license server id', async () => {
    expect(await verify(claims({ licenseServerId: 'LS-ZZZZ-ZZZZ-ZZZZ' }))).toMatchObject(
      outside('different license servers'),
    );
  });

  it('refuses a token the certified key did not sign', async () => {
    const compact = signCheckoutToken(claims(), stranger.signing, certificate);
    await expect(
      verifyCheckoutToken(compact, { vendorSigningKeys: vendorKeys, now: ISSUED }),
    ).rejects.toMatchObject({
      code: 'CHECKOUT_TOKEN_INVALID',
      message: expect.stringMatching(/unknown key/),
    });
  });

  it('refuses a version-1 certificate (no notAfter, no allocation), however its payload reads', async () => {
    const { notAfter: _n, allocation: _a, ...oldPayload } = certificatePayload;
    const header = { alg: 'EdDSA', kid: vendor.signing.kid, typ: SERVER_KEY_CERTIFICATE_TYPE };
    const versionOne = signed({ ...header, lhv: 1 }, oldPayload, vendor.signing.privateKey);
    expect(await verify(claims(), versionOne)).toMatchObject({
      code: 'CHECKOUT_TOKEN_INVALID',
      message: expect.stringContaining('format version 1'),
    });
    expect(() => verifyServerKeyCertificate(versionOne, vendorKeys, 'LOCAL_STATE_INVALID')).toThrow(
      expect.objectContaining({ code: 'LOCAL_STATE_INVALID', message: expect.stringContaining('version 1') }),
    );
    // Neither the old header over a new payload, nor the new header over an old payload.
    const oldHeaderNewPayload = signed({ ...header, lhv: 1 }, certificatePayload, vendor.signing.privateKey);
    expect(await verify(claims(), oldHeaderNewPayload)).toMatchObject({ code: 'CHECKOUT_TOKEN_INVALID' });
    const newHeaderOldPayload = signed({ ...header, lhv: 2 }, oldPayload, vendor.signing.privateKey);
    expect(await verify(claims(), newHeaderOldPayload)).toMatchObject({
      code: 'CHECKOUT_TOKEN_INVALID',
      message: expect.stringContaining('malformed'),
    });
    // The control: the same hand-built header and payload, at version 2, is the real certificate.
    expect(signed({ ...header, lhv: 2 }, certificatePayload, vendor.signing.privateKey)).toBe(certificate);
  });

  it('refuses a certificate whose notAfter is not after its issuedAt', async () => {
    for (const notAfter of [new Date(ISSUED.getTime() - DAY), ISSUED]) {
      const backwards = signServerKeyCertificate(
        { ...certificatePayload, notAfter: notAfter.toISOString() },
        vendor.signing,
      );
      expect(() => verifyServerKeyCertificate(backwards, vendorKeys, 'RESPONSE_CERTIFICATE_INVALID')).toThrow(
        expect.objectContaining({
          code: 'RESPONSE_CERTIFICATE_INVALID',
          message: expect.stringContaining('ends before it starts'),
        }),
      );
      expect(await verify(lasting(new Date(ISSUED.getTime() - 2 * HOUR), HOUR), backwards)).toMatchObject({
        code: 'CHECKOUT_TOKEN_INVALID',
        message: expect.stringContaining('ends before it starts'),
      });
    }
  });
});

describe('verifyServerKeyCertificate', async () => {
  const [vendor, impostor, server, other] = await Promise.all([
    generatePartyKeys(),
    generatePartyKeys(),
    generatePartyKeys(),
    generatePartyKeys(),
  ]);
  const vendorKeys = new Map([[vendor.signing.kid, vendor.signing.publicKey]]);
  const serverJwk = publicJwkOf(server.signing.publicKey) as Ed25519PublicJwk;
  const allocation: Allocation = {
    licenseServerId: LS,
    version: 1,
    issuedAt: ISSUED.toISOString(),
    licenses: [
      {
        number: LICENSE,
        startDate: '2027-01-01',
        expiryDate: '2099-12-31',
        maxCheckoutHours: 720,
        components: [{ name: 'Base', seats: 2 }],
      },
    ],
  };
  const payload: ServerKeyCertificate = {
    type: SERVER_KEY_CERTIFICATE_TYPE,
    licenseServerId: LS,
    serverKeyId: server.signing.kid,
    serverSigningKey: serverJwk,
    issuedAt: ISSUED.toISOString(),
    notAfter: NOT_AFTER.toISOString(),
    allocation,
  };
  const refusal = (compact: string, code: 'LOCAL_STATE_INVALID' | 'RESPONSE_CERTIFICATE_INVALID') => {
    try {
      verifyServerKeyCertificate(compact, vendorKeys, code);
      return { code: 'ACCEPTED' };
    } catch (error) {
      if (!(error instanceof LeaseholdError)) throw error;
      return { code: error.code, message: error.message };
    }
  };

  it('accepts what the vendor signed (the control)', () => {
    expect(refusal(signServerKeyCertificate(payload, vendor.signing), 'LOCAL_STATE_INVALID')).toEqual({
      code: 'ACCEPTED',
    });
  });

  it('refuses a certificate signed by an unknown vendor key, with the code it is given', () => {
    const forged = signServerKeyCertificate(payload, impostor.signing);
    for (const code of ['LOCAL_STATE_INVALID', 'RESPONSE_CERTIFICATE_INVALID'] as const) {
      expect(refusal(forged, code)).toEqual({ code, message: expect.stringContaining('unknown key') });
    }
    // Naming the vendor's kid does not make the impostor's signature the vendor's.
    const misnamed = signServerKeyCertificate(payload, { ...impostor.signing, kid: vendor.signing.kid });
    expect(refusal(misnamed, 'RESPONSE_CERTIFICATE_INVALID')).toEqual({
      code: 'RESPONSE_CERTIFICATE_INVALID',
      message: expect.stringContaining('does not verify'),
    });
  });

  it('refuses an altered payload', () => {
    const genuine = signServerKeyCertificate(payload, vendor.signing);
    const [header, , signature] = genuine.split('.');
    const alterations: ServerKeyCertificate[] = [
      { ...payload, notAfter: '9999-12-31T00:00:00.000Z' },
      {
        ...payload,
        allocation: {
          ...allocation,
          licenses: allocation.licenses.map((l) => ({
            ...l,
            maxCheckoutHours: 8784,
            components: [
              { name: 'Base', seats: 10_000 },
              { name: 'AnythingAtAll', seats: 1 },
            ],
          })),
        },
      },
      {
        ...payload,
        licenseServerId: 'LS-ZZZZ-ZZZZ-ZZZZ',
        allocation: { ...allocation, licenseServerId: 'LS-ZZZZ-ZZZZ-ZZZZ' },
      },
      {
        ...payload,
        serverKeyId: other.signing.kid,
        serverSigningKey: publicJwkOf(other.signing.publicKey) as Ed25519PublicJwk,
      },
    ];
    for (const altered of alterations) {
      expect(refusal(`${header}.${b64(altered)}.${signature}`, 'LOCAL_STATE_INVALID')).toEqual({
        code: 'LOCAL_STATE_INVALID',
        message: expect.stringContaining('does not verify'),
      });
    }
    // Any one character of the payload.
    const start = (header as string).length + 1;
    for (let i = start; i < start + (genuine.split('.')[1] as string).length; i += 97) {
      const c = genuine[i] === 'A' ? 'B' : 'A';
      const altered = `${genuine.slice(0, i)}${c}${genuine.slice(i + 1)}`;
      expect(refusal(altered, 'LOCAL_STATE_INVALID').code, `at ${i}`).toBe('LOCAL_STATE_INVALID');
    }
  });

  it('refuses a certificate whose key is not the key it names', () => {
    const mismatched = signServerKeyCertificate(
      { ...payload, serverKeyId: other.signing.kid },
      vendor.signing,
    );
    expect(refusal(mismatched, 'RESPONSE_CERTIFICATE_INVALID')).toEqual({
      code: 'RESPONSE_CERTIFICATE_INVALID',
      message: expect.stringContaining('names another key'),
    });
    const swapped = signServerKeyCertificate(
      { ...payload, serverSigningKey: publicJwkOf(other.signing.publicKey) as Ed25519PublicJwk },
      vendor.signing,
    );
    expect(refusal(swapped, 'LOCAL_STATE_INVALID')).toMatchObject({ code: 'LOCAL_STATE_INVALID' });
  });

  it('refuses a certificate whose allocation names another license server', () => {
    const twoIds = signServerKeyCertificate(
      { ...payload, allocation: { ...allocation, licenseServerId: 'LS-ZZZZ-ZZZZ-ZZZZ' } },
      vendor.signing,
    );
    expect(refusal(twoIds, 'LOCAL_STATE_INVALID')).toEqual({
      code: 'LOCAL_STATE_INVALID',
      message: expect.stringContaining('two license server ids'),
    });
  });
});
