/**
 * The process under load: started by bench/child.ts with one JSON argument, it serves on a free
 * loopback port, says `ready` over IPC, answers `stats`, and exits on `stop`. Running the server
 * here and the load generator in the parent gives each its own core (see docs/performance.md).
 */
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { buildCentralApp, openCentralStore, type StorageConfig } from '@leasehold/central';
import { parsePartyKeys, systemClock } from '@leasehold/protocol';
import { serveServer } from '@leasehold/server/http';
import { bareApp } from './bare.ts';
import { type CentralSetup, setupCentral } from './centralFixture.ts';

export type TargetConfig =
  | { kind: 'bare' }
  | { kind: 'local'; dataDir: string }
  | { kind: 'central'; storage: StorageConfig; vendorPrivateKeys: string; setup: CentralSetup };

export interface ReadyMessage {
  type: 'ready';
  port: number;
  /** Time to open the data and listen, measured inside the process. */
  openMs: number;
  setupMs?: number;
}

export interface StatsMessage {
  type: 'stats';
  rss: number;
  heapUsed: number;
  maxRss: number;
  cpuUserMs: number;
  cpuSystemMs: number;
}

interface Running {
  port: number;
  openMs: number;
  setupMs?: number;
  close(): Promise<void>;
}

async function start(config: TargetConfig): Promise<Running> {
  const started = performance.now();
  if (config.kind === 'bare') {
    const app = bareApp();
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as AddressInfo).port;
    return { port, openMs: performance.now() - started, close: () => app.close() };
  }
  if (config.kind === 'local') {
    const running = await serveServer({
      dataDir: config.dataDir,
      clock: systemClock,
      port: 0,
      host: '127.0.0.1',
    });
    return { port: running.port, openMs: performance.now() - started, close: () => running.close() };
  }
  const store = await openCentralStore(config.storage);
  const openMs = performance.now() - started;
  const setupStarted = performance.now();
  await setupCentral(store.db, config.setup);
  const setupMs = performance.now() - setupStarted;
  const app = buildCentralApp({
    db: store.db,
    clock: systemClock,
    vendorKeys: await parsePartyKeys(config.vendorPrivateKeys),
    adminTokenSha256: '0'.repeat(64),
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as AddressInfo).port;
  return {
    port,
    openMs,
    setupMs,
    close: async () => {
      await app.close();
      await store.close();
    },
  };
}

function stats(): StatsMessage {
  const memory = process.memoryUsage();
  const usage = process.resourceUsage();
  return {
    type: 'stats',
    rss: memory.rss,
    heapUsed: memory.heapUsed,
    maxRss: usage.maxRSS * 1024,
    cpuUserMs: usage.userCPUTime / 1000,
    cpuSystemMs: usage.systemCPUTime / 1000,
  };
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as TargetConfig;
  const running = await start(config);
  process.on('message', async (message: { type: string }) => {
    if (message.type === 'stats') process.send?.(stats());
    if (message.type === 'stop') {
      await running.close();
      process.disconnect?.();
      process.exitCode = 0;
    }
  });
  const ready: ReadyMessage = {
    type: 'ready',
    port: running.port,
    openMs: running.openMs,
    ...(running.setupMs === undefined ? {} : { setupMs: running.setupMs }),
  };
  process.send?.(ready);
}

main().catch((error) => {
  process.stderr.write(`bench target failed: ${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
