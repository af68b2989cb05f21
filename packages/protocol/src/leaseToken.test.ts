import { describe, expect, it } from 'vitest';
import { generatePartyKeys, publicJwkOf } from './keys.ts';
import { LEASE_TOKEN_TYPE, type LeaseToken, leaseTokenSigner, verifyLeaseToken } from './leaseToken.ts';
import type { Ed25519PublicJwk } from './schemas.ts';
import { certifyAllocation, type VerifiedCertificate } from './serverKeyCertificate.ts';

const NUMBER = 'AAAAA-AAAAA-AAAAA-AAAAA-AAAAA-0000001';
const issuedAt = new Date('2027-03-01T09:00:00.000Z');

describe('lease tokens: what an SDK takes as a floating lease (L2)', async () => {
  const vendor = await generatePartyKeys();
  const server = await generatePartyKeys();
  const allocation = {
    licenseServerId: 'LS-AAAA-BBBB-CCCC',
    version: 3,
    issuedAt: issuedAt.toISOString(),
    licenses: [
      {
        number: NUMBER,
        startDate: '2027-01-01',
        expiryDate: '2027-12-31',
        maxCheckoutHours: 0,
        components: [
          { name: 'Base', seats: 5 },
          { name: 'Render', seats: 1 },
        ],
      },
      {
        number: NUMBER.replace(/1$/, '2'),
        startDate: '2027-01-01',
        expiryDate: '2029-12-31',
        maxCheckoutHours: 0,
        components: [{ name: 'Base', seats: 5 }],
      },
    ],
  };
  const certificate = certifyAllocation(
    allocation,
    publicJwkOf(server.signing.publicKey) as Ed25519PublicJwk,
    vendor.signing,
  );
  const sign = leaseTokenSigner(server.signing, certificate);
  const claims: LeaseToken = {
    type: LEASE_TOKEN_TYPE,
    leaseId: 'lease-000000000000001',
    licenseServerId: 'LS-AAAA-BBBB-CCCC',
    licenseNumber: NUMBER,
    components: ['Base', 'Render'],
    user: 'ann',
    computer: 'ws-1',
    nonce: 'nonce-0000000000000001',
    issuedAt: '2027-03-02T09:00:00.000Z',
    expiresAt: '2027-03-02T09:05:00.000Z',
  };
  const trusted = {
    vendorSigningKeys: vendor.signing.kid
      ? new Map([[vendor.signing.kid, vendor.signing.publicKey]])
      : new Map(),
  };
  const refusal = (token: string, nonce = claims.nonce as string, leaseId?: string) => {
    try {
      verifyLeaseToken(token, { ...trusted, nonce, ...(leaseId ? { leaseId } : {}) });
      return 'ACCEPTED';
    } catch (error) {
      return `${(error as { code: string }).code}: ${(error as Error).message}`;
    }
  };

  it('verifies a token the certified server signed for this nonce, and caches its certificate', () => {
    const certificates = new Map<string, VerifiedCertificate>();
    expect(
      verifyLeaseToken(sign(claims), { ...trusted, nonce: claims.nonce as string, certificates }),
    ).toEqual(claims);
    expect([...certificates.keys()]).toEqual([certificate]);
    // The cached certificate still bounds the next token.
    expect(() =>
      verifyLeaseToken(sign({ ...claims, components: ['Teleport'] }), {
        ...trusted,
        nonce: claims.nonce as string,
        certificates,
      }),
    ).toThrowError(/outside the vendor's certificate/);
  });

  it('refuses an answer made for another request: another nonce, no nonce, another lease', () => {
    expect(refusal(sign(claims), 'nonce-0000000000000002')).toMatch(/^LEASE_NOT_TRUSTED: .*another nonce/);
    const { nonce: _, ...without } = claims;
    expect(refusal(sign(without))).toMatch(/^LEASE_NOT_TRUSTED/);
    expect(refusal(sign(claims), claims.nonce, 'lease-000000000000002')).toMatch(/another lease/);
  });

  it('refuses what the server key signs outside the allocation', () => {
    const cases: Array<[string, Partial<LeaseToken>, RegExp]> = [
      [
        'a license never sold',
        { licenseNumber: 'ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZZZ' },
        /not in the vendor's certificate/,
      ],
      ['an unlicensed component', { components: ['Base', 'Enterprise'] }, /does not include Enterprise/],
      ['past the license', { expiresAt: '2028-01-01T00:00:00.000Z' }, /end of license/],
      [
        'past the sync window (366 days)',
        {
          licenseNumber: NUMBER.replace(/1$/, '2'),
          components: ['Base'],
          expiresAt: '2028-03-02T00:00:00.000Z',
        },
        /sync window/,
      ],
      ['another license server', { licenseServerId: 'LS-ZZZZ-ZZZZ-ZZZZ' }, /different license servers/],
    ];
    for (const [what, change, why] of cases) {
      const result = refusal(sign({ ...claims, ...change }));
      expect(result, what).toMatch(/^LEASE_NOT_TRUSTED/);
      expect(result, what).toMatch(why);
    }
  });

  it('refuses a token signed by a key the vendor did not certify, and a certificate from another vendor', async () => {
    const stranger = await generatePartyKeys();
    expect(refusal(leaseTokenSigner(stranger.signing, certificate)(claims))).toMatch(/unknown key/);
    const foreign = certifyAllocation(
      allocation,
      publicJwkOf(server.signing.publicKey) as Ed25519PublicJwk,
      stranger.signing,
    );
    expect(refusal(leaseTokenSigner(server.signing, foreign)(claims))).toMatch(
      /^LEASE_NOT_TRUSTED: .*unknown key/,
    );
  });

  it('refuses a checkout token, junk and a token with an extra header parameter before any key lookup', () => {
    expect(refusal('not.a.token')).toMatch(/^LEASE_NOT_TRUSTED/);
    expect(refusal('')).toMatch(/^LEASE_NOT_TRUSTED/);
    const [header, payload, signature] = sign(claims).split('.') as [string, string, string];
    const extended = JSON.parse(Buffer.from(header, 'base64url').toString());
    extended.jwk = publicJwkOf(server.signing.publicKey);
    const tampered = `${Buffer.from(JSON.stringify(extended)).toString('base64url')}.${payload}.${signature}`;
    expect(refusal(tampered)).toMatch(/"jwk" is not allowed/);
  });
});
