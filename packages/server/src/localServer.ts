import type { Clock, PartyKeys, VendorPublicKeys } from '@leasehold/protocol';
import type { Dispatcher } from 'undici';
import { ClockGuard } from './clock/guard.ts';
import { loadServerConfig, type ServerConfig, serverPaths } from './config.ts';
import { loadServerKeys, loadVendorPublicKeys } from './keys.ts';
import { LeaseEngine } from './leases/engine.ts';
import { LeaseStore } from './leases/leaseStore.ts';
import { openServerDatabase } from './store/open.ts';
import { ServerStore } from './store/serverStore.ts';
import { createCentralDispatcher } from './sync/dispatcher.ts';
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
  /** Connections to the central server (trust, timeouts; proxy when configured). */
  centralDispatcher(): Dispatcher;
  onlineTransport(): OnlineTransport;
  close(): void;
}

export async function openLocalServer(dataDir: string, clock: Clock): Promise<LocalServer> {
  const config = loadServerConfig(dataDir);
  const [keys, vendor] = await Promise.all([loadServerKeys(dataDir), loadVendorPublicKeys(dataDir)]);
  const db = openServerDatabase(serverPaths(dataDir).database);
  const store = new ServerStore(db);
  const guard = new ClockGuard(clock, store, config.clockToleranceSeconds * 1000);
  const centralDispatcher = () => createCentralDispatcher(config);
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
    centralDispatcher,
    onlineTransport: () =>
      new OnlineTransport({
        centralUrl: config.centralUrl,
        ports: config.centralPorts,
        timeoutMs: config.syncTimeoutSeconds * 1000,
        dispatcher: centralDispatcher(),
      }),
    close: () => db.close(),
  };
}
