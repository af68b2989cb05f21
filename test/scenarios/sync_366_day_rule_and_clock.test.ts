import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { at, requestLicense } from '../support/clockOffsets.ts';
import { DAY_MS } from '../support/leasehold.ts';
import { type LocalServerHandle, World } from '../support/world.ts';

const HOUR_MS = 3_600_000;

describe('the 366-day rule and the rollback-proof clock (S1, S10)', () => {
  let world: World;
  let server: LocalServerHandle;

  beforeAll(async () => {
    world = await World.start();
    const id = await world.createServerId();
    await world.addLicense(id);
    server = await world.localServer(id);
  });
  afterAll(() => world?.stop());

  it('refuses licenses with NOT_SYNCHRONIZED before the first sync', async () => {
    const answer = await requestLicense(server, 0);
    expect(answer.status).toBe(403);
    expect(answer.body.error.code).toBe('NOT_SYNCHRONIZED');
    expect(answer.body.error.message).toContain('leasehold server sync');
  });

  it('refuses a malformed license request with INVALID_INPUT', async () => {
    const answer = await requestLicense(server, 0, { components: [], user: '' });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('INVALID_INPUT');
  });

  it('grants a license up to 366 days of 24 hours after the signed sync time: an hour before, on the last day', async () => {
    const sync = await server.sync();
    expect(sync.code, sync.stderr).toBe(0);
    const lastHour = 366 * DAY_MS - HOUR_MS;
    const status = await server.status(at(lastHour));
    expect(status).toMatchObject({ synchronized: true, daysRemaining: 0 });
    expect(Date.parse(status.synchronizedUntil) - Date.parse(status.lastSyncAt)).toBe(366 * DAY_MS);
    const answer = await requestLicense(server, lastHour);
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    expect(answer.body.lease).toMatchObject({ kind: 'floating', components: ['Base'], user: 'ann' });
  });

  it('refuses with NOT_SYNCHRONIZED once the 366 days are over (S1: at most 366 days old)', async () => {
    const over = 366 * DAY_MS + HOUR_MS;
    expect(await server.status(at(over))).toMatchObject({ synchronized: false, daysRemaining: 0 });
    const answer = await requestLicense(server, over);
    expect(answer.status).toBe(403);
    expect(answer.body.error.code).toBe('NOT_SYNCHRONIZED');
  });

  it('refuses with CLOCK_ROLLBACK when the clock is then wound back a day, and the 366 days do not come back', async () => {
    const answer = await requestLicense(server, 365 * DAY_MS);
    expect(answer.status).toBe(403);
    expect(answer.body.error.code).toBe('CLOCK_ROLLBACK');
    const status = await server.status(at(365 * DAY_MS));
    expect(status).toMatchObject({ synchronized: false, clock: { state: 'rollback' } });
    const longAgo = await requestLicense(server, 0);
    expect(longAgo.body.error.code).toBe('CLOCK_ROLLBACK');
  });

  it('refuses a sync whose signed time is more than a day from the local clock with CLOCK_SKEW', async () => {
    const before = await server.status(at(368 * DAY_MS));
    const sync = await server.sync(at(368 * DAY_MS));
    expect(sync.json.error.code).toBe('CLOCK_SKEW');
    const after = await server.status(at(368 * DAY_MS));
    expect(after.allocationVersion).toBe(before.allocationVersion);
    expect(after.lastSyncAt).toBe(before.lastSyncAt);
  });
});
