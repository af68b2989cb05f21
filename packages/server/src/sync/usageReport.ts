import { DAY_MS, MAX_USAGE_ROWS, type UsageDay, type UsageReport } from '@leasehold/protocol';
import type Database from 'better-sqlite3';

/**
 * The usage summary a sync request carries (issue 6, item 4): whole UTC days from the day of the
 * last successful sync through today, so a day that was not over at one sync is sent again in full
 * at the next (the central server keeps the larger numbers).
 *
 * Until the hourly usage history lands, this reads the lease audit log. It knows the components of
 * a lease only while the lease exists, so it reports the one component every lease holds, Base (the
 * number of users, L1), as the peak of leases open at once; a denial names no component (and not
 * always a license), so denials are counted under component `*` (and license `*`).
 */
const GRANTED = ['lease.granted', 'checkout.granted'];
const ENDED = [
  'lease.released',
  'lease.force-released',
  'lease.expired',
  'lease.withdrawn',
  'checkout.returned',
];
const DENIED = 'lease.denied';
// A lease open at the start of the window began at most a checkout's longest period before it.
const LOOKBACK_MS = 367 * DAY_MS;

export interface UsageEvent {
  at: number;
  action: string;
  leaseId: string | null;
  licenseNumber: string | null;
}

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

const nextDay = (day: string) => dayOf(Date.parse(`${day}T00:00:00Z`) + DAY_MS);

/** Pure: replays the events (oldest first) and summarizes the days from `fromMs` to `toMs`. */
export function summarizeUsage(events: readonly UsageEvent[], fromMs: number, toMs: number): UsageDay[] {
  const firstDay = dayOf(fromMs);
  const open = new Map<string, string>(); // lease id → license number
  const openPerLicense = new Map<string, number>();
  const rows = new Map<string, UsageDay>();
  const row = (day: string, licenseNumber: string, component: string) => {
    const key = `${day} ${licenseNumber} ${component}`;
    let found = rows.get(key);
    if (!found) {
      found = { day, licenseNumber, component, peakInUse: 0, denials: 0 };
      rows.set(key, found);
    }
    return found;
  };
  const peak = (day: string, license: string, count: number) => {
    const r = row(day, license, 'Base');
    r.peakInUse = Math.max(r.peakInUse, count);
  };
  // Leases open when a day starts count on that day, also on a day with no event at all.
  let recordedThrough: string | undefined;
  const startDaysThrough = (day: string) => {
    for (let d = recordedThrough ? nextDay(recordedThrough) : firstDay; d <= day; d = nextDay(d)) {
      for (const [license, count] of openPerLicense) if (count > 0) peak(d, license, count);
      recordedThrough = d;
    }
  };
  for (const event of events) {
    if (event.at > toMs) break;
    const day = dayOf(event.at);
    const inWindow = day >= firstDay;
    if (inWindow) startDaysThrough(day);
    const license = event.licenseNumber ?? '*';
    if (GRANTED.includes(event.action) && event.leaseId) {
      open.set(event.leaseId, license);
      const count = (openPerLicense.get(license) ?? 0) + 1;
      openPerLicense.set(license, count);
      if (inWindow) peak(day, license, count);
    } else if (ENDED.includes(event.action) && event.leaseId && open.has(event.leaseId)) {
      const was = open.get(event.leaseId) as string;
      open.delete(event.leaseId);
      openPerLicense.set(was, (openPerLicense.get(was) ?? 1) - 1);
    } else if (event.action === DENIED && inWindow) {
      row(day, license, '*').denials += 1;
    }
  }
  startDaysThrough(dayOf(toMs));
  const result = [...rows.values()].sort((a, b) => a.day.localeCompare(b.day));
  // The newest days matter most when a report would be too large.
  return result.slice(-MAX_USAGE_ROWS);
}

/** Reads what the summary needs from the local server's database (audit_log, indexed by action and time). */
export function usageReportFromAuditLog(
  db: Database.Database,
  since: Date | undefined,
  now: Date,
): UsageReport {
  const fromMs = since ? since.getTime() : now.getTime();
  const startOfFirstDay = Date.parse(`${dayOf(fromMs)}T00:00:00Z`);
  const actions = [...GRANTED, ...ENDED, DENIED];
  const events = db
    .prepare(
      `select at, action, lease_id as leaseId, license_number as licenseNumber from audit_log
       where action in (${actions.map(() => '?').join(',')}) and at >= ? and at <= ? order by at, id`,
    )
    .all(...actions, startOfFirstDay - LOOKBACK_MS, now.getTime()) as UsageEvent[];
  return {
    from: new Date(startOfFirstDay).toISOString(),
    to: now.toISOString(),
    days: summarizeUsage(events, startOfFirstDay, now.getTime()),
  };
}
