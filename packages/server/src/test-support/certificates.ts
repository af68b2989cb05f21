import { createPublicKey } from 'node:crypto';
import {
  type Allocation,
  type Ed25519PublicJwk,
  type KeyWithId,
  newPrivateKey,
  publicJwkOf,
  publicKeyWithId,
  SERVER_KEY_CERTIFICATE_TYPE,
  SYNC_WINDOW_MS,
  signServerKeyCertificate,
} from '@leasehold/protocol';
import type { Database } from 'better-sqlite3';
import { type ApplyAllocation, ServerStore } from '../store/serverStore.ts';
import { certificateVerifier } from '../store/signedState.ts';

/** An Ed25519 key pair with its key id, made synchronously (node:crypto). */
export function signingKey(): KeyWithId {
  const privateKey = newPrivateKey('ed25519');
  const publicKey = createPublicKey(privateKey);
  return { kid: publicKeyWithId(publicJwkOf(publicKey) as Ed25519PublicJwk).kid, privateKey, publicKey };
}

let keys: { vendor: KeyWithId; server: KeyWithId } | undefined;

/**
 * A vendor and a server key for store-level tests: real certificates, signed as the central signs
 * them, and a ServerStore that verifies them as `openLocalServer` does.
 */
export function certifiedStore(db: Database, licenseServerId = 'LS-AAAA-BBBB-CCCC') {
  // One vendor and one server per process: a test that reopens a database (a restart) must find its
  // certificates signed by the keys it trusts.
  keys ??= { vendor: signingKey(), server: signingKey() };
  const { vendor, server } = keys;
  const vendorKeys = { signing: new Map([[vendor.kid, vendor.publicKey]]) };
  const verify = certificateVerifier(
    licenseServerId,
    { signing: server, encryption: server },
    vendorKeys as never,
  );
  const store = new ServerStore(db, verify);
  const certify = (allocation: Allocation, notAfter?: Date): string =>
    signServerKeyCertificate(
      {
        type: SERVER_KEY_CERTIFICATE_TYPE,
        licenseServerId,
        serverKeyId: server.kid,
        serverSigningKey: publicJwkOf(server.publicKey) as Ed25519PublicJwk,
        issuedAt: allocation.issuedAt,
        notAfter: (notAfter ?? new Date(Date.parse(allocation.issuedAt) + SYNC_WINDOW_MS)).toISOString(),
        allocation,
      },
      vendor,
    );
  /** Applies an allocation as a verified response would be applied. */
  const apply = (
    allocation: Allocation,
    input: Omit<ApplyAllocation, 'certificate' | 'clockHighWater'> & { clockHighWater?: Date },
  ) => {
    const compact = certify(allocation);
    store.applyAllocation({
      clockHighWater: input.receivedAt,
      ...input,
      certificate: { ...verify(compact), compact },
    });
  };
  return { store, vendor, server, vendorKeys, verify, certify, apply };
}
