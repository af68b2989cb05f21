import { LeaseholdError } from '@leasehold/protocol';
import type { Kysely, Transaction } from 'kysely';
import type { CentralDatabase } from './store/schema.ts';

export interface AuditEntry {
  at: Date;
  actor: string;
  action: string;
  licenseServerId?: string;
  details?: Record<string, unknown>;
}

export async function recordAudit(
  db: Kysely<CentralDatabase> | Transaction<CentralDatabase>,
  entry: AuditEntry,
): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      at: entry.at,
      actor: entry.actor,
      action: entry.action,
      license_server_id: entry.licenseServerId ?? null,
      details: JSON.stringify(entry.details ?? {}),
    })
    .execute();
}

/**
 * The audit log for the vendor (C1, S4; docs/central.md, Audit), newest first: who (an admin token's
 * name, `cli`, or `sync` for a binding made by a first sync), when, and what. Syncs themselves are in
 * the sync log (`server-id show`); both tables are append-only in the database (migration 5).
 */
export async function listAudit(
  db: Kysely<CentralDatabase>,
  options: { licenseServerId?: string; limit?: number } = {},
) {
  const limit = options.limit ?? 200;
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000)
    throw new LeaseholdError('INVALID_INPUT', 'limit is a whole number from 1 to 10000');
  let query = db.selectFrom('audit_log').selectAll();
  if (options.licenseServerId) query = query.where('license_server_id', '=', options.licenseServerId);
  const rows = await query.orderBy('id', 'desc').limit(limit).execute();
  return rows.map((r) => ({
    at: r.at.toISOString(),
    actor: r.actor,
    action: r.action,
    licenseServerId: r.license_server_id,
    details: (typeof r.details === 'string' ? JSON.parse(r.details) : r.details) as Record<string, unknown>,
  }));
}
