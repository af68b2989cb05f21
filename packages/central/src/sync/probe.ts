import {
  LeaseholdError,
  openSyncProbe,
  type PartyKeys,
  type ProbeBinding,
  type SyncProbeAnswer,
} from '@leasehold/protocol';
import type { Kysely } from 'kysely';
import type { CentralDatabase } from '../store/schema.ts';

export interface ProbeContext {
  db: Kysely<CentralDatabase>;
  vendorKeys: PartyKeys;
}

/** Pure: whom the id is bound to, seen from the key that asks. */
export function bindingSeenBy(boundKid: string | null | undefined, askingKid: string): ProbeBinding {
  if (!boundKid) return 'none';
  return boundKid === askingKid ? 'this-server' : 'another-server';
}

/**
 * Answers a binding probe (`leasehold server diagnose`): is this id bound to the key that signed the
 * probe? It only reads. A probe is not a sync: it binds nothing, bumps no version and writes no sync
 * log row, so an administrator can run diagnose as often as they like without the vendor's history
 * filling with attempts that were never syncs.
 */
export async function answerProbe(ctx: ProbeContext, message: string): Promise<SyncProbeAnswer> {
  const { probe, serverSigningKid } = await openSyncProbe(message, ctx.vendorKeys);
  const id = probe.licenseServerId;
  // One statement, so the id and its binding are read from the same snapshot.
  const row = await ctx.db
    .selectFrom('license_server_ids')
    .leftJoin('bindings', 'bindings.license_server_id', 'license_server_ids.id')
    .select(['license_server_ids.id', 'bindings.signing_kid'])
    .where('license_server_ids.id', '=', id)
    .executeTakeFirst();
  if (!row) throw new LeaseholdError('SERVER_ID_UNKNOWN', id);
  return { licenseServerId: id, binding: bindingSeenBy(row.signing_kid, serverSigningKid) };
}
