import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { ENVELOPE_VERSION, open, seal } from './envelope.ts';
import { LeaseholdError } from './errors.ts';
import { keyIdOf, type PartyKeys, publicKeyFromJwk, type VendorPublicKeys } from './keys.ts';
import {
  ed25519PublicJwkSchema,
  FORMAT_VERSION,
  licenseServerIdSchema,
  requestIdSchema,
  x25519PublicJwkSchema,
} from './schemas.ts';

/**
 * The binding probe (`leasehold server diagnose`, S9): "is this id bound to my key?" asked without
 * changing anything. It is sealed exactly like a sync request — signed by the server key it carries,
 * encrypted to the vendor — so the answer is only ever about a key the asker holds. Its own `typ`
 * keeps a probe from being opened as a sync request, which would bind.
 */
export const SYNC_PROBE_TYPE = 'leasehold.sync-probe';

export const syncProbeSchema = z.strictObject({
  type: z.literal(SYNC_PROBE_TYPE),
  formatVersion: z.literal(FORMAT_VERSION),
  licenseServerId: licenseServerIdSchema,
  requestId: requestIdSchema,
  createdAt: z.iso.datetime(),
  serverKeys: z.strictObject({ signing: ed25519PublicJwkSchema, encryption: x25519PublicJwkSchema }),
});
export type SyncProbe = z.infer<typeof syncProbeSchema>;

/** Whom the id is bound to, seen from the key that asks. */
export const probeBindingSchema = z.enum(['this-server', 'another-server', 'none']);
export type ProbeBinding = z.infer<typeof probeBindingSchema>;

/** The central server's plain JSON answer to a probe: nothing in it is secret or binding. */
export const syncProbeAnswerSchema = z.strictObject({
  licenseServerId: licenseServerIdSchema,
  binding: probeBindingSchema,
});
export type SyncProbeAnswer = z.infer<typeof syncProbeAnswerSchema>;

export const CENTRAL_PRODUCT = 'leasehold-central';

/**
 * `GET /v1/hello`: what a central server speaks and its time. Not strict, so that a newer central
 * server may add fields without breaking the diagnosis of older local servers.
 */
export const centralHelloSchema = z.object({
  product: z.literal(CENTRAL_PRODUCT),
  protocolVersions: z.array(z.int()).min(1),
  envelopeVersion: z.int(),
  time: z.iso.datetime(),
});
export type CentralHello = z.infer<typeof centralHelloSchema>;

export function centralHello(now: Date): CentralHello {
  return {
    product: CENTRAL_PRODUCT,
    protocolVersions: [FORMAT_VERSION],
    envelopeVersion: ENVELOPE_VERSION,
    time: now.toISOString(),
  };
}

/** The local server seals its probe: signed with its own key, encrypted to the vendor. */
export function sealSyncProbe(
  probe: SyncProbe,
  serverKeys: PartyKeys,
  vendor: VendorPublicKeys,
): Promise<string> {
  return seal({
    typ: SYNC_PROBE_TYPE,
    payload: probe,
    signer: serverKeys.signing,
    recipient: vendor.encryption,
  });
}

/**
 * The central server opens a probe. As for a sync request, the signature must verify with the
 * signing key the probe carries, so a valid probe proves its sender holds that key.
 */
export async function openSyncProbe(
  message: string,
  vendorKeys: PartyKeys,
): Promise<{ probe: SyncProbe; serverSigningKid: string }> {
  const { payload, signerKid } = await open({
    typ: SYNC_PROBE_TYPE,
    message,
    decryptionKeys: new Map<string, KeyObject>([
      [vendorKeys.encryption.kid, vendorKeys.encryption.privateKey],
    ]),
    schema: syncProbeSchema,
    resolveSigner: async (kid, unverified) => {
      const parsed = syncProbeSchema.safeParse(unverified);
      if (!parsed.success)
        throw new LeaseholdError('MESSAGE_MALFORMED', 'the probe does not carry valid server keys');
      const key = publicKeyFromJwk(parsed.data.serverKeys.signing);
      return (await keyIdOf(key)) === kid ? key : undefined;
    },
  });
  return { probe: payload, serverSigningKid: signerKid };
}
