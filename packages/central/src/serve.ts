import { readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { type Clock, writeFileAtomic } from '@leasehold/protocol';
import type { FastifyBaseLogger } from 'fastify';
import { centralPaths, loadCentralConfig, storageOf } from './config.ts';
import { buildCentralApp } from './http/app.ts';
import { openVendorKeySource } from './keys/vendorKeys.ts';
import { openCentralStore } from './store/open.ts';

export interface ServeCentralOptions {
  dataDir: string;
  clock: Clock;
  logger?: FastifyBaseLogger;
  /** Overrides of the configured ports (tests use free high ports; 0 picks one). */
  port?: number;
  fallbackPort?: number;
  host?: string;
  /** The vendor private key file's JSON, when it comes from a secret store rather than the data folder. */
  vendorPrivateKeys?: string;
}

export interface RunningCentral {
  ports: { primary: number; fallback: number };
  url: string;
  close(): Promise<void>;
}

/** `leasehold central serve`: one app, listening on the primary (443) and the fallback (8080) port. */
export async function serveCentral(options: ServeCentralOptions): Promise<RunningCentral> {
  const config = loadCentralConfig(options.dataDir);
  const store = await openCentralStore(storageOf(options.dataDir, config));
  const vendorKeySource = await openVendorKeySource(options.dataDir, options.vendorPrivateKeys);
  const app = buildCentralApp({
    db: store.db,
    clock: options.clock,
    vendorKeys: (await vendorKeySource.current()).vendorKeys,
    vendorKeySource,
    keyringLocation: {
      dataDir: options.dataDir,
      ...(options.vendorPrivateKeys ? { privateKeysText: options.vendorPrivateKeys } : {}),
    },
    adminTokenSha256: config.adminTokenSha256,
    syncRequestsPerMinutePerAddress: config.syncRequestsPerMinutePerAddress,
    syncRequestsPerMinutePerId: config.syncRequestsPerMinutePerId,
    trustProxy: config.trustProxy,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  await app.ready();
  const tls = config.tls
    ? { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) }
    : undefined;
  const host = options.host ?? config.host;
  const listen = (port: number) =>
    new Promise<Server>((resolve, reject) => {
      const server = tls ? createHttpsServer(tls, app.routing) : createHttpServer(app.routing);
      server.once('error', reject);
      server.listen(port, host, () => resolve(server));
    });
  const servers: Server[] = [];
  try {
    servers.push(await listen(options.port ?? config.port));
    servers.push(await listen(options.fallbackPort ?? config.fallbackPort));
  } catch (error) {
    for (const s of servers) s.close();
    await app.close();
    await store.close();
    throw error;
  }
  const [primary, fallback] = servers.map((s) => (s.address() as AddressInfo).port) as [number, number];
  const scheme = tls ? 'https' : 'http';
  const localHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const url = `${scheme}://${localHost.includes(':') ? `[${localHost}]` : localHost}:${primary}`;
  const lockPath = centralPaths(options.dataDir).serveLock;
  // Lets the CLI send vendor commands to this process while it holds the embedded database.
  writeFileAtomic(lockPath, `${JSON.stringify({ pid: process.pid, adminUrl: url })}\n`);
  return {
    ports: { primary, fallback },
    url,
    async close() {
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
      rmSync(lockPath, { force: true });
      await app.close();
      await store.close();
    },
  };
}
