import { DAY_MS, type License } from '@leasehold/protocol';
import type { SyncState } from '../sync/state.ts';

/** One line of the Manager's information messages (S11, M2). */
export interface StatusMessage {
  level: 'info' | 'warning' | 'error';
  code: StatusMessageCode;
  text: string;
}

export type StatusMessageCode =
  | 'NOT_SYNCHRONIZED'
  | 'CLOCK_ROLLBACK'
  | 'SYNC_DUE_30_DAYS'
  | 'SYNC_DUE_7_DAYS'
  | 'SYNC_DUE_1_DAY'
  | 'LICENSE_EXPIRING'
  | 'LICENSE_EXPIRED'
  | 'LICENSE_NOT_STARTED'
  | 'AUTO_SYNC_FAILED'
  | 'SERVER_STATE_ROLLBACK'
  | 'LOCAL_STATE_INVALID';

/** S11: the Manager warns when 30, 7 and 1 day(s) remain before the required sync. */
export const SYNC_DUE_THRESHOLDS = [
  { days: 1, code: 'SYNC_DUE_1_DAY' },
  { days: 7, code: 'SYNC_DUE_7_DAYS' },
  { days: 30, code: 'SYNC_DUE_30_DAYS' },
] as const;

/** S11: a license expiring within this many days is named. */
export const LICENSE_EXPIRY_WARNING_DAYS = 30;

export interface MessageFacts {
  /** The effective time (the clock's high-water mark when the clock was wound back). */
  now: Date;
  sync: SyncState;
  clock: { state: 'ok' | 'rollback'; highWater: string | null };
  licenses: readonly License[];
  autoSync: {
    mode: string;
    lastRunAt: string | null;
    lastOutcome: string | null;
    /** Failures still in force (none once a later sync succeeded). */
    consecutiveFailures: number;
    retryAt: string | null;
  };
  /** When the central server last saw this server's sync count go backwards (S3), if ever. */
  stateRollbackAt?: string | null;
  /** Why the stored allocation does not verify, when it does not. */
  stateInvalid?: string | null;
}

/** How long the Manager keeps saying that the vendor saw this server's state go back. */
export const STATE_ROLLBACK_NOTICE_DAYS = 30;

const syncFix = (autoSyncMode: string) =>
  autoSyncMode === 'off'
    ? 'run `leasehold server sync` (or sync via file), or turn on `leasehold server sync auto daily`'
    : 'run `leasehold server sync` (or sync via file)';
const LEVEL_ORDER = { error: 0, warning: 1, info: 2 } as const;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
/** Whole days from one ISO date (YYYY-MM-DD) to another; license dates are UTC calendar days. */
const daysBetween = (from: string, to: string) => Math.round((Date.parse(to) - Date.parse(from)) / DAY_MS);
const describeLicense = (l: License) => `license ${l.number}${l.name ? ` (${l.name})` : ''}`;

/** The information messages of `server status`, most serious first. Pure: the facts are all given. */
export function statusMessages(facts: MessageFacts): StatusMessage[] {
  const messages: StatusMessage[] = [
    ...clockMessages(facts),
    ...syncMessages(facts),
    ...autoSyncMessages(facts),
    ...stateMessages(facts),
    ...licenseMessages(facts),
  ];
  return messages.sort((a, b) => LEVEL_ORDER[a.level] - LEVEL_ORDER[b.level]);
}

function stateMessages({ now, stateRollbackAt, stateInvalid }: MessageFacts): StatusMessage[] {
  if (stateInvalid)
    return [
      {
        level: 'error',
        code: 'LOCAL_STATE_INVALID',
        text: `No licenses are issued: the ${stateInvalid}. If no one changed the data folder, restore it from a backup.`,
      },
    ];
  if (!stateRollbackAt) return [];
  if (now.getTime() - Date.parse(stateRollbackAt) > STATE_ROLLBACK_NOTICE_DAYS * DAY_MS) return [];
  return [
    {
      level: 'warning',
      code: 'SERVER_STATE_ROLLBACK',
      text: `at the sync of ${stateRollbackAt.slice(0, 10)} the vendor's server saw this server's sync count go backwards, as after restoring a backup or a virtual machine snapshot, or on a copy of this server; the vendor has been told. If no backup was restored, look for a second copy of this server's data folder`,
    },
  ];
}

