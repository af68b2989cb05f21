import type { Clock, PartyKeys, VendorPublicKeys } from '@leasehold/protocol';
import type { Dispatcher } from 'undici';
import { ClockGuard } from './clock/guard.ts';
import { loadServerConfig, type ServerConfig, serverPaths } from './config.ts';
import { loadServerKeys, loadVendorPublicKeys } from './keys.ts';
import { LeaseEngine } from './leases/engine.ts';
import { LeaseSigner } from './leases/leaseSigner.ts';
import { LeaseStore } from './leases/leaseStore.ts';
import { UsageHistory } from './leases/usageHistory.ts';
import { enableGroupCommit, type Flush, type GroupCommit, walFlush } from './store/groupCommit.ts';
import { openServerDatabase } from './store/open.ts';
import { ServerStore } from './store/serverStore.ts';
import { certificateVerifier } from './store/signedState.ts';
import { centralConnection, createCentralDispatcher } from './sync/dispatcher.ts';
import { chooseProxy, loadProxySetting, type ProxyEnvironment, type ProxyRoute } from './sync/proxy.ts';
import { SyncClient } from './sync/syncClient.ts';
import { OnlineTransport } from './sync/transport.ts';
import { usageReport } from './sync/usageReport.ts';

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
  /** Signs the lease token of each grant and renewal (L2). */
  leaseSigner: LeaseSigner;
  /** Connections to the central server (trust, timeouts; proxy when configured). */
  centralDispatcher(): Dispatcher;
  /** The proxy online sync uses: proxy.json, else the environment's. Holds the password: never print it. */
  centralProxy(): ProxyRoute | undefined;
  onlineTransport(): OnlineTransport;
  /** Resolves once every change committed so far would survive power loss (group commit). */
  durable(): Promise<void>;
  /** For `serve`: commits stop waiting for fsync; answers wait for `durable()` instead. */
  useGroupCommit(flush?: Flush): void;
  close(): void;
}

export interface OpenLocalServerOptions {
  /** HTTPS_PROXY and friends, read by the program's one config loader; used when no proxy is stored. */
  proxyEnvironment?: ProxyEnvironment;
}

export async function openLocalServer(
  dataDir: string,
  clock: Clock,
  options: OpenLocalServerOptions = {},
): Promise<LocalServer> {
  const config = loadServerConfig(dataDir);
  const [keys, vendor] = await Promise.all([loadServerKeys(dataDir), loadVendorPublicKeys(dataDir)]);
  const databasePath = serverPaths(dataDir).database;
  const db = openServerDatabase(databasePath);
  // Until `serve` asks for group commit, every commit is fsynced before it returns (synchronous=FULL).
  let groupCommit: GroupCommit | undefined;
  let wal: ReturnType<typeof walFlush> | undefined;
  const verifyCertificate = certificateVerifier(config.licenseServerId, keys, vendor);
  const store = new ServerStore(db, verifyCertificate);
  const guard = new ClockGuard(clock, store, config.clockToleranceSeconds * 1000);
  // Chosen when a connection is made, not at open: a bad HTTPS_PROXY must not stop `status`.
  const centralProxy = () => chooseProxy(loadProxySetting(dataDir), options.proxyEnvironment);
  const centralDispatcher = () => createCentralDispatcher(config, centralProxy());
  const syncClient = new SyncClient({
    config,
    keys,
    vendor,
    store,
    guard,
    verifyCertificate,
    usage: (since, now) => usageReport((from, to) => leases.history(from, to), since, now),
  });
  const leases = new LeaseEngine({
    store,
    leases: new LeaseStore(db),
    guard,
    leaseSeconds: config.leaseSeconds,
    shareSeatPerUserComputer: config.shareSeatPerUserComputer,
    history: new UsageHistory(db),
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
    leaseSigner: new LeaseSigner(config.licenseServerId, keys, store),
    centralDispatcher,
    centralProxy,
    onlineTransport: () =>
      new OnlineTransport({
        centralUrl: config.centralUrl,
        ports: config.centralPorts,
        timeoutMs: config.syncTimeoutSeconds * 1000,
        connect: () => centralConnection(config, centralProxy()),
      }),
    durable: () => groupCommit?.durable() ?? Promise.resolve(),
    useGroupCommit: (flush) => {
      if (groupCommit) return;
      if (!flush) wal = walFlush(databasePath);
      groupCommit = enableGroupCommit(db, flush ?? (wal as Flush));
    },
    close: () => {
      db.close();
      void wal?.close();
    },
  };
}
