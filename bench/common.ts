import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';

/** Sizes and durations of one run: `full` for `npm run bench`, `quick` for the CI smoke run. */
export interface Mode {
  name: 'full' | 'quick';
  /** Seconds of measured load per autocannon run (after `warmupSeconds` of unmeasured load). */
  loadSeconds: number;
  warmupSeconds: number;
  /** Active leases the renew and activate benchmarks run against. */
  renewLeases: number;
  /** Lease counts of the capacity benchmark. */
  capacityLeases: number[];
  /** Leases on disk for the restart measurement. */
  restartLeases: number;
  /** Online sync round trips per allocation size: [licenses, round trips]. */
  syncSizes: Array<[number, number]>;
  /** Central ids (bulk-inserted) and how many sealed syncs are fired at the central server. */
  centralIds: number;
  centralSyncs: number;
  /** Sequential seal+open cycles timed for the bare crypto cost. */
  cryptoCycles: number;
  /** How long the SDK's idle application holds its lease (seconds). */
  sdkSeconds: number;
  /** Also measure the bare route with autocannon in the server's own process. */
  inProcessBaseline: boolean;
  /** Central sync rate on PGlite too (its first start costs ~5 s of initdb). */
  centralOnPglite: boolean;
}

export const MODES: Record<Mode['name'], Mode> = {
  full: {
    name: 'full',
    loadSeconds: 8,
    warmupSeconds: 2,
    renewLeases: 100_000,
    capacityLeases: [100_000, 1_000_000],
    restartLeases: 100_000,
    syncSizes: [
      [1, 100],
      [100, 50],
      [10_000, 8],
    ],
    centralIds: 100_000,
    centralSyncs: 3_000,
    cryptoCycles: 400,
    sdkSeconds: 30,
    inProcessBaseline: true,
    centralOnPglite: true,
  },
  quick: {
    name: 'quick',
    loadSeconds: 1,
    warmupSeconds: 0.25,
    renewLeases: 10_000,
    capacityLeases: [10_000],
    restartLeases: 10_000,
    // 1,000 rather than 10,000 licenses: the same code path, and it keeps the smoke run under a minute.
    syncSizes: [
      [1, 5],
      [100, 3],
      [1_000, 1],
    ],
    centralIds: 1_000,
    centralSyncs: 200,
    cryptoCycles: 30,
    sdkSeconds: 2,
    inProcessBaseline: false,
    centralOnPglite: false,
  },
};

export interface LoadResult {
  connections: number;
  seconds: number;
  /** Successful (2xx) responses per second. */
  rate: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  timeouts: number;
}

export interface LoadOptions {
  url: string;
  connections: number;
  seconds?: number;
  /** Stop after this many requests instead of after `seconds`. */
  amount?: number;
  /** Offered load (requests/s over all connections); closed loop when absent. */
  overallRate?: number;
  requests?: autocannon.Request[];
  method?: autocannon.Request['method'];
  body?: string;
  headers?: Record<string, string>;
}

/** One autocannon run from this process. Rates count 2xx answers only. */
export async function load(options: LoadOptions): Promise<LoadResult> {
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    ...(options.amount ? { amount: options.amount } : { duration: options.seconds ?? 5 }),
    ...(options.overallRate ? { overallRate: options.overallRate } : {}),
    ...(options.requests ? { requests: options.requests } : {}),
    ...(options.method ? { method: options.method } : {}),
    ...(options.body ? { body: options.body } : {}),
    headers: options.headers ?? {},
    timeout: 30,
  });
  return {
    connections: options.connections,
    seconds: round(result.duration, 2),
    rate: round(result['2xx'] / result.duration, 0),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
    timeouts: result.timeouts,
  };
}

/**
 * Waits until the server has worked off what earlier load left queued (requests it received before
 * autocannon closed their connections): /healthz answers in under 5 ms, or 30 s have passed.
 */
export async function settle(url: string): Promise<void> {
  const until = performance.now() + 30_000;
  while (performance.now() < until) {
    const t = performance.now();
    const response = await fetch(`${url}/healthz`);
    await response.arrayBuffer();
    if (performance.now() - t < 5) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Unmeasured load first (JIT, caches, connection setup), then the measured run, each on an idle server. */
export async function warmThenLoad(mode: Mode, options: LoadOptions): Promise<LoadResult> {
  await settle(options.url);
  await load({ ...options, seconds: mode.warmupSeconds, amount: undefined });
  await settle(options.url);
  const result = await load({ ...options, seconds: mode.loadSeconds });
  await settle(options.url);
  return result;
}

export async function timed<T>(fn: () => Promise<T> | T): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - start };
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

export function summary(samplesMs: number[]): { p50: number; p99: number; mean: number; n: number } {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const mean = sorted.reduce((s, v) => s + v, 0) / Math.max(1, sorted.length);
  return {
    p50: round(percentile(sorted, 50), 2),
    p99: round(percentile(sorted, 99), 2),
    mean: round(mean, 2),
    n: sorted.length,
  };
}

export function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export const MB = 1024 * 1024;

export function log(message: string): void {
  const t = round(process.uptime(), 1).toFixed(1).padStart(6);
  process.stderr.write(`[bench ${t}s] ${message}\n`);
}

/** Random integers in [0, n) for request paths. */
export function randomIndex(n: number): number {
  return Math.floor(Math.random() * n);
}
