import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withoutSyncLimits } from '../support/centralConfig.ts';
import { type Daemon, daemon } from '../support/leasehold.ts';
import { SeededRandom, seedFromEnvironment } from '../support/seededRandom.ts';
import { readServerDatabase } from '../support/serverDatabase.ts';
import { type LocalServerHandle, World } from '../support/world.ts';

/**
 * Crash loop (L2; docs/security.md, Seats and durability): kill -9 the local server at random moments
 * while clients activate, renew and release, while the administrator syncs online and by file, and
 * while an automatic sync runs; then read the SQLite file as it is on disk. After every kill: the
 * database opens and is intact, every acknowledged lease is there, every acknowledged release is
 * gone, no seat is over-issued, the seat counts agree with the seats, and the allocation is one the
 * vendor issued, whole.
 */
const KILLS = Number(process.env.LEASEHOLD_CRASH_KILLS ?? 50);
const SEED = seedFromEnvironment();
const HOUR_MS = 3_600_000;
const BASE_SEATS = 12;
// The vendor flips the license between two variants that differ in two places at once, so that a
// half-applied allocation would show as a mix.
const VARIANTS = [
  { analysis: 3, expiryDate: '2030-12-31' },
  { analysis: 5, expiryDate: '2031-06-30' },
];

interface Acknowledged {
  expiresAt: number;
  components: string[];
}

