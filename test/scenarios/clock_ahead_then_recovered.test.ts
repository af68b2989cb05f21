import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { at, requestLicense } from '../support/clockOffsets.ts';
import { DAY_MS } from '../support/leasehold.ts';
import { type LocalServerHandle, World } from '../support/world.ts';

const HOUR_MS = 3_600_000;

describe('a clock set ahead by mistake, and the sync that brings it back (S10, S12)', () => {
  let world: World;
  let server: LocalServerHandle;

  beforeAll(async () => {
    world = await World.start();
    const id = await world.createServerId();
    await world.addLicense(id);
    server = await world.localServer(id);
    expect((await server.sync()).code).toBe(0);
  });
  afterAll(() => world?.stop());

  it('refuses to issue once the clock is right again, until one sync whose signed time agrees with it', async () => {
    // One start with the clock a year ahead (a VM, a BIOS battery): the server writes that time down.
    const ahead = at(365 * DAY_MS);
    expect(await server.status(ahead)).toMatchObject({ clock: { state: 'ok' } });
    expect((await server.sync(ahead)).json.error.code).toBe('CLOCK_SKEW');

    // The clock is right again: behind what the server has seen, so it refuses, as S10 says.
    expect(await server.status()).toMatchObject({ clock: { state: 'rollback' } });
    expect((await requestLicense(server, 0)).body.error.code).toBe('CLOCK_ROLLBACK');
    // The customer deletes the mark from the real server.db with SQL: the audit log still holds it.
    const db = new Database(join(server.dataDir, 'server.db'));
    expect(db.prepare("delete from meta where key = 'clock.highWater'").run().changes).toBe(1);
    db.close();
    expect((await requestLicense(server, 0)).body.error.code).toBe('CLOCK_ROLLBACK');

    // The way back: a sync is allowed, and the central's signed time confirms this clock.
    const sync = await server.sync();
    expect(sync.code, sync.stderr).toBe(0);
    expect(await server.status()).toMatchObject({ clock: { state: 'ok' }, synchronized: true });
    expect((await requestLicense(server, 0)).status).toBe(201);
    const audit = await server.run(['audit', '--action', 'clock.reset']);
    const resets = audit.stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
    expect(resets).toHaveLength(1);
  });

  it('gives a clock wound back on purpose nothing: no sync confirms it, and the floor stays at the signed time', async () => {
    const before = await server.status();
    // Two days back: the central's signed time disagrees, the sync is refused and changes nothing.
    expect((await server.sync(at(-2 * DAY_MS))).json.error.code).toBe('CLOCK_SKEW');
    // Half a day back, within the skew a sync allows: answered, but the floor becomes the signed
    // time, and the clock is still behind it.
    await server.sync(at(-12 * HOUR_MS));
    expect(await server.status(at(-12 * HOUR_MS))).toMatchObject({ clock: { state: 'rollback' } });
    expect((await requestLicense(server, -12 * HOUR_MS)).body.error.code).toBe('CLOCK_ROLLBACK');
    // The right clock still works, and no day was gained: the last sync is not older than before.
    const after = await server.status();
    expect(after.clock.state).toBe('ok');
    expect(after.daysRemaining).toBeLessThanOrEqual(before.daysRemaining);
  });
});
