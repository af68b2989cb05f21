import { DAY_MS, HOUR_MS, LeaseholdError, type License } from '@leasehold/protocol';
import { z } from 'zod';
import type { HistoryRow } from '../leases/usageHistory.ts';
import type { LocalServer } from '../localServer.ts';

export const HISTORY_DEFAULT_DAYS = 30;
export const HISTORY_MAX_DAYS = 366;

const count = z.number().int().min(0);
const historyPointSchema = z.strictObject({
  at: z.iso.datetime().describe('start of the bucket'),
  peak: count.describe('the most seats in use at once in the bucket'),
  denials: count.describe('refused requests for this component in the bucket'),
});
const componentHistorySchema = z.strictObject({
  licenseNumber: z.string(),
  component: z.string(),
  maxUsers: count,
  points: z.array(historyPointSchema).describe('every bucket from `from` to `to`, oldest first'),
});
/** GET /v1/admin/history: the contract the Manager's charts are built against (and OpenAPI shows). */
export const historyDocumentSchema = z.strictObject({
  from: z.iso.datetime(),
  to: z.iso.datetime(),
  bucket: z.enum(['hour', 'day']),
  components: z.array(componentHistorySchema),
});

export type HistoryPoint = z.infer<typeof historyPointSchema>;
export type ComponentHistory = z.infer<typeof componentHistorySchema>;
export type UsageHistoryDocument = z.infer<typeof historyDocumentSchema>;

/** `?days=N`: an integer 1..366, 30 when absent. */
export function parseHistoryDays(value: unknown): number {
  if (value === undefined || value === '') return HISTORY_DEFAULT_DAYS;
  const days = typeof value === 'string' && /^\d{1,3}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(days) || days < 1 || days > HISTORY_MAX_DAYS)
    throw new LeaseholdError('INVALID_INPUT', `days is a whole number from 1 to ${HISTORY_MAX_DAYS}`);
  return days;
}

/** The buckets of the last `days` days up to the one holding `now`: hours for two days or less, else UTC days. */
export function historyWindow(
  now: Date,
  days: number,
): { from: number; to: number; bucket: 'hour' | 'day'; size: number } {
  const bucket = days <= 2 ? 'hour' : 'day';
  const size = bucket === 'hour' ? HOUR_MS : DAY_MS;
  const to = Math.floor(now.getTime() / size) * size + size;
  return { from: to - days * DAY_MS, to, bucket, size };
}

/**
 * M4 as the Manager draws it: for every component of the current allocation, every bucket of the
 * window (zeros included), the bucket's highest count of seats in use and its denials.
 */
export function usageHistory(
  rows: readonly HistoryRow[],
  licenses: readonly License[],
  now: Date,
  days: number,
): UsageHistoryDocument {
  const { from, to, bucket, size } = historyWindow(now, days);
  const slots = Math.round((to - from) / size);
  const byKey = new Map<string, HistoryPoint[]>();
  const components: ComponentHistory[] = licenses.flatMap((license) => {
    const base = license.components.find((c) => c.name === 'Base')?.seats ?? 0;
    return license.components.map((c) => {
      const points = Array.from({ length: slots }, (_, i) => ({
        at: new Date(from + i * size).toISOString(),
        peak: 0,
        denials: 0,
      }));
      byKey.set(`${license.number}\n${c.name}`, points);
      return { licenseNumber: license.number, component: c.name, maxUsers: Math.min(c.seats, base), points };
    });
  });
  for (const row of rows) {
    if (row.hour < from || row.hour >= to) continue;
    const point = byKey.get(`${row.license_number}\n${row.component}`)?.[
      Math.floor((row.hour - from) / size)
    ];
    if (!point) continue;
    point.peak = Math.max(point.peak, row.peak);
    point.denials += row.denials;
  }
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), bucket, components };
}

/** The history document of a local server, on its judged clock (the API and `server history`). */
export function readHistory(server: LocalServer, days: number): UsageHistoryDocument {
  const judgement = server.guard.judge();
  const at = judgement.ok ? judgement.now : judgement.highWater;
  const { from, to } = historyWindow(at, days);
  const licenses = server.store.currentAllocation()?.allocation.licenses ?? [];
  return usageHistory(server.leases.history(from, to), licenses, at, days);
}
