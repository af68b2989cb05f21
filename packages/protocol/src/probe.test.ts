import { describe, expect, it } from 'vitest';
import { seal } from './envelope.ts';
import { LeaseholdError } from './errors.ts';
import { generatePartyKeys, parseVendorPublicKeys, publicJwkOf, serializeVendorPublicKeys } from './keys.ts';
import { openSyncProbe, SYNC_PROBE_TYPE, type SyncProbe, sealSyncProbe } from './probe.ts';
import { type Ed25519PublicJwk, FORMAT_VERSION, SYNC_REQUEST_TYPE, type X25519PublicJwk } from './schemas.ts';

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof LeaseholdError) return error.code;
    throw error;
  }
  return 'ACCEPTED';
}

describe('the binding probe message', async () => {
  const vendorKeys = await generatePartyKeys();
  const vendor = await parseVendorPublicKeys(await serializeVendorPublicKeys(vendorKeys));
  const server = await generatePartyKeys();
  const probe: SyncProbe = {
    type: SYNC_PROBE_TYPE,
    formatVersion: FORMAT_VERSION,
    licenseServerId: 'LS-AAAA-BBBB-CCCC',
    requestId: 'abcdefghijklmnopqrstuv',
    createdAt: '2026-03-01T10:00:00.000Z',
    serverKeys: {
      signing: publicJwkOf(server.signing.publicKey) as Ed25519PublicJwk,
      encryption: publicJwkOf(server.encryption.publicKey) as X25519PublicJwk,
    },
  };

  it('opens for the vendor with the key id of the server key it carries', async () => {
    const opened = await openSyncProbe(await sealSyncProbe(probe, server, vendor), vendorKeys);
    expect(opened.probe).toEqual(probe);
    expect(opened.serverSigningKid).toBe(server.signing.kid);
  });

  it('refuses a probe signed by a key other than the one it carries (no proof of possession)', async () => {
    const other = await generatePartyKeys();
    const forged = await sealSyncProbe(probe, other, vendor);
    expect(await codeOf(openSyncProbe(forged, vendorKeys))).toBe('SIGNER_UNKNOWN');
  });

  it('is not a sync request, and a sync request is not a probe', async () => {
    const asRequest = await seal({
      typ: SYNC_REQUEST_TYPE,
      payload: probe,
      signer: server.signing,
      recipient: vendor.encryption,
    });
    expect(await codeOf(openSyncProbe(asRequest, vendorKeys))).toBe('MESSAGE_TYPE_UNEXPECTED');
  });

  it('refuses unknown fields', async () => {
    const sealed = await seal({
      typ: SYNC_PROBE_TYPE,
      payload: { ...probe, syncCount: 3 },
      signer: server.signing,
      recipient: vendor.encryption,
    });
    expect(await codeOf(openSyncProbe(sealed, vendorKeys))).toBe('MESSAGE_MALFORMED');
  });
});
