import type { KeyObject } from 'node:crypto';
import { open, seal } from './envelope.ts';
import { LeaseholdError } from './errors.ts';
import { keyIdOf, type PartyKeys, publicKeyFromJwk, type VendorPublicKeys } from './keys.ts';
import {
  SYNC_REQUEST_TYPE,
  SYNC_RESPONSE_TYPE,
  type SyncRequest,
  type SyncResponse,
  syncRequestSchema,
  syncResponseSchema,
} from './schemas.ts';

/** The local server seals its request: signed with its own key, encrypted to the vendor. */
export function sealSyncRequest(
  request: SyncRequest,
  serverKeys: PartyKeys,
  vendor: VendorPublicKeys,
): Promise<string> {
  return seal({
    typ: SYNC_REQUEST_TYPE,
    payload: request,
    signer: serverKeys.signing,
    recipient: vendor.encryption,
  });
}

export interface OpenedSyncRequest {
  request: SyncRequest;
  serverSigningKid: string;
  serverEncryption: { kid: string; publicKey: KeyObject };
}

/**
 * The central server opens a request. The signature must verify with the signing key the request
 * itself carries: that is the proof that the sender holds the private key it asks to be bound to (S3).
 */
export async function openSyncRequest(message: string, vendorKeys: PartyKeys): Promise<OpenedSyncRequest> {
  const { payload, signerKid } = await open({
    typ: SYNC_REQUEST_TYPE,
    message,
    decryptionKeys: new Map([[vendorKeys.encryption.kid, vendorKeys.encryption.privateKey]]),
    schema: syncRequestSchema,
    resolveSigner: async (kid, unverified) => {
      const parsed = syncRequestSchema.safeParse(unverified);
      if (!parsed.success)
        throw new LeaseholdError('MESSAGE_MALFORMED', 'the request does not carry valid server keys');
      const key = publicKeyFromJwk(parsed.data.serverKeys.signing);
      return (await keyIdOf(key)) === kid ? key : undefined;
    },
  });
  const encryptionKey = publicKeyFromJwk(payload.serverKeys.encryption);
  return {
    request: payload,
    serverSigningKid: signerKid,
    serverEncryption: { kid: await keyIdOf(encryptionKey), publicKey: encryptionKey },
  };
}

/** The central server seals its response: signed by the vendor, encrypted to the requesting server. */
export function sealSyncResponse(
  response: SyncResponse,
  vendorKeys: PartyKeys,
  serverEncryption: { kid: string; publicKey: KeyObject },
): Promise<string> {
  return seal({
    typ: SYNC_RESPONSE_TYPE,
    payload: response,
    signer: vendorKeys.signing,
    recipient: serverEncryption,
  });
}

/** The local server opens a response: only for its own key, only signed by a vendor key it was installed with. */
export async function openSyncResponse(
  message: string,
  serverKeys: PartyKeys,
  vendor: VendorPublicKeys,
): Promise<{ response: SyncResponse; vendorKid: string }> {
  try {
    const { payload, signerKid } = await open({
      typ: SYNC_RESPONSE_TYPE,
      message,
      decryptionKeys: new Map([[serverKeys.encryption.kid, serverKeys.encryption.privateKey]]),
      schema: syncResponseSchema,
      resolveSigner: (kid) => vendor.signing.get(kid),
    });
    return { response: payload, vendorKid: signerKid };
  } catch (error) {
    if (error instanceof LeaseholdError && error.code === 'MESSAGE_NOT_FOR_RECIPIENT') {
      throw new LeaseholdError('RESPONSE_NOT_FOR_THIS_SERVER', 'it is encrypted to another server key');
    }
    throw error;
  }
}
