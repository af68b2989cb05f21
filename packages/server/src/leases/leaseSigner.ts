import {
  LEASE_TOKEN_TYPE,
  type Lease,
  type LeaseToken,
  leaseTokenSigner,
  type PartyKeys,
} from '@leasehold/protocol';
import type { ServerStore } from '../store/serverStore.ts';

/**
 * Signs the lease token of each grant and renewal (docs/leases.md, Lease tokens) with this server's
 * key and the certificate of the allocation in force; one signer per certificate, as its header
 * (which carries the certificate) is encoded once.
 */
export class LeaseSigner {
  readonly #keys: PartyKeys;
  readonly #store: ServerStore;
  readonly #licenseServerId: string;
  #signer: { certificate: string; sign: (token: LeaseToken) => string } | undefined;

  constructor(licenseServerId: string, keys: PartyKeys, store: ServerStore) {
    this.#licenseServerId = licenseServerId;
    this.#keys = keys;
    this.#store = store;
  }

  /** The token for a lease just granted or renewed at `at`, for the nonce the client sent, if any. */
  sign(lease: Lease, at: Date, nonce: string | undefined): string | undefined {
    const certificate = this.#store.currentAllocation()?.certificate;
    // A lease is only granted from a verified allocation; one replaced since keeps its old answer.
    if (!certificate) return undefined;
    if (this.#signer?.certificate !== certificate)
      this.#signer = { certificate, sign: leaseTokenSigner(this.#keys.signing, certificate) };
    return this.#signer.sign({
      type: LEASE_TOKEN_TYPE,
      leaseId: lease.id,
      licenseServerId: this.#licenseServerId,
      licenseNumber: lease.licenseNumber,
      components: lease.components,
      user: lease.user,
      computer: lease.computer,
      ...(nonce === undefined ? {} : { nonce }),
      issuedAt: at.toISOString(),
      expiresAt: lease.expiresAt,
    });
  }
}
