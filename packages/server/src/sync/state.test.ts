import { DAY_MS, HOUR_MS, SYNC_WINDOW_MS } from '@leasehold/protocol';
import { describe, expect, it } from 'vitest';
import { syncState } from './state.ts';

const synced = new Date('2026-03-01T12:00:00Z');
const window = { lastSyncAt: synced, notAfter: new Date(synced.getTime() + SYNC_WINDOW_MS) };
const after = (ms: number) => new Date(synced.getTime() + ms);

describe('syncState (S1)', () => {
  it('is not synchronized before the first sync', () => {
    expect(syncState(undefined, synced)).toEqual({
      synchronized: false,
      lastSyncAt: null,
      synchronizedUntil: null,
      daysRemaining: 0,
    });
  });

  it('counts whole days left of the signed window: 366 at the sync, 365 an hour later', () => {
    expect(syncState(window, synced)).toMatchObject({ synchronized: true, daysRemaining: 366 });
    expect(syncState(window, after(HOUR_MS))).toMatchObject({ synchronized: true, daysRemaining: 365 });
  });

  it('is synchronized up to 366 days of 24 hours after the sync, not a millisecond more', () => {
    expect(syncState(window, after(366 * DAY_MS - 1))).toMatchObject({
      synchronized: true,
      daysRemaining: 0,
    });
    expect(syncState(window, after(366 * DAY_MS))).toMatchObject({ synchronized: false, daysRemaining: 0 });
    expect(syncState(window, after(900 * DAY_MS)).synchronized).toBe(false);
  });

  it("names the certificate's signed end as the moment synchronization runs out", () => {
    expect(syncState(window, synced).synchronizedUntil).toBe(after(366 * DAY_MS).toISOString());
    const shorter = { lastSyncAt: synced, notAfter: after(10 * DAY_MS) };
    expect(syncState(shorter, after(10 * DAY_MS)).synchronized).toBe(false);
  });

  it('warns days ahead: one day left a day before the end', () => {
    expect(syncState(window, after(365 * DAY_MS - HOUR_MS)).daysRemaining).toBe(1);
  });
});
