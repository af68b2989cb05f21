import { DAY_MS, MAX_USAGE_ROWS, type UsageDay, type UsageReport } from '@leasehold/protocol';
import type { HistoryRow } from '../leases/usageHistory.ts';

/**
 * The usage summary a sync request carries (docs/central.md, Usage reports), from the hourly usage
 * history (M4): per UTC day, license and component, the highest hourly peak and the sum of the hourly
 * denials. It covers whole days from the day of the last successful sync through today, so a day that
 * was not over at one sync is sent again in full at the next; the central server keeps the larger
 * numbers, so nothing counts twice.
 */
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Pure: hourly rows to daily rows (rows with nothing in them are left out), oldest day first. */
export function summarizeUsage(rows: readonly HistoryRow[]): UsageDay[] {
  const days = new Map<string, UsageDay>();
  for (const row of rows) {
    if (row.peak === 0 && row.denials === 0) continue;
    const day = dayOf(row.hour);
    const key = `${day}\n${row.license_number}\n${row.component}`;
    const found = days.get(key);
    if (found) {
      found.peakInUse = Math.max(found.peakInUse, row.peak);
      found.denials += row.denials;
    } else {
      days.set(key, {
        day,
        licenseNumber: row.license_number,
        component: row.component,
        peakInUse: row.peak,
        denials: row.denials,
      });
    }
  }
  const sorted = [...days.values()].sort(
    (a, b) =>
      a.day.localeCompare(b.day) ||
      a.licenseNumber.localeCompare(b.licenseNumber) ||
      a.component.localeCompare(b.component),
  );
  // The newest days matter most when a report would be too large.
  return sorted.slice(-MAX_USAGE_ROWS);
}

/** The report since the last successful sync (only today on a first sync), read with `history(from, to)`. */
export function usageReport(
  history: (fromMs: number, toMs: number) => readonly HistoryRow[],
  since: Date | undefined,
  now: Date,
): UsageReport {
  const from = Math.floor((since ?? now).getTime() / DAY_MS) * DAY_MS;
  return {
    from: new Date(from).toISOString(),
    to: now.toISOString(),
    days: summarizeUsage(history(from, now.getTime() + 1)),
  };
}
