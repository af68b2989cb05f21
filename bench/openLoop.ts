import { performance } from 'node:perf_hooks';
import { Client } from 'undici';
import { type LoadResult, summary } from './common.ts';

export interface OpenLoopOptions {
  url: string;
  connections: number;
  /** Requests per second per connection, on average. */
  ratePerConnection: number;
  seconds: number;
  method: 'POST' | 'GET';
  path: () => string;
}

/**
 * Open-loop load, the way many clients behave: each connection is one client sending at its own
 * random moments (intervals uniform in [0.5, 1.5] × the mean), whatever the server's speed. A
 * request that must wait for the previous answer on its connection is timed from when it was due,
 * so a slow server is not flattered (no coordinated omission). autocannon's rate limit is not used
 * here: it fires every connection on the same tick, a burst that no real population of clients makes.
 */
export async function openLoop(o: OpenLoopOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  const periodMs = 1000 / o.ratePerConnection;
  const clients = Array.from({ length: o.connections }, () => new Client(o.url, { pipelining: 1 }));
  // Open every connection before the clock starts.
  await Promise.all(
    clients.map((c) => c.request({ method: 'GET', path: '/healthz' }).then((r) => r.body.dump())),
  );
  const runStart = performance.now();
  const stopAt = runStart + o.seconds * 1000;
  await Promise.all(
    clients.map(async (client) => {
      let due = runStart + Math.random() * periodMs;
      // A server slower than the offered rate leaves requests undone at the end: they are not sent.
      while (due < stopAt && performance.now() < stopAt) {
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        // Timed from when it was due, or from when it left if a timer fired a little early.
        const start = Math.min(due, performance.now());
        try {
          const response = await client.request({ method: o.method, path: o.path() });
          await response.body.dump();
          if (response.statusCode >= 200 && response.statusCode < 300) ok += 1;
          else non2xx += 1;
          latencies.push(performance.now() - start);
        } catch {
          errors += 1;
        }
        due += periodMs * (0.5 + Math.random());
      }
    }),
  );
  const elapsed = (performance.now() - runStart) / 1000;
  await Promise.all(clients.map((c) => c.close()));
  const s = summary(latencies);
  return {
    connections: o.connections,
    seconds: Math.round(elapsed * 100) / 100,
    rate: Math.round(ok / elapsed),
    p50: s.p50,
    p99: s.p99,
    errors,
    non2xx,
    timeouts: 0,
  };
}
