import {
  type Clock,
  type Ed25519PublicJwk,
  FORMAT_VERSION,
  generatePartyKeys,
  openSyncResponse,
  publicJwkOf,
  randomToken,
  SYNC_REQUEST_TYPE,
  type SyncRequest,
  sealSyncRequest,
  type VendorPublicKeys,
  type X25519PublicJwk,
} from '@leasehold/protocol';

export interface FakeLocalServerOptions {
  clock: Clock;
  vendor: VendorPublicKeys;
  /** Delivers a sealed request to the central server (directly or over HTTP) and returns the sealed answer. */
  send?: (sealed: string) => Promise<string>;
}

/**
 * A local server of an id as the central server sees it: its own keys and its own sync count, its
 * requests sealed exactly as the real one seals them. Central tests use it instead of a whole server.
 */
export async function fakeLocalServer(id: string, options: FakeLocalServerOptions) {
  const keys = await generatePartyKeys();
  let count = 0;
  const request = (overrides: Partial<SyncRequest> = {}): SyncRequest => ({
    type: SYNC_REQUEST_TYPE,
    formatVersion: FORMAT_VERSION,
    licenseServerId: id,
    requestId: randomToken(16),
    createdAt: options.clock.now().toISOString(),
    syncCount: ++count,
    allocationVersion: 0,
    serverKeys: {
      signing: publicJwkOf(keys.signing.publicKey) as Ed25519PublicJwk,
      encryption: publicJwkOf(keys.encryption.publicKey) as X25519PublicJwk,
    },
    ...overrides,
  });
  const send = (sealed: string): Promise<string> => {
    if (!options.send) throw new Error('this fake local server was made without a way to send');
    return options.send(sealed);
  };
  return {
    keys,
    request,
    seal: (r: SyncRequest = request()) => sealSyncRequest(r, keys, options.vendor),
    send,
    /** Seals, sends and opens the answer as the local server would. */
    async sync(overrides: Partial<SyncRequest> = {}) {
      const answer = await send(await sealSyncRequest(request(overrides), keys, options.vendor));
      return (await openSyncResponse(answer, keys, options.vendor)).response;
    },
  };
}
