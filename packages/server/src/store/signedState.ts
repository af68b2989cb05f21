import {
  type ErrorCode,
  LeaseholdError,
  type PartyKeys,
  type VendorPublicKeys,
  type VerifiedCertificate,
  verifyServerKeyCertificate,
} from '@leasehold/protocol';

export interface VerifyOptions {
  /** The code of a refusal; LOCAL_STATE_INVALID for what is stored. */
  code?: ErrorCode;
  /** A vendor key the response being applied announced (S8), trusted for this check only. */
  also?: { kid: string; publicKey: import('node:crypto').KeyObject };
}

/** Verifies a certificate, or throws (LOCAL_STATE_INVALID by default) saying why. */
export type VerifyCertificate = (certificate: string, options?: VerifyOptions) => VerifiedCertificate;

/**
 * The local server's signed state (docs/security.md, Signed state at rest): a certificate counts only
 * when a vendor key this server trusts signed it, for this id and for this server's own key. The
 * vendor keys are read at each call: a key a sync taught the server counts from then on.
 */
export function certificateVerifier(
  licenseServerId: string,
  keys: PartyKeys,
  vendor: VendorPublicKeys,
): VerifyCertificate {
  return (certificate, options = {}) => {
    const code = options.code ?? 'LOCAL_STATE_INVALID';
    const trusted = options.also
      ? new Map([...vendor.signing, [options.also.kid, options.also.publicKey]])
      : vendor.signing;
    const verified = verifyServerKeyCertificate(certificate, trusted, code);
    if (verified.payload.licenseServerId !== licenseServerId)
      throw new LeaseholdError(
        code,
        `it is for ${verified.payload.licenseServerId}, this server is ${licenseServerId}`,
      );
    if (verified.serverKey.kid !== keys.signing.kid)
      throw new LeaseholdError(code, "it certifies another server's key");
    return verified;
  };
}
