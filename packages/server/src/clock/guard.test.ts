import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DAY_MS, HOUR_MS, type LeaseholdError, ManualClock } from '@leasehold/protocol';
import { describe, expect, it } from 'vitest';
import { openServerDatabase } from '../store/open.ts';
import { certifiedStore } from '../test-support/certificates.ts';
import { ClockGuard, judgeClock } from './guard.ts';

const MIN = 60_000;

describe('judgeClock (S10)', () => {
  it('accepts any time when nothing has been seen yet', () => {
    expect(judgeClock(1_000, undefined, 15 * MIN)).toEqual({ ok: true, now: new Date(1_000) });
  });

  it('uses the latest time seen when the clock is a little behind it', () => {
    expect(judgeClock(HOUR_MS - 5 * MIN, HOUR_MS, 15 * MIN)).toEqual({ ok: true, now: new Date(HOUR_MS) });
  });

  it('calls a clock more than the tolerance behind a rollback', () => {
    expect(judgeClock(HOUR_MS - 16 * MIN, HOUR_MS, 15 * MIN)).toMatchObject({
      ok: false,
      behindMs: 16 * MIN,
    });
  });
});

describe('ClockGuard', () => {
  const certified = () => {
    const dir = mkdtempSync(join(tmpdir(), 'leasehold-guard-'));
    return certifiedStore(openServerDatabase(join(dir, 'server.db')));
  };
  const open = () => certified().store;

  it('refuses with CLOCK_ROLLBACK after the clock is wound back, until it is right again', () => {
    const clock = new ManualClock('2027-01-01T00:00:00Z');
    const guard = new ClockGuard(clock, open(), 15 * MIN);
    guard.now();
    clock.advance(DAY_MS);
    guard.now();
    clock.advance(-2 * HOUR_MS);
    expect(() => guard.now()).toThrowError(
      expect.objectContaining({ code: 'CLOCK_ROLLBACK' }) as unknown as LeaseholdError,
    );
    clock.advance(2 * HOUR_MS);
    expect(guard.now().toISOString()).toBe('2027-01-02T00:00:00.000Z');
  });

  it('keeps the latest time across restarts, in the store', () => {
    const store = open();
    const clock = new ManualClock('2027-01-01T00:00:00Z');
    new ClockGuard(clock, store, 15 * MIN).now();
    clock.advance(-DAY_MS);
    const restarted = new ClockGuard(clock, store, 15 * MIN);
    expect(restarted.judge().ok).toBe(false);
  });

  it('stays in CLOCK_ROLLBACK when the mark is deleted: the audit log and the signed issue time hold the floor', () => {
    const store = open();
    const clock = new ManualClock('2027-06-01T00:00:00Z');
    const guard = new ClockGuard(clock, store, 15 * MIN);
    guard.now();
    store.recordSyncOutcome(clock.now(), 'online', 'CENTRAL_UNAVAILABLE', 'an audit row at this time');
    clock.advance(-30 * DAY_MS);
    expect(guard.judge().ok).toBe(false);
    // What a customer does with a SQLite shell: remove the mark, restore an old meta table.
    store.db.prepare("delete from meta where key = 'clock.highWater'").run();
    expect(store.clockHighWater()).toBeUndefined();
    expect(guard.judge()).toMatchObject({ ok: false, highWater: new Date('2027-06-01T00:00:00Z') });
    expect(() => guard.now()).toThrowError(
      expect.objectContaining({ code: 'CLOCK_ROLLBACK' }) as unknown as LeaseholdError,
    );
  });

  it("counts the stored allocation's signed issue time, less the tolerance, as seen", () => {
    const { store, apply } = certified();
    store.recordPendingRequest('request-00000001', new Date('2027-01-01T00:00:00Z'), 'online');
    apply(
      {
        licenseServerId: 'LS-AAAA-BBBB-CCCC',
        version: 1,
        issuedAt: '2027-03-01T00:00:00.000Z',
        licenses: [],
      },
      { requestId: 'request-00000001', method: 'online', receivedAt: new Date('2027-01-01T00:00:00Z') },
    );
    store.db.prepare("delete from meta where key = 'clock.highWater'").run();
    const guard = new ClockGuard(new ManualClock('2027-02-01T00:00:00Z'), store, 15 * MIN);
    expect(guard.floor()).toBe(Date.parse('2027-03-01T00:00:00Z') - 15 * MIN);
    expect(guard.judge().ok).toBe(false);
  });

  it('never lowers the recorded time', () => {
    const store = open();
    store.raiseClockHighWater(new Date(2 * DAY_MS));
    store.raiseClockHighWater(new Date(DAY_MS));
    expect(store.clockHighWater()).toBe(2 * DAY_MS);
  });
});
