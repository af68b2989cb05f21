import { type Lease, LeaseholdError } from '@leasehold/protocol';
import { type ClientFailure, LeaseholdClientError } from './errors.ts';

/**
 * When to renew and when to retry: pure functions of the lease, the failures so far and a random
 * number, so that tests check them without waiting. The lease object does the timing.
 */

/** ±10 %: many clients started together (after a server restart) spread their renewals out. */
export const JITTER = 0.1;
export const RETRY_FIRST_MS = 1_000;
export const RETRY_MAX_MS = 30_000;

export function jittered(ms: number, random: () => number): number {
  return Math.round(ms * (1 + JITTER * (2 * random() - 1)));
}

/**
 * The wait before the next renewal: the server's `renewAfterSeconds` (a third of the lease) with
 * jitter, kept within [1 s, half the lease] so that a server sending odd values cannot make the
 * client spin or renew too late to retry.
 */
export function renewalDelayMs(
  lease: Pick<Lease, 'renewAfterSeconds' | 'leaseSeconds'>,
  random: () => number,
): number {
  const delay = jittered(lease.renewAfterSeconds * 1000, random);
  return Math.max(1_000, Math.min(delay, (lease.leaseSeconds * 1000) / 2));
}

/**
 * The wait before retrying a renewal that got no definitive answer: 1 s, 2 s, 4 s … up to 30 s, with
 * jitter, and never past the lease's end, where a last attempt decides whether it is lost.
 */
export function retryDelayMs(failures: number, remainingMs: number, random: () => number): number {
  const backoff = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** Math.max(0, failures - 1));
  return Math.max(0, Math.min(jittered(backoff, random), remainingMs));
}

/**
 * A renewal failure that retrying cannot mend: the server answered and refused (any 4xx code, such
 * as LEASE_EXPIRED, LEASE_NOT_FOUND, LEASE_SEATS_WITHDRAWN or NOT_SYNCHRONIZED). No answer, a 5xx,
 * and CLOCK_ROLLBACK (an administrator can set the server's clock right within the lease) are retried.
 */
export function isDefinitiveRefusal(error: unknown): boolean {
  if (error instanceof LeaseholdClientError) return false;
  if (!(error instanceof LeaseholdError)) return false;
  if (error.code === 'CLOCK_ROLLBACK') return false;
  return error.status >= 400 && error.status < 500;
}

/** The error 'lost' carries when no renewal succeeded before the lease ran out. */
export function expiredWithoutRenewal(expiresAt: string, lastFailure: unknown): ClientFailure {
  const why = lastFailure instanceof Error ? lastFailure.message : String(lastFailure);
  return new LeaseholdError(
    'LEASE_EXPIRED',
    `no renewal succeeded before ${expiresAt}; last failure: ${why}`,
  );
}
