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
