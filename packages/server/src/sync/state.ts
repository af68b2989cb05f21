import { DAY_MS } from '@leasehold/protocol';

/**
 * S1: a server is synchronized while its last successful sync is at most 366 days old, counted in
 * whole days: synchronized through day 366 after the sync, refused from day 367 on.
 */
export const SYNC_VALID_DAYS = 366;

export interface SyncState {
  synchronized: boolean;
  lastSyncAt: string | null;
  /** The moment the server stops issuing unless it syncs again (the start of day 367). */
  synchronizedUntil: string | null;
  /** Whole days after today on which the server is still synchronized (0 on the last day). */
  daysRemaining: number;
}

export function syncState(lastSyncAt: Date | undefined, now: Date): SyncState {
  if (!lastSyncAt)
    return { synchronized: false, lastSyncAt: null, synchronizedUntil: null, daysRemaining: 0 };
  const ageDays = Math.floor((now.getTime() - lastSyncAt.getTime()) / DAY_MS);
  const synchronized = ageDays <= SYNC_VALID_DAYS;
  return {
    synchronized,
    lastSyncAt: lastSyncAt.toISOString(),
    synchronizedUntil: new Date(lastSyncAt.getTime() + (SYNC_VALID_DAYS + 1) * DAY_MS).toISOString(),
    daysRemaining: synchronized ? SYNC_VALID_DAYS - Math.max(0, ageDays) : 0,
  };
}
