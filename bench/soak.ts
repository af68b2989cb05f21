/**
 * `npm run bench:soak` (docs/performance.md, Soak; not in CI): the real local server in its own
 * process with 5,000 simulated clients that hold a lease each and renew it at a third of its length,
 * a few of them releasing and taking a new one every second, while the administrator syncs with a
 * real central server every 15 s from another process (as `leasehold server sync` would). It checks
 * that no request fails, that the server holds exactly the leases the clients hold (none leaked, none
 * lost), that everything is released at the end, and that memory stays flat.
 * Options: --minutes 10, --clients 5000, --lease-seconds 30. Writes bench/soak-results.json.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { generatePartyKeys, serializePartyKeys, systemClock } from '@leasehold/protocol';
import { openLocalServer } from '@leasehold/server';
import { Pool } from 'undici';
import { startTarget } from './child.ts';
import { log, MB, round } from './common.ts';
import { benchFolder, createLocalFolder, removeBenchRoot } from './fixtures.ts';

const SOAK_ID = 'LS-S0AK-0000-0001';
const LICENSES = 250; // × 25 Base seats each (bench/centralFixture.ts) = 6,250 seats
const SYNC_EVERY_MS = 15_000;
const SAMPLE_EVERY_MS = 10_000;
const CHURN_PER_SECOND = 0.002; // of the clients: release, then take a new lease

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} takes a positive number`);
  return value;
}

const minutes = option('minutes', 10);
const clients = option('clients', 5000);
const leaseSeconds = option('lease-seconds', 30);

interface Counts {
  activations: number;
  renewals: number;
  releases: number;
  syncs: number;
  errors: Record<string, number>;
}

async function main(): Promise<boolean> {
  const counts: Counts = { activations: 0, renewals: 0, releases: 0, syncs: 0, errors: {} };
  const fail = (what: string) => {
    counts.errors[what] = (counts.errors[what] ?? 0) + 1;
  };
  const vendor = await generatePartyKeys();
  const central = await startTarget(
    {
      kind: 'central',
      storage: { kind: 'pglite', dataDir: join(benchFolder('soak-central'), 'db') },
      vendorPrivateKeys: serializePartyKeys(vendor),
      setup: { allocations: [{ id: SOAK_ID, licenses: LICENSES }] },
    },
    'soak-central',
  );
  const dir = benchFolder('soak-local');
  await createLocalFolder(dir, {
    vendorKeys: vendor,
    centralUrl: `http://127.0.0.1:${central.port}`,
    centralPorts: [central.port],
    licenseServerId: SOAK_ID,
    leaseSeconds,
  });
  // The administrator's side: a second connection to the same database, as the CLI has.
  const admin = await openLocalServer(dir, systemClock);
  await admin.syncClient.sync(admin.onlineTransport());
  const local = await startTarget({ kind: 'local', dataDir: dir }, 'soak-local');
  const pool = new Pool(local.url, { connections: 64, pipelining: 1 });
  const call = async (method: 'POST' | 'DELETE', path: string, body?: unknown) => {
    const answer = await pool.request({
      method,
      path,
      headers: body ? { 'content-type': 'application/json' } : {},
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const json = (await answer.body.json()) as { lease?: { id: string }; error?: { code: string } };
    if (answer.statusCode >= 300) throw new Error(json.error?.code ?? `HTTP ${answer.statusCode}`);
    return json;
  };
  const held: Array<string | undefined> = new Array(clients);
  const activate = async (i: number) => {
    const { lease } = await call('POST', '/v1/leases', {
      components: ['Base'],
      user: `user${i}`,
      computer: `ws${i}`,
    });
    held[i] = lease?.id;
    counts.activations++;
  };
  const serverLeases = () =>
    (admin.store.db.prepare('select count(*) as n from leases').get() as { n: number }).n;

  log(`soak: ${clients} clients, ${leaseSeconds} s leases, ${minutes} min`);
  for (let i = 0; i < clients; i += 200)
    await Promise.all(
      Array.from({ length: Math.min(200, clients - i) }, (_, k) =>
        activate(i + k).catch((e) => fail(`activate ${e.message}`)),
      ),
    );

  const samples: Array<{ atS: number; rssMB: number; heapMB: number; leases: number; held: number }> = [];
  const syncMs: number[] = [];
  const started = performance.now();
  const endAt = started + minutes * 60_000;
  const renewEveryMs = (leaseSeconds * 1000) / 3;
  let nextSync = started + SYNC_EVERY_MS;
  let nextSample = started;
  let inFlight = 0;
  let second = 0;
  while (performance.now() < endAt) {
    const tickStart = performance.now();
    // Renewals spread evenly: each client renews once per renewEveryMs.
    const perSecond = Math.ceil(clients / (renewEveryMs / 1000));
    const work: Array<Promise<unknown>> = [];
    for (let k = 0; k < perSecond; k++) {
      const i = (second * perSecond + k) % clients;
      const id = held[i];
      if (!id) continue;
      inFlight++;
      work.push(
        call('POST', `/v1/leases/${id}/renew`)
          .then(() => counts.renewals++)
          .catch((e) => fail(`renew ${e.message}`))
          .finally(() => inFlight--),
      );
    }
    for (let k = 0; k < Math.max(1, Math.round(clients * CHURN_PER_SECOND)); k++) {
      const i = Math.floor(Math.random() * clients);
      const id = held[i];
      if (!id) continue;
      held[i] = undefined;
      work.push(
        call('DELETE', `/v1/leases/${id}`)
          .then(() => counts.releases++)
          .then(() => activate(i))
          .catch((e) => fail(`churn ${e.message}`)),
      );
    }
    if (performance.now() >= nextSync) {
      nextSync += SYNC_EVERY_MS;
      const t = performance.now();
      work.push(
        admin.syncClient
          .sync(admin.onlineTransport())
          .then(() => {
            counts.syncs++;
            syncMs.push(performance.now() - t);
          })
          .catch((e) => fail(`sync ${e.code ?? e.message}`)),
      );
    }
    await Promise.all(work);
    if (performance.now() >= nextSample) {
      nextSample += SAMPLE_EVERY_MS;
      const stats = await local.stats();
      const sample = {
        atS: round((performance.now() - started) / 1000, 0),
        rssMB: round(stats.rss / MB, 1),
        heapMB: round(stats.heapUsed / MB, 1),
        leases: serverLeases(),
        held: held.filter(Boolean).length,
      };
      samples.push(sample);
      log(
        `soak ${sample.atS}s: rss ${sample.rssMB} MB, leases ${sample.leases}/${sample.held}, errors ${JSON.stringify(counts.errors)}`,
      );
    }
    second++;
    const rest = 1000 - (performance.now() - tickStart);
    if (rest > 0) await new Promise((resolve) => setTimeout(resolve, rest));
  }

  // Every lease a client holds is on the server and no other: checked once the load has stopped.
  const heldAtEnd = held.filter(Boolean).length;
  const leasesAtEnd = serverLeases();
  await Promise.all(
    held.map((id) => (id ? call('DELETE', `/v1/leases/${id}`).then(() => counts.releases++) : undefined)),
  ).catch((e) => fail(`release ${e.message}`));
  const leftAfterRelease = serverLeases();
  await pool.close();
  await local.stop();
  admin.close();
  await central.stop();

  // Flat memory: the last quarter's median RSS within 15 % of the second quarter's (after warm-up).
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  const quarter = Math.max(1, Math.floor(samples.length / 4));
  const early = median(samples.slice(quarter, 2 * quarter).map((s) => s.rssMB));
  const late = median(samples.slice(-quarter).map((s) => s.rssMB));
  const rssGrowth = early ? round(late / early - 1, 3) : 0;
  const errors = Object.values(counts.errors).reduce((a, b) => a + b, 0);
  const checks = {
    noErrors: errors === 0,
    serverHoldsExactlyTheClientsLeases: leasesAtEnd === heldAtEnd,
    nothingLeftAfterRelease: leftAfterRelease === 0,
    memoryFlat: rssGrowth <= 0.15,
  };
  const ok = Object.values(checks).every(Boolean);
  const result = {
    date: new Date().toISOString(),
    minutes,
    clients,
    leaseSeconds,
    counts,
    syncMs: { n: syncMs.length, max: round(Math.max(0, ...syncMs), 1) },
    leasesAtEnd,
    heldAtEnd,
    leftAfterRelease,
    rssGrowth,
    inFlightAtEnd: inFlight,
    checks,
    ok,
    samples,
  };
  writeFileSync(new URL('./soak-results.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
  log(`soak ${ok ? 'passed' : 'FAILED'}: ${JSON.stringify({ ...result, samples: samples.length })}`);
  return ok;
}

main()
  .then((ok) => {
    removeBenchRoot();
    process.exit(ok ? 0 : 1);
  })
  .catch((error) => {
    console.error(error);
    removeBenchRoot();
    process.exit(1);
  });
