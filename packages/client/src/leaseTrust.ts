import type { KeyObject } from 'node:crypto';
import {
  certificateHeader,
  type Lease,
  LeaseholdError,
  leaseSchema,
  leaseTokenCertificate,
  parseVendorPublicKeys,
  trustWithAnnouncements,
  type VerifiedCertificate,
  verifyLeaseToken,
} from '@leasehold/protocol';
import { expectAnswer } from './http.ts';

/**
 * Checks each grant and renewal answer (L2; docs/leases.md, Lease tokens): the answer's lease token
 * must verify along vendor key → certificate → server key, name the nonce this request sent, stay
 * inside the certificate, and state the lease the answer describes. Anything else is
 * LEASE_NOT_TRUSTED: a fake server, or a proxy replaying an old answer, grants nothing.
 */
export class LeaseTrust {
  readonly #vendorKeysText: string;
  #vendorKeys: Promise<ReadonlyMap<string, KeyObject>> | undefined;
  /** Trusted keys per certificate (its announcements after a key rotation), and verified certificates. */
  readonly #trustedFor = new Map<string, ReadonlyMap<string, KeyObject>>();
  readonly #certificates = new Map<string, VerifiedCertificate>();

  constructor(vendorPublicKeysText: string) {
    this.#vendorKeysText = vendorPublicKeysText;
  }

  async check(answer: unknown, nonce: string, leaseId?: string): Promise<Lease> {
    const lease = expectAnswer(leaseSchema, (answer as { lease?: unknown })?.lease, 'lease');
    const token = (answer as { leaseToken?: unknown })?.leaseToken;
    if (typeof token !== 'string')
      throw new LeaseholdError(
        'LEASE_NOT_TRUSTED',
        'the answer carries no lease token (not a Leasehold server of this version)',
      );
    const keys = await this.#keysFor(token);
    const claims = verifyLeaseToken(token, {
      vendorSigningKeys: keys,
      nonce,
      ...(leaseId === undefined ? {} : { leaseId }),
      certificates: this.#certificates,
    });
    if (
      claims.leaseId !== lease.id ||
      claims.licenseNumber !== lease.licenseNumber ||
      claims.expiresAt !== lease.expiresAt ||
      claims.components.join('\n') !== lease.components.join('\n') ||
      claims.user !== lease.user ||
      claims.computer !== lease.computer
    )
      throw new LeaseholdError('LEASE_NOT_TRUSTED', 'the lease in the answer is not the one its token signs');
    return lease;
  }

  /** The vendor keys, with what a token's certificate announces (S8), once per certificate. */
  async #keysFor(token: string): Promise<ReadonlyMap<string, KeyObject>> {
    const certificate = leaseTokenCertificate(token);
    const known = this.#trustedFor.get(certificate);
    if (known) return known;
    this.#vendorKeys ??= parseVendorPublicKeys(this.#vendorKeysText).then(
      (keys) => keys.signing,
      (error: unknown) => {
        this.#vendorKeys = undefined;
        throw error;
      },
    );
    const shipped = await this.#vendorKeys;
    const announcements = certificateHeader(certificate, 'LEASE_NOT_TRUSTED').lhk ?? [];
    const trusted = await trustWithAnnouncements(shipped, announcements);
    // Only certificates that verify are remembered (verifyLeaseToken fills #certificates); this map
    // is bounded by the same few certificates a server uses between syncs.
    if (this.#trustedFor.size > 16) this.#trustedFor.clear();
    this.#trustedFor.set(certificate, trusted);
    return trusted;
  }
}
