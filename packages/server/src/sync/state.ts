import { DAY_MS, SYNC_WINDOW_DAYS } from '@leasehold/protocol';

/** S1: a sync is enough for 366 days of 24 hours from its signed issue time, and no longer. */
export const SYNC_VALID_DAYS = SYNC_WINDOW_DAYS;

export interface SyncState {
  synchronized: boolean;
  lastSyncAt: string | null;
  /** The moment the server stops issuing unless it syncs again: the certificate's signed `notAfter`. */
  synchronizedUntil: string | null;
  /** Whole days left before `synchronizedUntil` (0 on the last day). */
  daysRemaining: number;
}

/** The sync window as the vendor signed it: from the last sync to its `notAfter`. */
export interface SyncWindow {
  lastSyncAt: Date;
  notAfter: Date;
}

export function syncState(window: SyncWindow | undefined, now: Date): SyncState {
  if (!window) return { synchronized: false, lastSyncAt: null, synchronizedUntil: null, daysRemaining: 0 };
  const left = window.notAfter.getTime() - now.getTime();
  const synchronized = left > 0;
  return {
    synchronized,
    lastSyncAt: window.lastSyncAt.toISOString(),
    synchronizedUntil: window.notAfter.toISOString(),
    daysRemaining: synchronized ? Math.floor(left / DAY_MS) : 0,
  };
}
