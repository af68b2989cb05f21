import { DAY_MS } from '@leasehold/protocol';

/** S1: a server is synchronized while its last successful sync is at most 366 days old. */
export const SYNC_VALID_DAYS = 366;

export interface SyncState {
  synchronized: boolean;
  lastSyncAt: string | null;
  syncDueBy: string | null;
  daysRemaining: number;
}

export function syncState(lastSyncAt: Date | undefined, now: Date): SyncState {
  if (!lastSyncAt) return { synchronized: false, lastSyncAt: null, syncDueBy: null, daysRemaining: 0 };
  const dueBy = lastSyncAt.getTime() + SYNC_VALID_DAYS * DAY_MS;
  const left = dueBy - now.getTime();
  return {
    synchronized: left >= 0,
    lastSyncAt: lastSyncAt.toISOString(),
    syncDueBy: new Date(dueBy).toISOString(),
    daysRemaining: left >= 0 ? Math.ceil(left / DAY_MS) : 0,
  };
}
