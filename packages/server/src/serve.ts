import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Clock } from '@leasehold/protocol';
import type { FastifyBaseLogger } from 'fastify';
import { buildServerApp } from './http/app.ts';
import { startReaper } from './leases/reaper.ts';
import { type OpenLocalServerOptions, openLocalServer } from './localServer.ts';
import { startCheckpointer } from './store/checkpointer.ts';
import { startAutoSync } from './sync/scheduler.ts';

const SERVE_CACHE_KIB = 64 * 1024;

export interface ServeServerOptions {
  dataDir: string;
  clock: Clock;
  logger?: FastifyBaseLogger;
  /** Overrides the configured client port (tests use free high ports; 0 picks one). */
  port?: number;
  host?: string;
  /** The standard proxy variables: automatic sync goes through them when no proxy is stored (S7). */
  proxyEnvironment?: OpenLocalServerOptions['proxyEnvironment'];
}

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

const CLOSE_GRACE_MS = 2_000;

function settledWithin(done: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return Promise.race([done, timeout]).finally(() => clearTimeout(timer));
}

/** `leasehold server serve`: the client endpoint on the configured port (L0: 443 by default). */
export async function serveServer(options: ServeServerOptions): Promise<RunningServer> {
  const server = await openLocalServer(
    options.dataDir,
    options.clock,
    options.proxyEnvironment ? { proxyEnvironment: options.proxyEnvironment } : {},
  );
  server.useGroupCommit();
  // A page cache that holds the lease tables of ~100,000 leases: renewals hit random pages, and a
  // miss is a read() on the hot path. Memory grows to it only as pages are touched.
  server.store.db.pragma(`cache_size = -${SERVE_CACHE_KIB}`);
  const tls = server.config.tls;
  let logError = (message: string) => options.logger?.error({ message }, 'background checkpoint failed');
  const checkpointer = startCheckpointer(server.store.db, (message) => logError(message));
  const app = buildServerApp(server, {
    ...(options.logger ? { logger: options.logger } : {}),
    ...(tls ? { https: { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) } } : {}),
  });
  const host = options.host ?? server.config.host;
  try {
    await app.listen({ port: options.port ?? server.config.clientPort, host });
  } catch (error) {
    await checkpointer.stop();
    server.close();
    throw error;
  }
  logError = (message) => app.log.error({ message }, 'background checkpoint failed');
  const port = (app.server.address() as AddressInfo).port;
  const stop = new AbortController();
  startReaper(server.leases, server.config.reaperIntervalSeconds * 1000, stop.signal, (error) =>
    app.log.error({ err: error }, 'lease reaper failed'),
  );
  const autoSync = startAutoSync({
    server,
    intervalMs: server.config.autoSyncCheckSeconds * 1000,
    signal: stop.signal,
    onRun: (run) =>
      run.ok
        ? app.log.info({ allocationVersion: run.result.allocationVersion }, 'automatic sync done')
        : app.log.warn(
            { code: run.code, retryAt: run.retryAt, consecutiveFailures: run.consecutiveFailures },
            'automatic sync failed',
          ),
    onError: (error) => app.log.error({ err: error }, 'automatic sync check failed'),
  });
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return {
    url: `${tls ? 'https' : 'http'}://${shown.includes(':') ? `[${shown}]` : shown}:${port}`,
    port,
    async close() {
      stop.abort();
      await app.close();
      // A sync in flight may finish and be stored; one stuck on the network is not waited for, and
      // is harmless: the central server's next answer simply carries a newer version.
      await settledWithin(autoSync.settled(), CLOSE_GRACE_MS);
      await checkpointer.stop();
      server.close();
    },
  };
}
