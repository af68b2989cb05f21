import type { Bare } from './baseline.ts';
import { startTarget } from './child.ts';
import { log, type Mode, warmThenLoad } from './common.ts';
import { benchFolder, benchLicense, createLocalFolder, insertLeases } from './fixtures.ts';
import { activateReleaseRequests } from './requests.ts';
import type { Results } from './results.ts';

const RATIO_TARGET = 0.25;
const CONNECTIONS = 100;

/**
 * Activate + release cycles (each request one IMMEDIATE transaction, durable before the answer)
 * against the real local server holding the same leases as the renew benchmark.
 */
export async function measureActivate(mode: Mode, results: Results, bare: Bare): Promise<void> {
  const n = mode.renewLeases;
  const dir = benchFolder('activate');
  await createLocalFolder(dir, { licenses: [benchLicense()] });
  insertLeases(dir, n);
  const target = await startTarget({ kind: 'local', dataDir: dir }, 'activate');
  try {
    const base = await bare.cycle(CONNECTIONS);
    log(`activate: ${n} leases, ${CONNECTIONS} connections`);
    const load = await warmThenLoad(mode, {
      url: target.url,
      connections: CONNECTIONS,
      requests: activateReleaseRequests(),
    });
    const cycles = load.rate / 2;
    const bareRate = base.rate;
    results.add({
      section: 'Activate + release',
      name: `cycles/s, ${CONNECTIONS} connections, ${n.toLocaleString('en-US')} leases held`,
      value: cycles,
      unit: 'cycles/s',
      baseline: { name: 'bare activate + release', value: bareRate, unit: 'cycles/s' },
      ratio: cycles / bareRate,
      target: `≥ ${RATIO_TARGET * 100} % of bare`,
      met: cycles / bareRate >= RATIO_TARGET,
      note: `p50 ${load.p50} ms, p99 ${load.p99} ms per request${load.non2xx ? `; ${load.non2xx} non-2xx` : ''}`,
    });
    results.raw.activate = load;
  } finally {
    await target.stop();
  }
}
