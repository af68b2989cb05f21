import { type Bare, OFFERED_RATE, offeredRenewals } from './baseline.ts';
import { startTarget } from './child.ts';
import { type LoadResult, log, MB, type Mode, round, warmThenLoad } from './common.ts';
import { BENCH_LICENSE, benchFolder, benchLicense, createLocalFolder, insertLeases } from './fixtures.ts';
import { renewRequests } from './requests.ts';
import type { Results } from './results.ts';

const P99_TARGET_MS = 10;
const RATIO_TARGET = 0.4;

function problems(r: LoadResult): string {
  const bad = [r.non2xx ? `${r.non2xx} non-2xx` : '', r.errors ? `${r.errors} errors` : ''].filter(Boolean);
  return bad.length ? `; ${bad.join(', ')}` : '';
}

/**
 * Renewals of random existing leases against the real local server (`serveServer`: the app, the
 * lease engine, SQLite in WAL with synchronous = FULL, the reaper) holding `mode.renewLeases` leases.
 */
export async function measureRenew(
  mode: Mode,
  results: Results,
  bare: Bare,
  connections: number[],
): Promise<void> {
  const n = mode.renewLeases;
  const dir = benchFolder('renew');
  await createLocalFolder(dir, { licenses: [benchLicense(BENCH_LICENSE)] });
  log(`renew: inserting ${n} leases`);
  insertLeases(dir, n);
  const target = await startTarget({ kind: 'local', dataDir: dir }, 'renew');
  const raw: Record<string, unknown> = {};
  try {
    for (const c of connections) {
      log(`renew: ${n} leases, ${c} connections`);
      const base = await bare.renew(c);
      const r = await warmThenLoad(mode, { url: target.url, connections: c, requests: renewRequests(n) });
      raw[`closed.${c}`] = r;
      results.add({
        section: 'Renew',
        name: `renewals/s, ${c} connections, ${n.toLocaleString('en-US')} leases`,
        value: r.rate,
        unit: 'renewals/s',
        baseline: { name: 'bare route', value: base.rate, unit: 'req/s' },
        ratio: r.rate / base.rate,
        target: `≥ ${RATIO_TARGET * 100} % of bare`,
        met: r.rate / base.rate >= RATIO_TARGET,
        note: `closed loop${problems(r)}`,
      });
      results.add({
        section: 'Renew',
        name: `renew latency p50 / p99, ${c} connections (saturated)`,
        value: r.p99,
        unit: 'ms p99',
        baseline: { name: 'bare route p99', value: base.p99, unit: 'ms' },
        note: `p50 ${r.p50} ms`,
        ...(c === 1000 ? { target: `p99 ≤ ${P99_TARGET_MS} ms`, met: r.p99 <= P99_TARGET_MS } : {}),
      });
    }
    {
      // Little's law: at saturation 1,000 connections each waiting for its answer queue for about
      // 1,000 / rate seconds, whatever the server. So the latency target is also measured below
      // saturation: 1,000 connections each renewing about once a second at random moments (real clients
      // renew every 100 s).
      const base = await bare.offered();
      log(`renew: 1000 connections offered ${OFFERED_RATE} req/s`);
      const r = await offeredRenewals(mode, target.url, n);
      raw.offered1000 = { offered: OFFERED_RATE, ...r };
      results.add({
        section: 'Renew',
        name: 'renew latency p99, 1000 connections each renewing about once a second (open loop)',
        value: r.p99,
        unit: 'ms p99',
        baseline: { name: 'bare route p99', value: base.p99, unit: 'ms' },
        note: `p50 ${r.p50} ms, answered ${r.rate}/s of ${OFFERED_RATE}/s offered${problems(r)}`,
        target: `p99 ≤ ${P99_TARGET_MS} ms`,
        met: r.p99 <= P99_TARGET_MS,
      });
    }
    const stats = await target.stats();
    raw.serverStats = stats;
    results.add({
      section: 'Renew',
      name: `local server peak RSS after the renew runs (${n.toLocaleString('en-US')} leases)`,
      value: round(stats.maxRss / MB, 1),
      unit: 'MB',
    });
  } finally {
    await target.stop();
    results.raw.renew = raw;
  }
}