describe(`the local server under kill -9, ${KILLS} times (seed ${SEED})`, () => {
  let world: World;
  let id: string;
  let licenseNumber: string;
  let server: LocalServerHandle;
  let adminToken: string;
  let centralToken: string;
  const random = new SeededRandom(SEED);
  const acknowledged = new Map<string, Acknowledged>();
  const released = new Set<string>();
  // Releases and renewals (a renewal after a shrink withdraws the lease) sent and not yet answered:
  // at a kill, the server may or may not have made them.
  const inFlight = new Map<string, number>();
  const begin = (lease: string) => inFlight.set(lease, (inFlight.get(lease) ?? 0) + 1);
  const answered = (lease: string) => inFlight.set(lease, (inFlight.get(lease) ?? 1) - 1);
  const unsettled = (lease: string) => (inFlight.get(lease) ?? 0) > 0;
  const tally = {
    kills: 0,
    grants: 0,
    renewals: 0,
    releases: 0,
    withdrawn: 0,
    syncs: 0,
    fileSyncs: 0,
    autoSyncs: 0,
  };

  const at = (offsetMs: number) => ({ LEASEHOLD_CLOCK_OFFSET_MS: String(offsetMs) });

  function configure(patch: Record<string, unknown>): void {
    const path = join(server.dataDir, 'server.json');
    writeFileSync(path, JSON.stringify({ ...JSON.parse(readFileSync(path, 'utf8')), ...patch }, null, 2));
  }

  const central = (path: string, init: RequestInit = {}) =>
    fetch(`http://127.0.0.1:${world.ports.primary}${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${centralToken}`,
        'content-type': 'application/json',
        ...init.headers,
      },
    });

  beforeAll(async () => {
    world = await World.start();
    await withoutSyncLimits(world);
    id = await world.createServerId('Crash Loop');
    const added = await world.vendor([
      'license',
      'add',
      '--server-id',
      id,
      '--expiry',
      VARIANTS[0]?.expiryDate as string,
      '--component',
      `Base=${BASE_SEATS}`,
      '--component',
      `Analysis=${VARIANTS[0]?.analysis}`,
      '--json',
    ]);
    expect(added.code, added.stderr).toBe(0);
    licenseNumber = added.json.number;
    server = await world.localServer(id);
    configure({ autoSyncCheckSeconds: 1 });
    expect((await server.sync()).code).toBe(0);
    expect((await server.run(['sync', 'auto', 'daily'])).code).toBe(0);
    const token = await server.run(['admin', 'token', 'create', '--name', 'crash', '--json']);
    expect(token.code, token.stderr).toBe(0);
    adminToken = token.json.token;
    centralToken = readFileSync(join(world.centralDir, 'admin-token'), 'utf8').trim();
  }, 60_000);
  afterAll(async () => {
    await world?.stop();
    console.info(`crash loop (seed ${SEED}): ${JSON.stringify(tally)}`);
  });

  /** One client or administrator action against the running server; failures after the kill are expected. */
  async function act(url: string): Promise<void> {
    const held = [...acknowledged.keys()];
    const roll = random.next();
    if (roll < 0.55 || held.length === 0) {
      const components = random.chance(0.3) ? ['Base', 'Analysis'] : ['Base'];
      const user = `u${random.int(1, 40)}`;
      const answer = await fetch(`${url}/v1/leases`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ components, user, computer: `pc-${user}` }),
      });
      const body = (await answer.json()) as any;
      if (answer.status === 201) {
        acknowledged.set(body.lease.id, { expiresAt: Date.parse(body.lease.expiresAt), components });
        tally.grants += 1;
      }
    } else if (roll < 0.75) {
      const lease = random.pick(held);
      begin(lease);
      const answer = await fetch(`${url}/v1/leases/${lease}/renew`, { method: 'POST' });
      const body = (await answer.json()) as any;
      answered(lease);
      const ack = acknowledged.get(lease);
      if (answer.status === 200 && ack) {
        ack.expiresAt = Date.parse(body.lease.expiresAt);
        tally.renewals += 1;
      } else if (body?.error?.code === 'LEASE_SEATS_WITHDRAWN') {
        // S2: a sync shrank the license and this renewal gave the seat back: an acknowledged end.
        acknowledged.delete(lease);
        released.add(lease);
        tally.withdrawn += 1;
      }
    } else {
      const lease = random.pick(held);
      begin(lease);
      const answer = await fetch(`${url}/v1/leases/${lease}`, { method: 'DELETE' });
      await answer.arrayBuffer();
      answered(lease);
      if (answer.status === 200) {
        acknowledged.delete(lease);
        released.add(lease);
        tally.releases += 1;
      }
    }
  }

  /** The administrator's sync of this run: online or by file, through the running server's admin API. */
  async function adminSync(url: string): Promise<void> {
    const admin = { authorization: `Bearer ${adminToken}` };
    if (random.chance(0.5)) {
      const answer = await fetch(`${url}/v1/admin/sync`, { method: 'POST', headers: admin });
      if (answer.status === 200) tally.syncs += 1;
      return;
    }
    const request = await fetch(`${url}/v1/admin/sync/request-file`, { method: 'POST', headers: admin });
    const { file } = (await request.json()) as { file: string };
    const answer = await fetch(`http://127.0.0.1:${world.ports.primary}/v1/sync/file`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: file,
    });
    const imported = await fetch(`${url}/v1/admin/sync/response-file`, {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({ file: await answer.text() }),
    });
    if (imported.status === 200) tally.fileSyncs += 1;
  }

  /** What must hold on disk after a kill, whatever moment it came. */
  function checkDisk(serverNowMs: number): void {
    const disk = readServerDatabase(server.dataDir);
    expect(disk.integrity).toBe('ok');
    for (const [lease, ack] of acknowledged) {
      if (unsettled(lease)) continue;
      // A lease the server's own clock has let run out may be gone; any other must be on disk.
      if (ack.expiresAt > serverNowMs + 5_000)
        expect(disk.leases.has(lease), `acknowledged lease ${lease}`).toBe(true);
    }
    for (const lease of released) expect(disk.leases.has(lease), `released lease ${lease}`).toBe(false);
    expect(disk.seatsHeld.Base ?? 0).toBeLessThanOrEqual(BASE_SEATS);
    expect(disk.seatsHeld.Analysis ?? 0).toBeLessThanOrEqual(Math.max(...VARIANTS.map((v) => v.analysis)));
    expect(disk.seatUsage).toEqual(disk.seatsHeld);
    // The allocation is one the vendor issued, whole: its row, its document and the sync count agree.
    const allocation = disk.allocation?.document;
    expect(allocation.version).toBe(disk.allocation?.rowVersion);
    expect(disk.syncCount).toBe(disk.allocationRows);
    const [license] = allocation.licenses;
    const seats = Object.fromEntries(license.components.map((c: any) => [c.name, c.seats]));
    expect(VARIANTS).toContainEqual({ analysis: seats.Analysis, expiryDate: license.expiryDate });
    expect(seats.Base).toBe(BASE_SEATS);
    // A release or renewal left unanswered by the kill is settled by what is on disk.
    for (const lease of acknowledged.keys()) {
      if (unsettled(lease) && !disk.leases.has(lease)) acknowledged.delete(lease);
    }
    inFlight.clear();
    // Leases the reaper may take are no longer followed.
    for (const [lease, ack] of acknowledged) if (ack.expiresAt <= serverNowMs) acknowledged.delete(lease);
  }

  it('keeps every acknowledged decision and a whole allocation across every kill', async () => {
    let offsetMs = 0;
    let variant = 0;
    for (let kill = 0; kill < KILLS; kill += 1) {
      const context = `kill ${kill + 1} of ${KILLS}, seed ${SEED}`;
      // Every tenth run the clocks move a day on: the daily automatic sync is due as the server starts.
      if (kill > 0 && kill % 10 === 0) {
        offsetMs += 25 * HOUR_MS;
        await world.stop();
        world.env = at(offsetMs);
        await world.startCentral();
        configure({ centralPorts: [world.ports.primary, world.ports.fallback] });
        tally.autoSyncs += 1;
      }
      if (random.chance(0.4)) {
        variant = 1 - variant;
        const target = VARIANTS[variant] as (typeof VARIANTS)[number];
        const changed = await central(`/v1/admin/server-ids/${id}/licenses/${licenseNumber}`, {
          method: 'PATCH',
          body: JSON.stringify({
            expiryDate: target.expiryDate,
            components: [{ name: 'Analysis', seats: target.analysis }],
          }),
        });
        expect(changed.status, `${context}: ${await changed.text()}`).toBe(200);
      }
      let running: Daemon;
      try {
        running = await daemon(
          ['server', 'serve', '--data-dir', server.dataDir, '--port', '0', '--host', '127.0.0.1'],
          at(offsetMs),
        );
      } catch (error) {
        throw new Error(`${context}: the server did not start again: ${(error as Error).message}`);
      }
      const url = running.info.url as string;
      let alive = true;
      const exited = new Promise<void>((resolve) => running.child.once('exit', () => resolve()));
      const workers = Array.from({ length: 6 }, async () => {
        while (alive) await act(url).catch(() => new Promise((resolve) => setImmediate(resolve)));
      });
      const syncAfterMs = random.int(0, 600);
      const sync = new Promise((resolve) => setTimeout(resolve, syncAfterMs)).then(() =>
        adminSync(url).catch(() => undefined),
      );
      await new Promise((resolve) => setTimeout(resolve, random.int(50, 800)));
      running.child.kill('SIGKILL');
      alive = false;
      await exited;
      await Promise.all([...workers, sync]);
      tally.kills += 1;
      try {
        checkDisk(Date.now() + offsetMs);
      } catch (error) {
        throw new Error(`${context}: ${(error as Error).message}`);
      }
    }
    expect(tally.kills).toBe(KILLS);
    expect(tally.grants).toBeGreaterThan(KILLS);
  }, 600_000);
});
