import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { AuditRow } from '../leases/leaseStore.ts';

/** The SQL function the audit trigger calls; every connection registers it in openServerDatabase. */
export const AUDIT_HASH_FUNCTION = 'leasehold_audit_hash';

/** An audit_log row (leaseStore.ts) with the chain's hash (migration 6). */
export interface ChainedRow extends AuditRow {
  hash: string | null;
}

/** SHA-256 over the previous entry's hash and this entry's fields, as canonical JSON. */
export function auditHash(previous: string, row: Omit<ChainedRow, 'hash'>): string {
  const content = [
    previous,
    row.id,
    row.at,
    row.action,
    row.lease_id,
    row.license_number,
    row.user_name,
    row.computer,
    row.code,
    row.detail,
  ];
  return createHash('sha256').update(JSON.stringify(content)).digest('hex');
}

export function registerAuditHash(db: Database.Database): void {
  db.function(AUDIT_HASH_FUNCTION, { deterministic: true, varargs: true }, (...args: unknown[]) => {
    const [previous, id, at, action, lease_id, license_number, user_name, computer, code, detail] = args;
    return auditHash(String(previous ?? ''), {
      id: Number(id),
      at: Number(at),
      action: String(action),
      lease_id: (lease_id as string | null) ?? null,
      license_number: (license_number as string | null) ?? null,
      user_name: (user_name as string | null) ?? null,
      computer: (computer as string | null) ?? null,
      code: (code as string | null) ?? null,
      detail: (detail as string | null) ?? null,
    });
  });
}

export type AuditVerdict =
  | { ok: true; entries: number; lastHash: string | null }
  | { ok: false; entries: number; brokenAt: number; reason: string };

/**
 * Walks the chain from the first entry: an edited entry no longer matches its hash, and a deleted
 * one breaks the link of the entry after it (or leaves a gap in the ids).
 */
export function verifyAuditChain(db: Database.Database): AuditVerdict {
  let previous = '';
  let expectedId: number | undefined;
  let entries = 0;
  for (const row of db.prepare('select * from audit_log order by id').iterate() as Iterable<ChainedRow>) {
    entries++;
    if (expectedId !== undefined && row.id !== expectedId)
      return {
        ok: false,
        entries,
        brokenAt: row.id,
        reason: `entries ${expectedId} to ${row.id - 1} are missing`,
      };
    if (row.hash !== auditHash(previous, row))
      return {
        ok: false,
        entries,
        brokenAt: row.id,
        reason: 'the entry does not match its hash: it, or the one before it, was changed or removed',
      };
    previous = row.hash;
    expectedId = row.id + 1;
  }
  return { ok: true, entries, lastHash: entries ? previous : null };
}
