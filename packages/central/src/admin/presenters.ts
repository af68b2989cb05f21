import { type License, licenseSchema } from '@leasehold/protocol';
import type { Selectable } from 'kysely';
import type { SyncLogTable } from '../store/schema.ts';

// jsonb arrives parsed from both PostgreSQL and PGlite; the schema check keeps bad rows out of responses.
export function presentLicense(document: unknown): License {
  return licenseSchema.parse(typeof document === 'string' ? JSON.parse(document) : document);
}

export function presentSyncLogRow(row: Selectable<SyncLogTable>) {
  return {
    at: row.at.toISOString(),
    method: row.method,
    outcome: row.outcome,
    sourceAddress: row.source_address,
    serverKeyId: row.signing_kid,
    allocationVersion: row.allocation_version,
    allocationRevision: row.allocation_revision,
    flags: row.flags ? row.flags.split(',') : [],
  };
}
