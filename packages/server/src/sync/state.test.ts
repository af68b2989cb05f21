import { DAY_MS, HOUR_MS } from '@leasehold/protocol';
import { describe, expect, it } from 'vitest';
import { syncState } from './state.ts';

const synced = new Date('2026-03-01T12:00:00Z');
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

  it('counts 366 days remaining right after a sync', () => {
    expect(syncState(synced, after(HOUR_MS))).toMatchObject({ synchronized: true, daysRemaining: 366 });
  });

  it('is still synchronized on day 366 after the last sync, with no days left', () => {
    expect(syncState(synced, after(366 * DAY_MS))).toMatchObject({ synchronized: true, daysRemaining: 0 });
    expect(syncState(synced, after(367 * DAY_MS - 1))).toMatchObject({
      synchronized: true,
      daysRemaining: 0,
    });
  });

  it('is not synchronized from day 367 on', () => {
    expect(syncState(synced, after(367 * DAY_MS))).toMatchObject({ synchronized: false, daysRemaining: 0 });
    expect(syncState(synced, after(900 * DAY_MS)).synchronized).toBe(false);
  });

  it('names the moment synchronization runs out', () => {
    expect(syncState(synced, synced).synchronizedUntil).toBe(after(367 * DAY_MS).toISOString());
  });

  it('warns days ahead: one day left on day 365', () => {
    expect(syncState(synced, after(365 * DAY_MS + HOUR_MS)).daysRemaining).toBe(1);
  });
});
