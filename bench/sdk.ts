import { fileURLToPath } from 'node:url';
import { forkBench, resultOf, startTarget } from './child.ts';
import { log, MB, type Mode, round } from './common.ts';
import { benchFolder, benchLicense, createLocalFolder } from './fixtures.ts';
import type { Results } from './results.ts';
import type { SdkAppResult } from './sdkApp.ts';

const APP = fileURLToPath(new URL('./sdkApp.ts', import.meta.url));
/** The shortest lease the server allows: a renewal every ~3.3 s instead of every 100 s. */
const SHORT_LEASE_SECONDS = 10;
const DEFAULT_LEASE_SECONDS = 300;
const HOUR_S = 3600;

/**
 * The SDK's cost to an idle application holding one lease: a real local server with 10-second
 * leases, and an application process that activates through LeaseholdClient and then only lets the
 * SDK renew. CPU per renewal is scaled to an hour at the short lease and at the default lease.
 */
export async function measureSdk(mode: Mode, results: Results): Promise<void> {
  const dir = benchFolder('sdk');
  await createLocalFolder(dir, { licenses: [benchLicense()], leaseSeconds: SHORT_LEASE_SECONDS });
  const vendorKeysFile = `${dir}-vendor-public-keys.json`;
  const server = await startTarget({ kind: 'local', dataDir: dir }, 'sdk-server');
  let r: SdkAppResult;
  let idle: SdkAppResult;
  try {
    log(`sdk: an application holds one lease for ${mode.sdkSeconds} s, beside one that holds none`);
    const app = (hold: boolean) =>
      resultOf<SdkAppResult>(
        forkBench(
          APP,
          [JSON.stringify({ url: server.url, vendorKeysFile, seconds: mode.sdkSeconds, hold })],
          hold ? 'sdk-app' : 'sdk-idle',
        ),
      );
    [r, idle] = await Promise.all([app(true), app(false)]);
  } finally {
    await server.stop();
  }
  const windowS = r.windowMs / 1000;
  // What holding the lease adds over the same process holding none, over the same seconds.
  const idleCpuMs = (idle.cpuMs / idle.windowMs) * r.windowMs;
  const addedCpuMs = Math.max(0, r.cpuMs - idleCpuMs);
  const perRenewalMs = addedCpuMs / Math.max(1, r.renewals);
  const shortPerHour = (addedCpuMs / windowS) * HOUR_S;
  const renewalsPerHourDefault = HOUR_S / (DEFAULT_LEASE_SECONDS / 3);
  const defaultPerHour = perRenewalMs * renewalsPerHourDefault;
  results.add({
    section: 'SDK',
    name: `CPU of an idle application holding one lease, ${SHORT_LEASE_SECONDS} s leases, scaled to an hour`,
    value: round(shortPerHour / 1000, 2),
    unit: 'CPU s/hour',
    baseline: {
      name: 'same process, no lease',
      value: round(((idleCpuMs / windowS) * HOUR_S) / 1000, 2),
      unit: 'CPU s/hour',
    },
    note: `added CPU: ${r.renewals} renewals in ${round(windowS, 1)} s, ${round(perRenewalMs, 2)} ms each; ${round((shortPerHour / (HOUR_S * 1000)) * 100, 3)} % of a core`,
  });
  results.add({
    section: 'SDK',
    name: `CPU of the same at the default ${DEFAULT_LEASE_SECONDS} s lease (${renewalsPerHourDefault} renewals an hour)`,
    value: round(defaultPerHour / 1000, 3),
    unit: 'CPU s/hour',
    note: 'CPU per renewal measured above × renewals per hour',
  });
  results.add({
    section: 'SDK',
    name: 'memory the SDK adds to the application (RSS after activation − before importing the SDK)',
    value: round((r.rssAfterActivate - r.rssBeforeImport) / MB, 1),
    unit: 'MB',
    note: `RSS ${round(r.rssEnd / MB, 0)} MB at the end (Node and the tsx loader included), heap ${round(r.heapUsedEnd / MB, 1)} MB; growth while holding ${round((r.rssEnd - r.rssAfterActivate) / MB, 1)} MB`,
  });
  results.raw.sdk = { holding: r, idle };
}
