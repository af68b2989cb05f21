import { LeaseholdError } from '@leasehold/protocol';
import { describe, expect, it } from 'vitest';
import { LeaseholdClientError } from './errors.ts';
import {
  expiredWithoutRenewal,
  isDefinitiveRefusal,
  jittered,
  RETRY_MAX_MS,
  renewalDelayMs,
  retryDelayMs,
} from './schedule.ts';

const lowest = () => 0;
const middle = () => 0.5;
const highest = () => 0.999_999;

describe('renewal timing (L2)', () => {
  it('renews at renewAfterSeconds, spread by at most 10 % either way', () => {
    const lease = { leaseSeconds: 300, renewAfterSeconds: 100 };
    expect(renewalDelayMs(lease, middle)).toBe(100_000);
    expect(renewalDelayMs(lease, lowest)).toBe(90_000);
    expect(renewalDelayMs(lease, highest)).toBe(110_000);
    for (let i = 0; i < 1000; i++) {
      const delay = renewalDelayMs(lease, Math.random);
      expect(delay).toBeGreaterThanOrEqual(90_000);
      expect(delay).toBeLessThanOrEqual(110_000);
    }
  });

  it('never waits less than a second nor past half the lease, whatever the server sends', () => {
    expect(renewalDelayMs({ leaseSeconds: 300, renewAfterSeconds: 0 }, middle)).toBe(1_000);
    expect(renewalDelayMs({ leaseSeconds: 10, renewAfterSeconds: 60 }, middle)).toBe(5_000);
  });

  it('keeps the short leases tests use at about a third', () => {
    const delay = renewalDelayMs({ leaseSeconds: 10, renewAfterSeconds: 3 }, highest);
    expect(delay).toBeGreaterThan(3_000);
    expect(delay).toBeLessThanOrEqual(3_300);
  });
});

describe('retry back-off', () => {
  it('doubles from 1 s up to 30 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map((n) => retryDelayMs(n, 600_000, middle))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000,
    ]);
  });

  it('is jittered, so clients cut off together do not come back together', () => {
    expect(retryDelayMs(3, 600_000, lowest)).toBe(3_600);
    expect(retryDelayMs(3, 600_000, highest)).toBe(4_400);
    expect(retryDelayMs(50, 600_000, highest)).toBeLessThanOrEqual(RETRY_MAX_MS * 1.1);
  });

  it('never waits past the end of the lease, where one last attempt is made', () => {
    expect(retryDelayMs(5, 2_500, middle)).toBe(2_500);
    expect(retryDelayMs(1, 0, middle)).toBe(0);
    expect(retryDelayMs(1, -50, middle)).toBe(0);
  });

  it('jitter of zero milliseconds stays zero', () => {
    expect(jittered(0, highest)).toBe(0);
  });
});

describe('which renewal failures lose the lease at once', () => {
  it('loses it on a refusal the server gave', () => {
    for (const code of [
      'LEASE_EXPIRED',
      'LEASE_NOT_FOUND',
      'LEASE_SEATS_WITHDRAWN',
      'NOT_SYNCHRONIZED',
      'INVALID_INPUT',
    ] as const) {
      expect(isDefinitiveRefusal(new LeaseholdError(code)), code).toBe(true);
    }
  });

  it('retries when no server answered, on a server fault, and on a server clock an administrator can fix', () => {
    expect(isDefinitiveRefusal(new LeaseholdClientError('connection refused'))).toBe(false);
    expect(isDefinitiveRefusal(new LeaseholdError('INTERNAL'))).toBe(false);
    expect(isDefinitiveRefusal(new LeaseholdError('CLOCK_ROLLBACK'))).toBe(false);
    expect(isDefinitiveRefusal(new TypeError('bug'))).toBe(false);
  });

  it('reports a lease that ran out without a renewal as LEASE_EXPIRED, naming the last failure', () => {
    const error = expiredWithoutRenewal('2027-01-01T00:00:00.000Z', new LeaseholdClientError('ECONNREFUSED'));
    expect(error).toBeInstanceOf(LeaseholdError);
    expect(error.code).toBe('LEASE_EXPIRED');
    expect(error.message).toContain('ECONNREFUSED');
  });
});
