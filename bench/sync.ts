import { join } from 'node:path';
import { generatePartyKeys, type PartyKeys, serializePartyKeys, systemClock } from '@leasehold/protocol';
import { openLocalServer } from '@leasehold/server';
import { postgresSchema } from './central.ts';
import { startTarget } from './child.ts';
import { log, type Mode, round, summary, timed } from './common.ts';
import { type CryptoCost, measureCrypto } from './crypto.ts';
import { benchFolder, createLocalFolder } from './fixtures.ts';
import type { Results } from './results.ts';

const CRYPTO_RATIO_TARGET = 3;

/** The round-trip ids: `LS-RTRP-…` followed by the allocation size. */
function roundTripId(licenses: number): string {
  const s = String(licenses).padStart(8, '0');
  return `LS-RTRP-${s.slice(0, 4)}-${s.slice(4)}`;
}

/**
 * Full online sync round trips: the real local server's SyncClient (seal, POST over loopback HTTP,
 * open, check, store in SQLite) against the real central app on PGlite in its own process (open,
 * bind or check, read the allocation, seal, log). Also the sync files' sizes, and the bare crypto
 * cost of one sync of each size measured in the same run.
 */
export async function measureSync(mode: Mode, results: Results): Promise<void> {
  const vendor = await generatePartyKeys();
  // The full run measures the embedded store; the smoke run skips PGlite's ~5 s first start.
  const postgres = mode.centralOnPglite ? undefined : await postgresSchema();
  const central = await startTarget(
    {
      kind: 'central',
      storage: postgres?.storage ?? { kind: 'pglite', dataDir: join(benchFolder('sync-central'), 'db') },
      vendorPrivateKeys: serializePartyKeys(vendor),
      setup: { allocations: mode.syncSizes.map(([licenses]) => ({ id: roundTripId(licenses), licenses })) },
    },
    'sync-central',
  );
  const raw: Record<string, unknown> = {};
  try {
    for (const [licenses, rounds] of mode.syncSizes) {
      await roundTrips(mode, results, raw, { vendor, port: central.port, licenses, rounds });
    }
  } finally {
    await central.stop();
    await postgres?.drop();
    results.raw.sync = raw;
  }
}

async function roundTrips(
  mode: Mode,
  results: Results,
  raw: Record<string, unknown>,
  o: { vendor: PartyKeys; port: number; licenses: number; rounds: number },
): Promise<void> {
  const label = o.licenses.toLocaleString('en-US');
  const dir = benchFolder(`sync-${o.licenses}`);
  await createLocalFolder(dir, {
    vendorKeys: o.vendor,
    centralUrl: `http://127.0.0.1:${o.port}`,
    centralPorts: [o.port],
    licenseServerId: roundTripId(o.licenses),
  });
  const server = await openLocalServer(dir, systemClock);
  try {
    const transport = server.onlineTransport();
    // The first sync binds the id; it and a second one warm both sides up.
    for (let i = 0; i < 2; i++) await server.syncClient.sync(transport);
    log(`sync: ${o.rounds} round trips with ${label} licenses`);
    const samples: number[] = [];
    for (let i = 0; i < o.rounds; i++) {
      const { value, ms } = await timed(() => server.syncClient.sync(transport));
      if (value.licenses !== o.licenses)
        throw new Error(`synced ${value.licenses} licenses, not ${o.licenses}`);
      samples.push(ms);
    }
    const s = summary(samples);

    // The same exchange by file: the request file out, the central's offline endpoint, the response file in.
    const { file: requestFile } = await server.syncClient.exportRequestFile();
    const answer = await fetch(`http://127.0.0.1:${o.port}/v1/sync/file`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: requestFile,
    });
    const responseFile = await answer.text();
    if (answer.status !== 200) throw new Error(`sync by file answered ${answer.status}: ${responseFile}`);
    await server.syncClient.importResponseFile(responseFile);

    const crypto = await measureCrypto(
      server.keys,
      o.vendor,
      o.licenses,
      Math.max(2, Math.round(mode.cryptoCycles / Math.max(1, o.licenses / 20))),
    );
    const ratio = s.p50 / crypto.totalMs;
    results.add({
      section: 'Sync',
      name: `online sync round trip, ${label} license${o.licenses === 1 ? '' : 's'}: p50`,
      value: s.p50,
      unit: 'ms',
      baseline: { name: 'bare crypto of one sync', value: round(crypto.totalMs, 2), unit: 'ms' },
      ratio,
      target: `≤ ${CRYPTO_RATIO_TARGET}× crypto`,
      met: ratio <= CRYPTO_RATIO_TARGET,
      note: `p99 ${s.p99} ms over ${s.n} round trips`,
    });
    results.add({
      section: 'Sync',
      name: `sync files, ${label} license${o.licenses === 1 ? '' : 's'}: request / response`,
      value: round(responseFile.length / 1024, 1),
      unit: 'KiB response',
      note: `request ${round(requestFile.length / 1024, 1)} KiB`,
    });
    raw[`licenses.${o.licenses}`] = {
      roundTripMs: s,
      samples: samples.map((v) => round(v, 2)),
      requestFileBytes: requestFile.length,
      responseFileBytes: responseFile.length,
      crypto: roundCost(crypto),
    };
  } finally {
    server.close();
  }
}

export function roundCost(c: CryptoCost): CryptoCost {
  return Object.fromEntries(Object.entries(c).map(([k, v]) => [k, round(v, 3)])) as unknown as CryptoCost;
}
