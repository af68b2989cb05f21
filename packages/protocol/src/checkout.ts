import { z } from 'zod';
import { signCompactEd25519 } from './compactJose.ts';
import { LeaseholdError } from './errors.ts';
import type { KeyWithId } from './keys.ts';
import { licenseServerIdSchema, MAX_CERTIFICATE_BYTES } from './schemas.ts';
import { certificateHeader, outsideCertificate, verifyServerKeyCertificate } from './serverKeyCertificate.ts';
import {
  type CompactHeader,
  type CompactKind,
  headerOfCompact,
  verifySignedCompact,
} from './signedCompact.ts';

export * from './serverKeyCertificate.ts';

/**
 * L3: a checkout works with no contact, so the SDK verifies it offline along a chain it can trust
 * with only the vendor's public keys: the vendor signs a certificate for the local server's key and
 * its allocation (delivered with every sync response), and the server signs the checkout token with
 * that key, within that allocation.
 */
export const CHECKOUT_TOKEN_TYPE = 'leasehold.checkout';

export const checkoutTokenSchema = z.strictObject({
  type: z.literal(CHECKOUT_TOKEN_TYPE),
  checkoutId: z.string(),
  licenseServerId: licenseServerIdSchema,
  licenseNumber: z.string(),
  components: z.array(z.string()),
  user: z.string(),
  computer: z.string(),
  /** The fingerprint of the machine it was checked out for; the SDK refuses a token without one. */
  machine: z.string().optional(),
  issuedAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
});
export type CheckoutToken = z.infer<typeof checkoutTokenSchema>;

/**
 * A token carries its certificate, which carries the allocation: a few kilobytes for a few licenses,
 * about 350 KB for 1,000. More than the largest certificate can make is refused unread (L3).
 */
export const MAX_CHECKOUT_TOKEN_BYTES = Math.ceil((MAX_CERTIFICATE_BYTES * 4) / 3) + 64 * 1024;

// Header allowlist (L3; docs/security.md, Header hygiene): `lhc` carries the certificate; an
// embedded key, compression, `crit` or `b64` is refused before any key is looked up.
const CHECKOUT_KIND: CompactKind = {
  typ: CHECKOUT_TOKEN_TYPE,
  name: 'checkout token',
  version: 1,
  allowed: new Set(['alg', 'kid', 'typ', 'lhv', 'lhc']),
  maxLength: MAX_CHECKOUT_TOKEN_BYTES,
  code: 'CHECKOUT_TOKEN_INVALID',
};

/** The token carries the vendor's certificate of the server key in its header (`lhc`). */
export function signCheckoutToken(
  token: CheckoutToken,
  serverSigning: KeyWithId,
  certificate: string,
): string {
  return signCompactEd25519(
    Buffer.from(JSON.stringify(token)),
    { alg: 'EdDSA', kid: serverSigning.kid, typ: CHECKOUT_TOKEN_TYPE, lhv: 1, lhc: certificate },
    serverSigning.privateKey,
  );
}

/** A checkout token's size and own header, checked before any key is looked up; its certificate. */
function tokenHeader(token: string): { compact: string; header: CompactHeader; certificate: string } {
  const compact = token.trim();
  const header = headerOfCompact(compact, CHECKOUT_KIND);
  if (typeof header.lhc !== 'string')
    throw new LeaseholdError('CHECKOUT_TOKEN_INVALID', 'no server key certificate');
  return { compact, header, certificate: header.lhc };
}

/**
 * The vendor key announcements a checkout token carries in its certificate's header, read only once
 * the token's size and both headers pass the checks verifyCheckoutToken makes (CHECKOUT_TOKEN_INVALID
 * otherwise): nothing of a token refused there is looked at, let alone trusted.
 */
export function checkoutTokenAnnouncements(token: string): unknown {
  const { certificate } = tokenHeader(token);
  return certificateHeader(certificate, 'CHECKOUT_TOKEN_INVALID').lhk ?? [];
}

export interface VerifyCheckoutOptions {
  vendorSigningKeys: ReadonlyMap<string, import('node:crypto').KeyObject>;
  now: Date;
  user?: string;
  computer?: string;
  /** This machine's fingerprint: when given, a token for another machine, or for none, is refused. */
  machine?: string;
}

/**
 * Verifies a checkout token offline: vendor key → server key certificate → token, then that the
 * token stays inside the certificate's allocation and window, then time and holder.
 */
export async function verifyCheckoutToken(
  token: string,
  options: VerifyCheckoutOptions,
): Promise<CheckoutToken> {
  // The token's own header is checked before the vendor key is looked up for its certificate.
  const { compact, certificate: signedCertificate } = tokenHeader(token);
  const certificate = verifyServerKeyCertificate(
    signedCertificate,
    options.vendorSigningKeys,
    'CHECKOUT_TOKEN_INVALID',
  );
  const { payload } = verifySignedCompact(
    compact,
    CHECKOUT_KIND,
    (kid) => (kid === certificate.serverKey.kid ? certificate.serverKey.publicKey : undefined),
    checkoutTokenSchema,
  );
  const outside = outsideCertificate(payload, certificate.payload, 'checkout');
  if (outside)
    throw new LeaseholdError('CHECKOUT_TOKEN_INVALID', `outside the vendor's certificate: ${outside}`);
  if (options.user !== undefined && payload.user !== options.user)
    throw new LeaseholdError('CHECKOUT_TOKEN_INVALID', 'checked out to another user');
  if (options.computer !== undefined && payload.computer !== options.computer) {
    throw new LeaseholdError('CHECKOUT_TOKEN_INVALID', 'checked out to another computer');
  }
  if (options.machine !== undefined && payload.machine !== options.machine)
    throw new LeaseholdError(
      'CHECKOUT_TOKEN_INVALID',
      payload.machine === undefined
        ? 'checked out for no machine in particular'
        : 'checked out for another machine',
    );
  if (new Date(payload.expiresAt).getTime() <= options.now.getTime()) {
    throw new LeaseholdError('CHECKOUT_EXPIRED', `it ended at ${payload.expiresAt}`);
  }
  return payload;
}
