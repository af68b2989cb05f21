import { DAY_MS, HOUR_MS } from '@leasehold/protocol';
import { describe, expect, it } from 'vitest';
import {
  type AutoSyncFacts,
  afterFailedRun,
  planAutoSync,
  RETRY_FIRST_MS,
  RETRY_MAX_MS,
  retryDelayMs,
} from './schedule.ts';

const MINUTE_MS = 60_000;
const t0 = new Date('2027-03-01T09:00:00Z');
const at = (ms: number) => new Date(t0.getTime() + ms);
const middle = () => 0.5;

function facts(overrides: Partial<AutoSyncFacts> = {}): AutoSyncFacts {
  return {
    mode: 'weekly',
    lastSuccessAt: t0,
    lastAttemptAt: undefined,
    consecutiveFailures: 0,
    retryAt: undefined,
    ...overrides,
  };
}

describe('retryDelayMs: exponential back-off with jitter', () => {
  it('waits 5, 10, 20, 40 minutes … with the jitter in the middle', () => {
    expect([1, 2, 3, 4, 5].map((n) => retryDelayMs(n, middle) / MINUTE_MS)).toEqual([5, 10, 20, 40, 80]);
  });

  it('caps the wait at 6 hours from the eighth failure on', () => {
    expect(retryDelayMs(6, middle)).toBe(160 * MINUTE_MS);
    expect(retryDelayMs(7, middle)).toBe(320 * MINUTE_MS);
    expect(retryDelayMs(8, middle)).toBe(RETRY_MAX_MS);
    expect(retryDelayMs(50, middle)).toBe(RETRY_MAX_MS);
    expect(retryDelayMs(10_000, () => 0.999)).toBe(RETRY_MAX_MS);
  });

  it('spreads each step by ±20 % but never past the cap', () => {
    expect(retryDelayMs(1, () => 0)).toBe(4 * MINUTE_MS);
    expect(retryDelayMs(1, () => 0.999_999)).toBeCloseTo(6 * MINUTE_MS, -2);
    expect(retryDelayMs(2, () => 0)).toBe(8 * MINUTE_MS);
    expect(retryDelayMs(7, () => 0.999)).toBe(RETRY_MAX_MS);
    expect(retryDelayMs(8, () => 0)).toBe(0.8 * RETRY_MAX_MS);
  });

  it('grows with every failure whatever the jitter draws', () => {
    for (let n = 1; n < 6; n++)
      expect(retryDelayMs(n + 1, () => 0)).toBeGreaterThan(retryDelayMs(n, () => 0));
  });

  it('treats a count below one as the first failure', () => {
    expect(retryDelayMs(0, middle)).toBe(RETRY_FIRST_MS);
  });
});

describe('afterFailedRun', () => {
  it('counts the failure and sets the retry from the time of the run', () => {
    expect(afterFailedRun(0, t0, middle)).toEqual({ consecutiveFailures: 1, retryAt: at(5 * MINUTE_MS) });
    expect(afterFailedRun(2, t0, middle)).toEqual({ consecutiveFailures: 3, retryAt: at(20 * MINUTE_MS) });
  });
});

