import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  errorFromWire,
  parseVendorPublicKeys,
  systemClock,
  type VendorPublicKeys,
} from '@leasehold/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeLocalServer } from '../../packages/central/src/test-support/localServers.ts';
import { withoutSyncLimits } from '../support/centralConfig.ts';
import { SeededRandom, seedFromEnvironment } from '../support/seededRandom.ts';
import { World } from '../support/world.ts';

/**
 * Crash loop (S3, C3; docs/security.md, Binding and clones), the vendor side: kill -9 `central serve`
 * (embedded PGlite, the default) while new ids are created, two servers race for each id's first
 * sync, and licenses change. After every kill the database opens again, every acknowledged id,
 * binding and license change is there, no id is bound to a key that did not win, and response
 * versions only go up.
 */
const KILLS = Number(process.env.LEASEHOLD_CENTRAL_CRASH_KILLS ?? 20);
const SEED = seedFromEnvironment();

type Fake = Awaited<ReturnType<typeof fakeLocalServer>>;
interface IdState {
  racers: Fake[];
  /** The racer whose first sync was answered, and the highest version answered to it. */
  winner?: Fake;
  version: number;
}

describe(`the central server under kill -9, ${KILLS} times (seed ${SEED})`, () => {
  let world: World;
  let vendor: VendorPublicKeys;
  let token: string;
  let licensed: string;
  let licenseNumber: string;
  const random = new SeededRandom(SEED);
  const ids = new Map<string, IdState>();
  /** License change: the Analysis seats last acknowledged, and those sent without an answer. */
  const seats = { acknowledged: 1, unanswered: new Set<number>() };
  const tally = { kills: 0, idsCreated: 0, firstSyncs: 0, resyncs: 0, licenseChanges: 0 };

  const base = () => `http://127.0.0.1:${world.ports.primary}`;
  const admin = (path: string, init: RequestInit = {}) =>
    fetch(`${base()}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    });
  const send = async (sealed: string) => {
    const answer = await fetch(`${base()}/v1/sync`, {
      method: 'POST',
      headers: { 'content-type': 'application/jose' },
      body: sealed,
    });
    const text = await answer.text();
    if (answer.status !== 200) throw errorFromWire(JSON.parse(text)) ?? new Error(text);
    return text;
  };

  beforeAll(async () => {
    world = await World.start();
    await withoutSyncLimits(world);
    vendor = await parseVendorPublicKeys(readFileSync(world.vendorKeysFile, 'utf8'));
    token = readFileSync(join(world.centralDir, 'admin-token'), 'utf8').trim();
    licensed = await world.createServerId('Licensed');
    const added = await admin(`/v1/admin/server-ids/${licensed}/licenses`, {
      method: 'POST',
      body: JSON.stringify({
        expiryDate: '2030-12-31',
        components: [
          { name: 'Base', seats: 10 },
          { name: 'Analysis', seats: 1 },
        ],
      }),
    });
    expect(added.status, await added.clone().text()).toBe(201);
    licenseNumber = ((await added.json()) as { number: string }).number;
  }, 60_000);
  afterAll(async () => {
    await world?.stop();
    console.info(`central crash loop (seed ${SEED}): ${JSON.stringify(tally)}`);
  });

  async function createId(): Promise<void> {
    const created = await admin('/v1/admin/server-ids', {
      method: 'POST',
      body: JSON.stringify({ customer: 'Race' }),
    });
    if (created.status !== 201) return;
    const { id } = (await created.json()) as { id: string };
    const racers = await Promise.all(
      [0, 1].map(() => fakeLocalServer(id, { clock: systemClock, vendor, send })),
    );
    ids.set(id, { racers, version: 0 });
    tally.idsCreated += 1;
  }

  /** Both racers of an unbound id try their first sync at once; a bound id's winner syncs again. */
  async function syncSome(): Promise<void> {
    const state = random.pick([...ids.values()]);
    if (!state) return;
    const senders = state.winner ? [state.winner] : state.racers;
    await Promise.all(
      senders.map(async (fake) => {
        const response = await fake.sync();
        if (state.winner && state.winner !== fake) throw new Error('a second key was answered for one id');
        state.winner = fake;
        state.version = Math.max(state.version, response.allocation.version);
        if (senders.length === 2) tally.firstSyncs += 1;
        else tally.resyncs += 1;
      }),
    );
  }

  async function changeLicense(): Promise<void> {
    const next = random.int(0, 9);
    seats.unanswered.add(next);
    const changed = await admin(`/v1/admin/server-ids/${licensed}/licenses/${licenseNumber}`, {
      method: 'PATCH',
      body: JSON.stringify({ components: [{ name: 'Analysis', seats: next }] }),
    });
    if (changed.status === 200) {
      seats.acknowledged = next;
      seats.unanswered.clear();
      tally.licenseChanges += 1;
    }
  }

  async function checkAfterRestart(context: string): Promise<void> {
    for (const [id, state] of ids) {
      const shown = await admin(`/v1/admin/server-ids/${id}`);
      expect(shown.status, `${context}: acknowledged id ${id}`).toBe(200);
      const body = (await shown.json()) as any;
      const kids = state.racers.map((r) => r.keys.signing.kid);
      if (body.binding)
        expect(kids, `${context}: ${id} bound to a stranger`).toContain(body.binding.serverKeyId);
      if (state.winner) {
        expect(body.binding?.serverKeyId, `${context}: ${id} lost its binding`).toBe(
          state.winner.keys.signing.kid,
        );
        expect(body.lastAllocationVersion).toBeGreaterThanOrEqual(state.version);
      } else if (body.binding) {
        // A first sync committed but never answered: its racer is the binding; the other is refused.
        state.winner = state.racers.find((r) => r.keys.signing.kid === body.binding.serverKeyId);
      }
    }
    const licenses = await admin(`/v1/admin/server-ids/${licensed}/licenses`);
    const [license] = ((await licenses.json()) as { licenses: any[] }).licenses;
    const analysis = license?.components.find((c: { name: string }) => c.name === 'Analysis')?.seats ?? 0;
    expect([seats.acknowledged, ...seats.unanswered], `${context}: Analysis seats`).toContain(analysis);
    seats.acknowledged = analysis;
    seats.unanswered.clear();
  }

  it('keeps every acknowledged id, binding and license change across every kill', async () => {
    for (let kill = 0; kill < KILLS; kill += 1) {
      const context = `kill ${kill + 1} of ${KILLS}, seed ${SEED}`;
      let alive = true;
      // A macrotask between steps: an action that returns at once must not starve the timers.
      const pause = () => new Promise((resolve) => setImmediate(resolve));
      const loop = async (step: () => Promise<void>) => {
        while (alive) {
          await step().catch((error) => process.env.LEASEHOLD_DEBUG && console.error(error));
          await pause();
        }
      };
      const workers = [loop(createId), loop(syncSome), loop(syncSome), loop(changeLicense)];
      await new Promise((resolve) => setTimeout(resolve, random.int(200, 3_000)));
      const exited = new Promise<void>((resolve) => world.central.child.once('exit', () => resolve()));
      world.central.child.kill('SIGKILL');
      alive = false;
      await exited;
      await Promise.all(workers);
      tally.kills += 1;
      try {
        await world.startCentral();
      } catch (error) {
        throw new Error(`${context}: the central server did not start again: ${(error as Error).message}`);
      }
      await checkAfterRestart(context);
    }
    // After the last restart every winner still syncs, and every loser is still refused.
    for (const state of ids.values()) {
      if (!state.winner) continue;
      expect((await state.winner.sync()).allocation.version).toBeGreaterThan(state.version);
      const loser = state.racers.find((r) => r !== state.winner) as Fake;
      await expect(loser.sync()).rejects.toMatchObject({ code: 'SERVER_ID_IN_USE' });
    }
    expect(tally.firstSyncs).toBeGreaterThan(0);
    expect(tally.licenseChanges).toBeGreaterThan(0);
  }, 600_000);
});
