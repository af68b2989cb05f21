import { readFileSync } from 'node:fs';
/**
 * The idle application of the SDK benchmark, run by bench/sdk.ts in its own process: it takes one
 * floating lease through LeaseholdClient.activate, lets the SDK renew it in the background for the
 * given seconds while doing nothing else, and reports its CPU time and memory over IPC.
 */
import { performance } from 'node:perf_hooks';

export interface SdkAppResult {
  renewals: number;
  windowMs: number;
  /** CPU (user + system) used while holding the lease, from the first renewal on. */
  cpuMs: number;
  rssBeforeImport: number;
  rssAfterActivate: number;
  rssEnd: number;
  heapUsedEnd: number;
  maxRss: number;
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function main(): Promise<void> {
  const { url, vendorKeysFile, seconds, hold } = JSON.parse(process.argv[2] ?? '{}') as {
    url: string;
    vendorKeysFile: string;
    seconds: number;
    /** false: the same process, the SDK imported, but no lease (the baseline). */
    hold: boolean;
  };
  // The SDK's timers never keep a process alive; the application's own life does (here, this timer).
  const alive = setInterval(() => {}, 3_600_000);
  const rssBeforeImport = process.memoryUsage().rss;
  const { LeaseholdClient } = await import('@leasehold/client');
  const client = new LeaseholdClient({
    url,
    vendorPublicKeys: readFileSync(vendorKeysFile, 'utf8'),
    user: 'sdk-user',
    computer: 'sdk-pc',
    releaseOnExit: false,
  });
  const lease = hold ? await client.activate({ components: ['Render'] }) : undefined;
  let renewals = 0;
  let lost: unknown;
  lease?.on('lost', (error) => {
    lost = error;
  });
  const rssAfterActivate = process.memoryUsage().rss;
  // The first renewal compiles the renewal path; the window starts after it.
  if (lease) await new Promise((resolve) => lease.once('renewed', resolve));
  lease?.on('renewed', () => {
    renewals += 1;
  });
  const cpuStart = cpuMs();
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const result: SdkAppResult = {
    renewals,
    windowMs: performance.now() - started,
    cpuMs: cpuMs() - cpuStart,
    rssBeforeImport,
    rssAfterActivate,
    rssEnd: process.memoryUsage().rss,
    heapUsedEnd: process.memoryUsage().heapUsed,
    maxRss: process.resourceUsage().maxRSS * 1024,
  };
  await lease?.close();
  if (lost) throw new Error(`the lease was lost: ${String(lost)}`);
  clearInterval(alive);
  process.send?.({ type: 'result', value: result }, () => process.disconnect?.());
}

main().catch((error) => {
  process.stderr.write(`sdk app failed: ${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
