import type { KeyObject } from 'node:crypto';
import { CompactJoseError, publicKeyWithId } from './compactJose.ts';
import { open, seal } from './envelope.ts';
import { LeaseholdError } from './errors.ts';
import { type AnnouncedKey, findAnnouncedKey } from './keyAnnouncement.ts';
import type { PartyKeys, VendorPublicKeys } from './keys.ts';
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
 * A key the request carries, made once per distinct key; one spelling per key (canonical base64url),
 * and never a weak key: under a small-order signing key anyone could sign for the id it is bound to.
 */
function requestKey(jwk: Parameters<typeof publicKeyWithId>[0], role: 'signing' | 'encryption') {
  try {
    return publicKeyWithId(jwk);
  } catch (error) {
    if (error instanceof CompactJoseError && error.reason === 'weak-key')
      throw new LeaseholdError('SERVER_KEY_WEAK', `the ${role} key: ${error.message}`);
    throw new LeaseholdError('MESSAGE_MALFORMED', 'a server key in the request is not canonical base64url');
  }
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
      const signing = requestKey(parsed.data.serverKeys.signing, 'signing');
      return signing.kid === kid ? signing.publicKey : undefined;
    },
  });
  const encryption = requestKey(payload.serverKeys.encryption, 'encryption');
  return {
    request: payload,
    serverSigningKid: signerKid,
    serverEncryption: { kid: encryption.kid, publicKey: encryption.publicKey },
  };
}

/**
 * The central server seals its response: signed by the vendor's current key, encrypted to the
 * requesting server. While keys rotate, the response carries the announcements of that key.
 */
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

export interface OpenedSyncResponse {
  response: SyncResponse;
  vendorKid: string;
  /** A vendor key this server did not trust before, announced by one it trusts (S8); keep it once the response is accepted. */
  learnedVendorKey?: AnnouncedKey;
}

/**
 * The local server opens a response: only for its own key, only signed by a vendor key it was
 * installed with or one such a key announced in the response (S8). Nothing is learned here: the
 * caller keeps the announced key only once the response has passed every check.
 */
export async function openSyncResponse(
  message: string,
  serverKeys: PartyKeys,
  vendor: VendorPublicKeys,
): Promise<OpenedSyncResponse> {
  let learnedVendorKey: AnnouncedKey | undefined;
  try {
    const { payload, signerKid } = await open({
      typ: SYNC_RESPONSE_TYPE,
      message,
      decryptionKeys: new Map([[serverKeys.encryption.kid, serverKeys.encryption.privateKey]]),
      schema: syncResponseSchema,
      resolveSigner: async (kid, unverified) => {
        const trusted = vendor.signing.get(kid);
        if (trusted) return trusted;
        const announcements = (unverified as { vendorKeyAnnouncements?: unknown } | null)
          ?.vendorKeyAnnouncements;
        learnedVendorKey = await findAnnouncedKey(kid, announcements, vendor.signing);
        return learnedVendorKey?.publicKey;
      },
    });
    return { response: payload, vendorKid: signerKid, ...(learnedVendorKey ? { learnedVendorKey } : {}) };
  } catch (error) {
    if (error instanceof LeaseholdError && error.code === 'MESSAGE_NOT_FOR_RECIPIENT') {
      throw new LeaseholdError('RESPONSE_NOT_FOR_THIS_SERVER', 'it is encrypted to another server key');
    }
    if (error instanceof LeaseholdError && error.code === 'SIGNER_UNKNOWN') {
      throw new LeaseholdError(
        'SIGNER_UNKNOWN',
        "the response is signed by a vendor key this server does not trust and that no trusted key announced; if the vendor retired the key this server was installed with, install the vendor's current vendor-public-keys.json",
      );
    }
    throw error;
  }
}
