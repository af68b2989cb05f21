import { readFileSync } from 'node:fs';
import type { Clock, PartyKeys, VendorPublicKeys } from '@leasehold/protocol';
import { ClockGuard } from './clock/guard.ts';
import { loadServerConfig, type ServerConfig, serverPaths } from './config.ts';
import { loadServerKeys, loadVendorPublicKeys } from './keys.ts';
import { LeaseEngine } from './leases/engine.ts';
import { LeaseStore } from './leases/leaseStore.ts';
import { openServerDatabase } from './store/open.ts';
import { ServerStore } from './store/serverStore.ts';
import { SyncClient } from './sync/syncClient.ts';
import { OnlineTransport } from './sync/transport.ts';

/** Everything a local-server command works with, opened from its data folder. */
export interface LocalServer {
  dataDir: string;
  config: ServerConfig;
  keys: PartyKeys;
  vendor: VendorPublicKeys;
  store: ServerStore;
  guard: ClockGuard;
  syncClient: SyncClient;
  leases: LeaseEngine;
  onlineTransport(): OnlineTransport;
  close(): void;
}

export async function openLocalServer(dataDir: string, clock: Clock): Promise<LocalServer> {
  const config = loadServerConfig(dataDir);
  const [keys, vendor] = await Promise.all([loadServerKeys(dataDir), loadVendorPublicKeys(dataDir)]);
  const db = openServerDatabase(serverPaths(dataDir).database);
  const store = new ServerStore(db);
  const guard = new ClockGuard(clock, store, config.clockToleranceSeconds * 1000);
  const syncClient = new SyncClient({ config, keys, vendor, store, guard });
  const leases = new LeaseEngine({
    store,
    leases: new LeaseStore(db),
    guard,
    leaseSeconds: config.leaseSeconds,
    shareSeatPerUserComputer: config.shareSeatPerUserComputer,
  });
  return {
    dataDir,
    config,
    keys,
    vendor,
    store,
    guard,
    syncClient,
    leases,
    onlineTransport: () =>
      new OnlineTransport({
        centralUrl: config.centralUrl,
        ports: config.centralPorts,
        timeoutMs: config.syncTimeoutSeconds * 1000,
        ...(config.centralCaFile ? { ca: readFileSync(config.centralCaFile, 'utf8') } : {}),
      }),
    close: () => db.close(),
  };
}
