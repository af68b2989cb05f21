import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Clock } from '@leasehold/protocol';
import type { FastifyBaseLogger } from 'fastify';
import { buildServerApp } from './http/app.ts';
import { startReaper } from './leases/reaper.ts';
import { openLocalServer } from './localServer.ts';

export interface ServeServerOptions {
  dataDir: string;
  clock: Clock;
  logger?: FastifyBaseLogger;
  /** Overrides the configured client port (tests use free high ports; 0 picks one). */
  port?: number;
  host?: string;
}

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** `leasehold server serve`: the client endpoint on the configured port (L0: 443 by default). */
export async function serveServer(options: ServeServerOptions): Promise<RunningServer> {
  const server = await openLocalServer(options.dataDir, options.clock);
  const tls = server.config.tls;
  const app = buildServerApp(server, {
    ...(options.logger ? { logger: options.logger } : {}),
    ...(tls ? { https: { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) } } : {}),
  });
  const host = options.host ?? server.config.host;
  try {
    await app.listen({ port: options.port ?? server.config.clientPort, host });
  } catch (error) {
    server.close();
    throw error;
  }
  const port = (app.server.address() as AddressInfo).port;
  const stop = new AbortController();
  startReaper(server.leases, server.config.reaperIntervalSeconds * 1000, stop.signal, (error) =>
    app.log.error({ err: error }, 'lease reaper failed'),
  );
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return {
    url: `${tls ? 'https' : 'http'}://${shown.includes(':') ? `[${shown}]` : shown}:${port}`,
    port,
    async close() {
      stop.abort();
      await app.close();
      server.close();
    },
  };
}
