import { DAY_MS, HOUR_MS } from '@leasehold/protocol';

/** S6: automatic synchronization is off by default, or runs each day or each week. */
export const AUTO_SYNC_MODES = ['off', 'daily', 'weekly'] as const;
export type AutoSyncMode = (typeof AUTO_SYNC_MODES)[number];

export const AUTO_SYNC_INTERVAL_MS: Readonly<Record<Exclude<AutoSyncMode, 'off'>, number>> = {
  daily: DAY_MS,
  weekly: 7 * DAY_MS,
};

/** Back-off after a failed automatic run: 5 min, 10, 20 … never more than 6 h. */
export const RETRY_FIRST_MS = 5 * 60_000;
export const RETRY_MAX_MS = 6 * HOUR_MS;
// ±20 %: after a central outage, thousands of local servers would otherwise retry in the same second.
export const RETRY_JITTER = 0.2;

/** What the schedule is decided from; every time is the rollback-proof clock's. */
export interface AutoSyncFacts {
  mode: AutoSyncMode;
  /** The last successful sync of any kind: online or file, manual or automatic. */
  lastSuccessAt: Date | undefined;
  /** The last automatic run, successful or not. */
  lastAttemptAt: Date | undefined;
  /** Automatic runs that failed in a row, as recorded by the last one. */
  consecutiveFailures: number;
  /** When the last failed run said to try again (its back-off, jitter included). */
  retryAt: Date | undefined;
}

export interface AutoSyncPlan {
  /** When the next automatic run is due (possibly already past: it runs at the next check); null when off. */
  nextRunAt: Date | null;
  due: boolean;
  /** Failures still in force: a successful sync after the last failed run (a manual one too) clears them. */
  consecutiveFailures: number;
  /** The back-off in force, when the last automatic run failed and automatic sync is on. */
  retryAt: Date | null;
}

/** The delay before retry number `failures` (1 after the first failure), with `random()` in [0, 1). */
export function retryDelayMs(failures: number, random: () => number): number {
  const doublings = Math.min(Math.max(0, failures - 1), 30);
  const base = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** doublings);
  const factor = 1 - RETRY_JITTER + 2 * RETRY_JITTER * random();
  return Math.min(RETRY_MAX_MS, Math.round(base * factor));
}

/**
 * What a failed automatic run records. The jitter is drawn once, here, and the resulting time is
 * stored, so that the status shows the very moment the scheduler will use, across restarts too.
 */
export function afterFailedRun(
  failuresBefore: number,
  at: Date,
  random: () => number,
): { consecutiveFailures: number; retryAt: Date } {
  const consecutiveFailures = failuresBefore + 1;
  return {
    consecutiveFailures,
    retryAt: new Date(at.getTime() + retryDelayMs(consecutiveFailures, random)),
  };
}

/**
 * Is an automatic sync due, and when is the next one? Daily is 24 h and weekly 7 days after the last
 * successful sync; a time that passed while the server was down is due at once; a server that never
 * synchronized is due at once; after a failed run, not before its back-off ends.
 */
export function planAutoSync(facts: AutoSyncFacts, now: Date): AutoSyncPlan {
  const { lastSuccessAt, lastAttemptAt } = facts;
  const failing =
    facts.consecutiveFailures > 0 &&
    lastAttemptAt !== undefined &&
    (lastSuccessAt === undefined || lastAttemptAt.getTime() > lastSuccessAt.getTime());
  const consecutiveFailures = failing ? facts.consecutiveFailures : 0;
  if (facts.mode === 'off') return { nextRunAt: null, due: false, consecutiveFailures, retryAt: null };
  // A record from before the back-off was stored still waits the first step.
  const retryAt = failing
    ? (facts.retryAt ?? new Date((lastAttemptAt as Date).getTime() + RETRY_FIRST_MS))
    : null;
  const scheduledMs = lastSuccessAt
    ? lastSuccessAt.getTime() + AUTO_SYNC_INTERVAL_MS[facts.mode]
    : now.getTime();
  // A back-off never brings a run forward: after a switch from daily to weekly the week still counts.
  const nextMs = retryAt ? Math.max(scheduledMs, retryAt.getTime()) : scheduledMs;
  return {
    nextRunAt: new Date(nextMs),
    due: now.getTime() >= nextMs,
    consecutiveFailures,
    retryAt,
  };
}
