import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Ed25519PublicJwk,
  generatePartyKeys,
  type License,
  ManualClock,
  type PartyKeys,
  parseVendorPublicKeys,
  publicJwkOf,
  SERVER_KEY_CERTIFICATE_TYPE,
  SYNC_WINDOW_MS,
  serializeVendorPublicKeys,
  signServerKeyCertificate,
  type VendorPublicKeys,
  verifyServerKeyCertificate,
} from '@leasehold/protocol';
import { initServer } from '../init.ts';
import { type LocalServer, openLocalServer } from '../localServer.ts';

/**
 * A real local server (data folder, keys, SQLite) synchronized with the given licenses: the
 * allocation is applied as a verified response would be, with a real vendor certificate of the
 * server key, so checkout tokens verify offline against the vendor public keys.
 */
export async function syncedLocalServer(licenses: License[]): Promise<{
  server: LocalServer;
  clock: ManualClock;
  vendorKeys: PartyKeys;
  vendorPublicKeys: VendorPublicKeys;
}> {
  const dir = mkdtempSync(join(tmpdir(), 'leasehold-local-'));
  const vendorKeys = await generatePartyKeys();
  const vendorText = await serializeVendorPublicKeys(vendorKeys);
  writeFileSync(join(dir, 'vendor.json'), vendorText);
  await initServer({
    dataDir: join(dir, 'server'),
    licenseServerId: 'LS-AAAA-BBBB-CCCC',
    centralUrl: 'https://central.invalid',
    vendorKeysFile: join(dir, 'vendor.json'),
    plainHttp: true,
  });
  const clock = new ManualClock('2027-03-01T09:00:00Z');
  const server = await openLocalServer(join(dir, 'server'), clock);
  const allocation = {
    licenseServerId: 'LS-AAAA-BBBB-CCCC',
    version: 1,
    issuedAt: clock.now().toISOString(),
    licenses,
  };
  const certificate = signServerKeyCertificate(
    {
      type: SERVER_KEY_CERTIFICATE_TYPE,
      licenseServerId: 'LS-AAAA-BBBB-CCCC',
      serverKeyId: server.keys.signing.kid,
      serverSigningKey: publicJwkOf(server.keys.signing.publicKey) as Ed25519PublicJwk,
      issuedAt: allocation.issuedAt,
      notAfter: new Date(clock.now().getTime() + SYNC_WINDOW_MS).toISOString(),
      allocation,
    },
    vendorKeys.signing,
  );
  server.store.recordPendingRequest('test-request-0000001', clock.now(), 'online');
  server.store.applyAllocation({
    certificate: {
      ...verifyServerKeyCertificate(
        certificate,
        vendorKeys.signing.kid
          ? new Map([[vendorKeys.signing.kid, vendorKeys.signing.publicKey]])
          : new Map(),
        'LOCAL_STATE_INVALID',
      ),
      compact: certificate,
    },
    requestId: 'test-request-0000001',
    method: 'online',
    receivedAt: clock.now(),
    clockHighWater: clock.now(),
  });
  return { server, clock, vendorKeys, vendorPublicKeys: await parseVendorPublicKeys(vendorText) };
}