function clockMessages({ clock }: MessageFacts): StatusMessage[] {
  if (clock.state !== 'rollback') return [];
  return [
    {
      level: 'error',
      code: 'CLOCK_ROLLBACK',
      text: `The system clock is behind ${clock.highWater}, a time this server has already seen; no licenses are issued until the clock is set right.`,
    },
  ];
}

function syncMessages({ sync, autoSync }: MessageFacts): StatusMessage[] {
  const fix = syncFix(autoSync.mode);
  if (!sync.synchronized) {
    return [
      {
        level: 'error',
        code: 'NOT_SYNCHRONIZED',
        text: sync.lastSyncAt
          ? `Not synchronized: the last sync (${sync.lastSyncAt}) is more than 366 days old, so no licenses are issued; ${fix}.`
          : `Not synchronized: this server has never synchronized, so no licenses are issued; ${fix}.`,
      },
    ];
  }
  const threshold = SYNC_DUE_THRESHOLDS.find((t) => sync.daysRemaining <= t.days);
  if (!threshold) return [];
  const left =
    sync.daysRemaining === 0
      ? 'Today is the last day this server is synchronized'
      : `${plural(sync.daysRemaining, 'day')} remain until the required sync`;
  return [
    {
      level: 'warning',
      code: threshold.code,
      text: `${left}: licenses are refused from ${sync.synchronizedUntil} unless it synchronizes; ${fix}.`,
    },
  ];
}

function autoSyncMessages({ autoSync }: MessageFacts): StatusMessage[] {
  // Once turned off, or once any sync succeeded since, an old failure is no longer news.
  if (autoSync.mode === 'off' || autoSync.consecutiveFailures === 0) return [];
  return [
    {
      level: 'warning',
      code: 'AUTO_SYNC_FAILED',
      text: `The last automatic sync (${autoSync.lastRunAt}) failed with ${autoSync.lastOutcome} (${plural(autoSync.consecutiveFailures, 'failure')} in a row); it is retried at ${autoSync.retryAt}. \`leasehold server sync\` shows the error and what to do.`,
    },
  ];
}

function licenseMessages({ now, licenses }: MessageFacts): StatusMessage[] {
  // The lease engine judges license dates on the UTC calendar day; so do these messages.
  const today = now.toISOString().slice(0, 10);
  const messages: StatusMessage[] = [];
  for (const license of [...licenses].sort((a, b) => a.expiryDate.localeCompare(b.expiryDate))) {
    const daysLeft = daysBetween(today, license.expiryDate);
    if (daysLeft < 0) {
      messages.push({
        level: 'warning',
        code: 'LICENSE_EXPIRED',
        text: `${describeLicense(license)} expired on ${license.expiryDate}; ask your vendor to renew it, then sync.`,
      });
    } else if (daysLeft <= LICENSE_EXPIRY_WARNING_DAYS) {
      const when =
        daysLeft === 0 ? 'today: its last day' : daysLeft === 1 ? 'tomorrow' : `in ${daysLeft} days`;
      messages.push({
        level: 'warning',
        code: 'LICENSE_EXPIRING',
        text: `${describeLicense(license)} expires on ${license.expiryDate} (${when}); ask your vendor to renew it, then sync.`,
      });
    } else if (license.startDate > today) {
      messages.push({
        level: 'info',
        code: 'LICENSE_NOT_STARTED',
        text: `${describeLicense(license)} starts on ${license.startDate}; it serves no one before then.`,
      });
    }
  }
  return messages;
}
