import {
  type Clock,
  type Ed25519PublicJwk,
  FORMAT_VERSION,
  LeaseholdError,
  publicJwkOf,
  randomToken,
  SYNC_PROBE_TYPE,
  sealSyncProbe,
  type X25519PublicJwk,
} from '@leasehold/protocol';
import type { Dispatcher } from 'undici';
import type { LocalServer } from '../localServer.ts';
import { maskProxy, proxyFor } from '../sync/proxy.ts';
import type { Lookup } from './dns.ts';
import { type Diagnosis, runDiagnosis } from './runner.ts';

// Long enough for a connection across the world, short enough that a filtered port (packets
// dropped, no refusal) does not make the administrator wait the full sync timeout per port.
const MAX_CONNECT_TIMEOUT_MS = 5_000;

/**
 * Diagnoses a local server's way to the central server with its own settings: the dispatcher, the
 * proxy and the keys sync uses. Reads only; the clock is the plain system clock, because the
 * rollback guard records the time it sees.
 */
export async function diagnoseLocalServer(
  server: LocalServer,
  clock: Clock,
  options: { lookup?: Lookup } = {},
): Promise<Diagnosis> {
  const { config, keys, vendor } = server;
  const route = server.centralProxy();
  let dispatcher: Dispatcher;
  try {
    dispatcher = server.centralDispatcher();
  } catch (error) {
    // In practice a centralCaFile that is gone or unreadable: a setting to fix, not a link to test.
    throw new LeaseholdError('CONFIG_INVALID', `centralCaFile: ${(error as Error).message}`);
  }
  const timeoutMs = config.syncTimeoutSeconds * 1000;
  try {
    return await runDiagnosis({
      licenseServerId: config.licenseServerId,
      serverKeyId: keys.signing.kid,
      centralUrl: config.centralUrl,
      ports: config.centralPorts,
      dispatcher,
      proxyFor: (url) => {
        const via = proxyFor(route, url);
        return via ? maskProxy(via) : undefined;
      },
      ...(config.centralCaFile ? { caFile: config.centralCaFile } : {}),
      clock,
      connectTimeoutMs: Math.min(MAX_CONNECT_TIMEOUT_MS, timeoutMs),
      answerTimeoutMs: timeoutMs,
      sealProbe: () =>
        sealSyncProbe(
          {
            type: SYNC_PROBE_TYPE,
            formatVersion: FORMAT_VERSION,
            licenseServerId: config.licenseServerId,
            requestId: randomToken(16),
            createdAt: clock.now().toISOString(),
            serverKeys: {
              signing: publicJwkOf(keys.signing.publicKey) as Ed25519PublicJwk,
              encryption: publicJwkOf(keys.encryption.publicKey) as X25519PublicJwk,
            },
          },
          keys,
          vendor,
        ),
      ...(options.lookup ? { lookup: options.lookup } : {}),
    });
  } finally {
    await dispatcher.close();
  }
}
