import { type KeyObject, sign } from 'node:crypto';
import {
  CHECKOUT_TOKEN_TYPE,
  type CheckoutToken,
  generatePartyKeys,
  MAX_CHECKOUT_TOKEN_BYTES,
  machineFingerprint,
  publicJwkOf,
  SERVER_KEY_CERTIFICATE_TYPE,
  type ServerKeyCertificate,
  SYNC_WINDOW_MS,
  serializeVendorPublicKeys,
  signVendorKeyAnnouncement,
  trustWithAnnouncements,
} from '@leasehold/protocol';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { verifyCheckout } from './client.ts';

// Counts what the SDK hands to the announcement check; everything else is the real protocol code.
vi.mock('@leasehold/protocol', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@leasehold/protocol')>();
  return { ...actual, trustWithAnnouncements: vi.fn(actual.trustWithAnnouncements) };
});

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
function signed(header: Record<string, unknown>, payload: unknown, key: KeyObject): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${sign(null, Buffer.from(input), key).toString('base64url')}`;
}

/**
 * Offline verification after a vendor key rotation: the application ships the old vendor key, the
 * certificate is signed by the new one and carries the old key's announcement of it. A token whose
 * size or headers are refused must be refused before that announcement is read or trusted.
 */
describe('verifyCheckout: size and headers are checked before key announcements are read', async () => {
  const oldVendor = await generatePartyKeys();
  const newVendor = await generatePartyKeys();
  const server = await generatePartyKeys();
  const shipped = await serializeVendorPublicKeys(oldVendor);
  const now = new Date('2027-03-01T09:00:00Z');
  const announcement = await signVendorKeyAnnouncement(newVendor.signing, oldVendor.signing, now);
  const certificatePayload: ServerKeyCertificate = {
    type: SERVER_KEY_CERTIFICATE_TYPE,
    licenseServerId: 'LS-AAAA-BBBB-CCCC',
    serverKeyId: server.signing.kid,
    serverSigningKey: publicJwkOf(server.signing.publicKey) as ServerKeyCertificate['serverSigningKey'],
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
  const payload: CheckoutToken = {
    type: CHECKOUT_TOKEN_TYPE,
    checkoutId: 'checkout-1',
    licenseServerId: 'LS-AAAA-BBBB-CCCC',
    licenseNumber: 'AAAAA-AAAAA-AAAAA-AAAAA-AAAAA-0000001',
    components: ['Base'],
    user: 'ann',
    computer: 'pc-ann',
    machine: machineFingerprint('machine-of-ann', 'default'),
    issuedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + 3_600_000).toISOString(),
  };
  const certificateHeader = {
    alg: 'EdDSA',
    kid: newVendor.signing.kid,
    typ: SERVER_KEY_CERTIFICATE_TYPE,
    lhv: 2,
    lhk: [announcement],
  };
  const certificate = (extra: Record<string, unknown> = {}) =>
    signed({ ...certificateHeader, ...extra }, certificatePayload, newVendor.signing.privateKey);
  const token = (extra: Record<string, unknown> = {}, body: unknown = payload, lhc = certificate()) =>
    signed(
      { alg: 'EdDSA', kid: server.signing.kid, typ: CHECKOUT_TOKEN_TYPE, lhv: 1, lhc, ...extra },
      body,
      server.signing.privateKey,
    );
  const trust = vi.mocked(trustWithAnnouncements);
  beforeEach(() => trust.mockClear());

  async function refusal(compact: string) {
    try {
      await verifyCheckout(compact, shipped, { now, machineId: 'machine-of-ann' });
      return { code: 'ACCEPTED' };
    } catch (error) {
      return { code: (error as { code?: string }).code, message: (error as Error).message };
    }
  }

  it('accepts the well-formed token, following the announcement (the control)', async () => {
    expect(await verifyCheckout(token(), shipped, { now, machineId: 'machine-of-ann' })).toEqual(payload);
    expect(trust).toHaveBeenCalledTimes(1);
    expect(trust.mock.calls[0]?.[1]).toEqual([announcement]);
  });

  it('refuses an oversized token without reading its announcements', async () => {
    const huge = token({}, { ...payload, pad: 'x'.repeat(MAX_CHECKOUT_TOKEN_BYTES) });
    expect(huge.length).toBeGreaterThan(MAX_CHECKOUT_TOKEN_BYTES);
    expect(await refusal(huge)).toMatchObject({
      code: 'CHECKOUT_TOKEN_INVALID',
      message: expect.stringContaining(`larger than any checkout token`),
    });
    expect(trust).not.toHaveBeenCalled();
  });

  const forbidden: Array<[string, unknown]> = [
    ['jwk', publicJwkOf(newVendor.signing.publicKey)],
    ['jku', 'https://attacker.example/keys'],
    ['x5u', 'https://attacker.example/cert'],
    ['x5c', ['MIIB']],
    ['zip', 'DEF'],
    ['crit', ['lhc']],
    ['b64', false],
  ];

  it.each(forbidden)(
    'refuses a token whose header has %s without reading its announcements',
    async (name, value) => {
      expect(await refusal(token({ [name]: value }))).toMatchObject({
        code: 'CHECKOUT_TOKEN_INVALID',
        message: expect.stringContaining(
          `header parameter "${name}" is not allowed (${CHECKOUT_TOKEN_TYPE})`,
        ),
      });
      expect(trust).not.toHaveBeenCalled();
    },
  );

  it.each(forbidden)(
    'refuses a certificate whose header has %s without reading its announcements',
    async (name, value) => {
      expect(await refusal(token({}, payload, certificate({ [name]: value })))).toMatchObject({
        code: 'CHECKOUT_TOKEN_INVALID',
        message: expect.stringContaining(
          `header parameter "${name}" is not allowed (${SERVER_KEY_CERTIFICATE_TYPE})`,
        ),
      });
      expect(trust).not.toHaveBeenCalled();
    },
  );

  // [why, the token header's change, the certificate header's]: tokens are version 1, certificates 2.
  it.each<[string, Record<string, unknown>, Record<string, unknown>]>([
    ['an alg other than EdDSA', { alg: 'none' }, { alg: 'none' }],
    ['another typ', { typ: 'JWT' }, { typ: 'JWT' }],
    ['another version', { lhv: 2 }, { lhv: 1 }],
    ['a later version', { lhv: 3 }, { lhv: 3 }],
    ['no kid', { kid: 7 }, { kid: 7 }],
  ])(
    'refuses a token with %s without reading its announcements',
    async (_why, tokenExtra, certificateExtra) => {
      expect(await refusal(token(tokenExtra))).toMatchObject({ code: 'CHECKOUT_TOKEN_INVALID' });
      expect(await refusal(token({}, payload, certificate(certificateExtra)))).toMatchObject({
        code: 'CHECKOUT_TOKEN_INVALID',
      });
      expect(trust).not.toHaveBeenCalled();
    },
  );

  it('refuses a token that is not compact, or has no certificate, without reading anything', async () => {
    const { lhc: _lhc, ...noCertificate } = {
      alg: 'EdDSA',
      kid: server.signing.kid,
      typ: CHECKOUT_TOKEN_TYPE,
      lhv: 1,
      lhc: '',
    };
    for (const compact of [
      'not a token',
      `${token()}.extra`,
      `${token()}=`,
      signed(noCertificate, payload, server.signing.privateKey),
      `${b64(['EdDSA'])}.${b64(payload)}.AA`,
    ]) {
      expect(await refusal(compact), compact.slice(0, 40)).toMatchObject({ code: 'CHECKOUT_TOKEN_INVALID' });
    }
    expect(trust).not.toHaveBeenCalled();
  });
});
