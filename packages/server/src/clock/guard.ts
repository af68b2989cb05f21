import { type Clock, LeaseholdError } from '@leasehold/protocol';
import type { ServerStore } from '../store/serverStore.ts';

export type ClockJudgement = { ok: true; now: Date } | { ok: false; behindMs: number; highWater: Date };

/**
 * S10, as a pure decision: the effective time never goes back. A system clock behind the latest
 * time seen by more than the tolerance is a rollback; within it, the latest time seen is used.
 */
export function judgeClock(
  systemNowMs: number,
  highWaterMs: number | undefined,
  toleranceMs: number,
): ClockJudgement {
  if (highWaterMs === undefined || systemNowMs >= highWaterMs)
    return { ok: true, now: new Date(systemNowMs) };
  if (highWaterMs - systemNowMs > toleranceMs) {
    return { ok: false, behindMs: highWaterMs - systemNowMs, highWater: new Date(highWaterMs) };
  }
  return { ok: true, now: new Date(highWaterMs) };
}

// Writing the high-water mark on every request would cost a disk write each; a minute of slack is
// far inside the tolerance.
const PERSIST_STEP_MS = 60_000;

/** The rollback-proof clock: the system clock, checked against and recorded into the store. */
export class ClockGuard {
  private readonly clock: Clock;
  private readonly store: ServerStore;
  readonly toleranceMs: number;

  constructor(clock: Clock, store: ServerStore, toleranceMs: number) {
    this.clock = clock;
    this.store = store;
    this.toleranceMs = toleranceMs;
  }

  judge(): ClockJudgement {
    const system = this.clock.now().getTime();
    const highWater = this.floor();
    const judgement = judgeClock(system, highWater, this.toleranceMs);
    if (judgement.ok && (highWater === undefined || system - highWater >= PERSIST_STEP_MS)) {
      this.store.raiseClockHighWater(new Date(system));
    }
    return judgement;
  }

  /**
   * The latest time this server has seen and cannot take back: the stored mark, the newest audit
   * row, and the vendor-signed issue time of the stored allocation (less the tolerance, as a central
   * clock a little ahead of ours is no rollback).
   */
  floor(): number | undefined {
    const stored = this.store.clockFloor();
    const issuedAt = this.store.currentAllocation()?.allocation.issuedAt;
    const signed = issuedAt === undefined ? undefined : Date.parse(issuedAt) - this.toleranceMs;
    if (stored === undefined) return signed;
    return signed === undefined ? stored : Math.max(stored, signed);
  }

  /** The system clock as it reads, rollback or not: what a sync in the rollback state asks the central to confirm. */
  systemNow(): Date {
    return this.clock.now();
  }

  /** The effective time, or CLOCK_ROLLBACK. */
  now(): Date {
    const judgement = this.judge();
    if (!judgement.ok) throw rollbackError(judgement);
    return judgement.now;
  }
}

/** CLOCK_ROLLBACK for a clock judged behind the high-water mark. */
export function rollbackError(judgement: { behindMs: number; highWater: Date }): LeaseholdError {
  const minutes = Math.round(judgement.behindMs / 60_000);
  return new LeaseholdError(
    'CLOCK_ROLLBACK',
    `the clock is ${minutes} minute(s) behind ${judgement.highWater.toISOString()}, a time this server has already seen`,
  );
}
