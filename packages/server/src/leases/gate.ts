import { LeaseholdError } from '@leasehold/protocol';
import type { ClockGuard } from '../clock/guard.ts';
import type { ServerStore } from '../store/serverStore.ts';
import { syncState } from '../sync/state.ts';

/**
 * S1 and S10 before any license is issued: the clock has not been wound back, and the last sync is
 * at most 366 days old. Returns the effective time for the decision that follows.
 */
export function assertMayIssue(guard: ClockGuard, store: ServerStore): Date {
  const now = guard.now();
  const refusal = syncRefusal(store, now);
  if (refusal) throw refusal;
  return now;
}

/**
 * S1: NOT_SYNCHRONIZED when there is no sync or its signed window ended; LOCAL_STATE_INVALID when the
 * stored allocation does not verify.
 */
export function syncRefusal(store: ServerStore, now: Date): LeaseholdError | undefined {
  const invalid = store.stateError();
  if (invalid) return invalid;
  const state = syncState(store.syncWindow(), now);
  if (state.synchronized) return undefined;
  return new LeaseholdError(
    'NOT_SYNCHRONIZED',
    state.lastSyncAt
      ? `last sync ${state.lastSyncAt}; it stopped being enough at ${state.synchronizedUntil}`
      : 'this server has never synchronized',
  );
}
