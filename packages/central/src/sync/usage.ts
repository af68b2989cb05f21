import { LeaseholdError, type UsageReport } from '@leasehold/protocol';
import { sql, type Transaction } from 'kysely';
import type { AdminContext } from '../admin/context.ts';
import type { CentralDatabase } from '../store/schema.ts';

type Key = string;
const keyOf = (d: { day: string; licenseNumber: string; component: string }): Key =>
  `${d.day} ${d.licenseNumber} ${d.component}`;

/**
 * Stores the usage a sync request carried (docs/central.md, Usage reports), in the sync's
 * transaction. Each (id, day, license, component) is one row, merged with the larger numbers: a local
 * server reports whole days since its last sync, so a day seen twice (or a report sent twice) counts
 * once.
 */
export async function storeUsageReport(
  trx: Transaction<CentralDatabase>,
  licenseServerId: string,
  report: UsageReport,
  receivedAt: Date,
): Promise<number> {
  // Repeats inside one report are merged first: one statement may not update a row twice.
  const merged = new Map<Key, UsageReport['days'][number]>();
  for (const day of report.days) {
    const seen = merged.get(keyOf(day));
    merged.set(
      keyOf(day),
      seen
        ? {
            ...day,
            peakInUse: Math.max(seen.peakInUse, day.peakInUse),
            denials: Math.max(seen.denials, day.denials),
          }
        : day,
    );
  }
  const rows = [...merged.values()];
  for (let i = 0; i < rows.length; i += 1000) {
    await trx
      .insertInto('usage_reports')
      .values(
        rows.slice(i, i + 1000).map((d) => ({
          license_server_id: licenseServerId,
          day: d.day,
          license_number: d.licenseNumber,
          component: d.component,
          peak_in_use: d.peakInUse,
          denials: d.denials,
          received_at: receivedAt,
        })),
      )
      .onConflict((oc) =>
        oc.columns(['license_server_id', 'day', 'license_number', 'component']).doUpdateSet({
          peak_in_use: sql`greatest(usage_reports.peak_in_use, excluded.peak_in_use)`,
          denials: sql`greatest(usage_reports.denials, excluded.denials)`,
          received_at: sql`excluded.received_at`,
        }),
      )
      .execute();
  }
  return rows.length;
}

/** The usage an id's local server reported, by day (newest first), optionally between two days. */
export async function listUsage(
  ctx: AdminContext,
  licenseServerId: string,
  range: { from?: string; to?: string } = {},
) {
  for (const value of [range.from, range.to]) {
    if (value !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(value))
      throw new LeaseholdError('INVALID_INPUT', `${value}: a day is YYYY-MM-DD`);
  }
  const id = await ctx.db
    .selectFrom('license_server_ids')
    .select('id')
    .where('id', '=', licenseServerId)
    .executeTakeFirst();
  if (!id) throw new LeaseholdError('SERVER_ID_UNKNOWN', licenseServerId);
  let query = ctx.db
    .selectFrom('usage_reports')
    .select([
      sql<string>`to_char(day, 'YYYY-MM-DD')`.as('day'),
      'license_number',
      'component',
      'peak_in_use',
      'denials',
      'received_at',
    ])
    .where('license_server_id', '=', licenseServerId);
  if (range.from) query = query.where('day', '>=', range.from);
  if (range.to) query = query.where('day', '<=', range.to);
  const rows = await query
    .orderBy('day', 'desc')
    .orderBy('license_number')
    .orderBy('component')
    .limit(10_000)
    .execute();
  return {
    licenseServerId,
    days: rows.map((r) => ({
      day: r.day,
      licenseNumber: r.license_number,
      component: r.component,
      peakInUse: r.peak_in_use,
      denials: r.denials,
      receivedAt: r.received_at.toISOString(),
    })),
  };
}
