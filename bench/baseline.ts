import type { AddressInfo } from 'node:net';
import { bareApp } from './bare.ts';
import { startTarget, type Target } from './child.ts';
import { type LoadResult, log, type Mode, settle, warmThenLoad } from './common.ts';
import { leaseId } from './fixtures.ts';
import { openLoop } from './openLoop.ts';
import { activateReleaseRequests, renewRequests } from './requests.ts';
import type { Results } from './results.ts';

export const OFFERED_RATE = 1000;

/**
 * 1,000 connections each renewing about once a second at random moments (open loop), after an
 * unmeasured warm-up of the same, each on an idle server.
 */
export async function offeredRenewals(mode: Mode, url: string, leases: number): Promise<LoadResult> {
  const run = (seconds: number) =>
    openLoop({
      url,
      connections: 1000,
      ratePerConnection: OFFERED_RATE / 1000,
      seconds,
      method: 'POST',
      path: () => `/v1/leases/${leaseId(Math.floor(Math.random() * leases))}/renew`,
    });
  await settle(url);
  await run(Math.max(0.5, mode.warmupSeconds));
  await settle(url);
  const result = await run(mode.loadSeconds);
  await settle(url);
  return result;
}

/**
 * The bare route: Fastify with the product's paths, doing nothing, in its own process for the whole
 * run. Each benchmark measures its baseline right before itself, with the same requests and
 * connections, so that both figures see the same machine (other work on it comes and goes).
 */
export class Bare {
  readonly target: Target;
  private readonly mode: Mode;
  private readonly results: Results;

  private constructor(target: Target, mode: Mode, results: Results) {
    this.target = target;
    this.mode = mode;
    this.results = results;
  }

  static async start(mode: Mode, results: Results): Promise<Bare> {
    return new Bare(await startTarget({ kind: 'bare' }, 'bare'), mode, results);
  }

  stop(): Promise<void> {
    return this.target.stop();
  }

  #record(key: string, r: LoadResult): void {
    const runs = (this.results.raw.baseline ?? {}) as Record<string, LoadResult[]>;
    runs[key] = [...(runs[key] ?? []), r];
    this.results.raw.baseline = runs;
  }

  async renew(connections: number): Promise<LoadResult> {
    log(`baseline: bare route, ${connections} connections`);
    const r = await warmThenLoad(this.mode, {
      url: this.target.url,
      connections,
      requests: renewRequests(1000),
    });
    this.#record(`renew.${connections}`, r);
    this.results.add({
      section: 'Baseline',
      name: `bare route, ${connections} connections: requests/s`,
      value: r.rate,
      unit: 'req/s',
      note: `p50 ${r.p50} ms, p99 ${r.p99} ms`,
    });
    return r;
  }

  /** 1,000 connections each offering one request a second (below saturation). */
  async offered(): Promise<LoadResult> {
    log(`baseline: bare route, 1000 connections offered ${OFFERED_RATE} req/s`);
    const r = await offeredRenewals(this.mode, this.target.url, 1000);
    this.#record('offered', r);
    this.results.add({
      section: 'Baseline',
      name: 'bare route latency p99, 1000 connections each sending about once a second (open loop)',
      value: r.p99,
      unit: 'ms p99',
      note: `p50 ${r.p50} ms`,
    });
    return r;
  }

  /** Activate + release cycles (two requests each) per second. */
  async cycle(connections: number): Promise<LoadResult> {
    log(`baseline: bare activate + release cycle, ${connections} connections`);
    const r = await warmThenLoad(this.mode, {
      url: this.target.url,
      connections,
      requests: activateReleaseRequests(),
    });
    const cycles = { ...r, rate: r.rate / 2 };
    this.#record('cycle', cycles);
    this.results.add({
      section: 'Baseline',
      name: `bare activate + release, ${connections} connections: cycles/s`,
      value: cycles.rate,
      unit: 'cycles/s',
      note: 'two requests per cycle',
    });
    return cycles;
  }
}

/**
 * Where the load generator runs: the bare route with autocannon in the server's own process,
 * against the same route in a child process, measured back to back.
 */
export async function measureLoadGeneratorPlacement(mode: Mode, results: Results, bare: Bare): Promise<void> {
  const connections = 100;
  const child = await bare.renew(connections);
  const app = bareApp();
  await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    log(`baseline: bare route with autocannon in the same process, ${connections} connections`);
    const r = await warmThenLoad(mode, { url, connections, requests: renewRequests(1000) });
    results.add({
      section: 'Baseline',
      name: `bare route, load generator in the server's process, ${connections} connections`,
      value: r.rate,
      unit: 'req/s',
      baseline: { name: 'server in a child process', value: child.rate, unit: 'req/s' },
      ratio: r.rate / child.rate,
      note: `p50 ${r.p50} ms, p99 ${r.p99} ms`,
    });
    results.raw.inProcessBaseline = r;
  } finally {
    await app.close();
  }
}
