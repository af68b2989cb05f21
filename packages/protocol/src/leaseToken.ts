import { type KeyObject, sign } from 'node:crypto';
import { z } from 'zod';
import { signCompactEd25519 } from './compactJose.ts';
import { LeaseholdError } from './errors.ts';
import type { KeyWithId } from './keys.ts';
import { nonceSchema } from './leases.ts';
import { licenseServerIdSchema, MAX_CERTIFICATE_BYTES } from './schemas.ts';
import {
  outsideCertificate,
  type VerifiedCertificate,
  verifyServerKeyCertificate,
} from './serverKeyCertificate.ts';
import { type CompactKind, headerOfCompact, verifySignedCompact } from './signedCompact.ts';

/**
 * L2: every grant and renewal of a floating lease is answered with a lease token, signed by the
 * server key inside its certificate's bounds (docs/leases.md, Lease tokens), and made out to the
 * nonce the client sent with that request. An SDK that checks it against the vendor keys it ships
 * with takes no lease from a server the vendor never certified, nor a stale answer replayed.
 */
export const LEASE_TOKEN_TYPE = 'leasehold.lease';

export const leaseTokenSchema = z.strictObject({
  type: z.literal(LEASE_TOKEN_TYPE),
  leaseId: z.string().min(1).max(64),
  licenseServerId: licenseServerIdSchema,
  licenseNumber: z.string(),
  components: z.array(z.string()).max(100),
  user: z.string(),
  computer: z.string(),
  /** The nonce of the request this answers; absent only for a client that sent none. */
  nonce: nonceSchema.optional(),
  issuedAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
});
export type LeaseToken = z.infer<typeof leaseTokenSchema>;

export const LEASE_TOKEN_KIND: CompactKind = {
  typ: LEASE_TOKEN_TYPE,
  name: 'lease token',
  version: 1,
  allowed: new Set(['alg', 'kid', 'typ', 'lhv', 'lhc']),
  maxLength: Math.ceil((MAX_CERTIFICATE_BYTES * 4) / 3) + 64 * 1024,
  code: 'LEASE_NOT_TRUSTED',
};

/**
 * A signer for one certificate: the protected header (which carries the certificate, kilobytes) is
 * encoded once, and each token costs one Ed25519 signature over it and its claims.
 */
export function leaseTokenSigner(
  serverSigning: KeyWithId,
  certificate: string,
): (token: LeaseToken) => string {
  const header = { alg: 'EdDSA', kid: serverSigning.kid, typ: LEASE_TOKEN_TYPE, lhv: 1, lhc: certificate };
  // signCompactEd25519 checks the header once here; the per-token path reuses its first segment.
  const probe = signCompactEd25519(Buffer.from('{}'), header, serverSigning.privateKey);
  const encodedHeader = probe.slice(0, probe.indexOf('.'));
  return (token) => {
    const input = `${encodedHeader}.${Buffer.from(JSON.stringify(token)).toString('base64url')}`;
    return `${input}.${sign(null, Buffer.from(input, 'latin1'), serverSigning.privateKey).toString('base64url')}`;
  };
}

export interface VerifyLeaseTokenOptions {
  /** The vendor signing keys the application trusts, with those its certificates' announcements add. */
  vendorSigningKeys: ReadonlyMap<string, KeyObject>;
  /** The nonce the client sent with the request this token answers. */
  nonce: string;
  /** The lease being renewed, when it is a renewal. */
  leaseId?: string;
  /** Verified certificates by their compact form: one signature check per certificate, not per renewal. */
  certificates?: Map<string, VerifiedCertificate>;
}

/** The certificate a lease token carries, read only once the token's size and header pass. */
export function leaseTokenCertificate(token: string): string {
  const header = headerOfCompact(token, LEASE_TOKEN_KIND);
  if (typeof header.lhc !== 'string')
    throw new LeaseholdError('LEASE_NOT_TRUSTED', 'no server key certificate');
  return header.lhc;
}

/**
 * Verifies a lease token: vendor key → certificate → token, inside the certificate's bounds, for
 * this request's nonce (and lease). Throws LEASE_NOT_TRUSTED saying why.
 */
export function verifyLeaseToken(token: string, options: VerifyLeaseTokenOptions): LeaseToken {
  const compactCertificate = leaseTokenCertificate(token);
  let certificate = options.certificates?.get(compactCertificate);
  if (!certificate) {
    certificate = verifyServerKeyCertificate(
      compactCertificate,
      options.vendorSigningKeys,
      'LEASE_NOT_TRUSTED',
    );
    options.certificates?.set(compactCertificate, certificate);
  }
  const serverKey = certificate.serverKey;
  const { payload } = verifySignedCompact(
    token,
    LEASE_TOKEN_KIND,
    (kid) => (kid === serverKey.kid ? serverKey.publicKey : undefined),
    leaseTokenSchema,
  );
  const outside = outsideCertificate(payload, certificate.payload, 'lease');
  if (outside) throw new LeaseholdError('LEASE_NOT_TRUSTED', `outside the vendor's certificate: ${outside}`);
  if (payload.nonce !== options.nonce)
    throw new LeaseholdError('LEASE_NOT_TRUSTED', 'the answer was not made for this request (another nonce)');
  if (options.leaseId !== undefined && payload.leaseId !== options.leaseId)
    throw new LeaseholdError('LEASE_NOT_TRUSTED', 'the answer is for another lease');
  return payload;
}