describe('planAutoSync (S6)', () => {
  it('never runs while off, the default', () => {
    expect(planAutoSync(facts({ mode: 'off' }), at(400 * DAY_MS))).toEqual({
      nextRunAt: null,
      due: false,
      consecutiveFailures: 0,
      retryAt: null,
    });
    expect(planAutoSync(facts({ mode: 'off', lastSuccessAt: undefined }), t0).due).toBe(false);
  });

  it('runs weekly seven days after the last successful sync, not a millisecond before', () => {
    expect(planAutoSync(facts(), at(7 * DAY_MS - 1))).toMatchObject({
      nextRunAt: at(7 * DAY_MS),
      due: false,
    });
    expect(planAutoSync(facts(), at(7 * DAY_MS)).due).toBe(true);
  });

  it('runs daily 24 hours after the last successful sync', () => {
    const daily = facts({ mode: 'daily' });
    expect(planAutoSync(daily, at(DAY_MS - 1)).due).toBe(false);
    expect(planAutoSync(daily, at(DAY_MS))).toEqual({
      nextRunAt: at(DAY_MS),
      due: true,
      consecutiveFailures: 0,
      retryAt: null,
    });
  });

  it('counts any successful sync, a manual or file one too, as the start of the interval', () => {
    const manual = facts({ lastSuccessAt: at(3 * DAY_MS), lastAttemptAt: t0 });
    expect(planAutoSync(manual, at(7 * DAY_MS)).due).toBe(false);
    expect(planAutoSync(manual, at(10 * DAY_MS)).nextRunAt).toEqual(at(10 * DAY_MS));
  });

  it('is due at once when the scheduled time passed while the server was down', () => {
    const plan = planAutoSync(facts(), at(30 * DAY_MS));
    expect(plan.due).toBe(true);
    expect(plan.nextRunAt).toEqual(at(7 * DAY_MS));
  });

  it('is due at once on a server that never synchronized', () => {
    const plan = planAutoSync(facts({ mode: 'daily', lastSuccessAt: undefined }), t0);
    expect(plan).toMatchObject({ due: true, nextRunAt: t0 });
  });

  it('after a failed run, waits for its back-off', () => {
    const failed = facts({
      lastAttemptAt: at(7 * DAY_MS),
      consecutiveFailures: 1,
      retryAt: at(7 * DAY_MS + 5 * MINUTE_MS),
    });
    expect(planAutoSync(failed, at(7 * DAY_MS + 5 * MINUTE_MS - 1))).toEqual({
      nextRunAt: at(7 * DAY_MS + 5 * MINUTE_MS),
      due: false,
      consecutiveFailures: 1,
      retryAt: at(7 * DAY_MS + 5 * MINUTE_MS),
    });
    expect(planAutoSync(failed, at(7 * DAY_MS + 5 * MINUTE_MS)).due).toBe(true);
  });

  it('keeps retrying a server that never synchronized, with back-off', () => {
    const failed = facts({
      mode: 'daily',
      lastSuccessAt: undefined,
      lastAttemptAt: t0,
      consecutiveFailures: 3,
      retryAt: at(20 * MINUTE_MS),
    });
    expect(planAutoSync(failed, at(19 * MINUTE_MS)).due).toBe(false);
    expect(planAutoSync(failed, at(20 * MINUTE_MS))).toMatchObject({ due: true, consecutiveFailures: 3 });
  });

  it('forgets failures once a later sync succeeded (a manual one, say)', () => {
    const recovered = facts({
      lastSuccessAt: at(DAY_MS),
      lastAttemptAt: t0,
      consecutiveFailures: 4,
      retryAt: at(2 * HOUR_MS),
    });
    expect(planAutoSync(recovered, at(2 * DAY_MS))).toEqual({
      nextRunAt: at(8 * DAY_MS),
      due: false,
      consecutiveFailures: 0,
      retryAt: null,
    });
  });

  it('does not let a back-off bring a run forward: a switch to weekly waits the week', () => {
    const switched = facts({
      lastAttemptAt: at(DAY_MS),
      consecutiveFailures: 1,
      retryAt: at(DAY_MS + 5 * MINUTE_MS),
    });
    expect(planAutoSync(switched, at(2 * DAY_MS))).toMatchObject({ due: false, nextRunAt: at(7 * DAY_MS) });
  });

  it('waits the first step for a failure recorded without a retry time', () => {
    const old = facts({ lastAttemptAt: at(8 * DAY_MS), consecutiveFailures: 1 });
    expect(planAutoSync(old, at(8 * DAY_MS)).retryAt).toEqual(at(8 * DAY_MS + RETRY_FIRST_MS));
  });

  it('shows failures but no retry while off', () => {
    const off = facts({ mode: 'off', lastAttemptAt: at(8 * DAY_MS), consecutiveFailures: 2 });
    expect(planAutoSync(off, at(9 * DAY_MS))).toEqual({
      nextRunAt: null,
      due: false,
      consecutiveFailures: 2,
      retryAt: null,
    });
  });

  it('is not due when the last sync seems to lie ahead (a clock within the rollback tolerance)', () => {
    expect(planAutoSync(facts({ mode: 'daily', lastSuccessAt: at(10 * MINUTE_MS) }), t0).due).toBe(false);
  });
});
