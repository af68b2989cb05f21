import { createHash } from 'node:crypto';
import { LeaseholdError, licenseServerIdSchema, newLicenseServerId, randomToken } from '@leasehold/protocol';
import { z } from 'zod';
import { recordAudit } from '../audit.ts';
import type { AdminContext } from './context.ts';
import { parseInput } from './input.ts';
import { presentLicense, presentSyncLogRow } from './presenters.ts';

/** The sync log flag for a sync count lower than one seen before (docs/sync.md). */
export const SERVER_STATE_ROLLBACK = 'SERVER_STATE_ROLLBACK';
/**
 * S3, S12: two servers with one binding (a copied data folder syncing in turns with the original):
 * a sync count repeated with another claimed allocation version, or a claimed version the central
 * never issued.
 */
export const SERVER_STATE_FORK = 'SERVER_STATE_FORK';
/**
 * S12: the local audit chain does not extend the head the previous sync reported (entries cut,
 * rewritten, or the whole chain recomputed), or a sync no longer reports one.
 */
export const AUDIT_CHAIN_NOT_EXTENDING = 'AUDIT_CHAIN_NOT_EXTENDING';

export const createServerIdInput = z.strictObject({
  id: licenseServerIdSchema.optional(),
  customer: z.string().trim().min(1).max(200).optional(),
  activationCode: z.boolean().default(false),
});

export const serverIdPolicyInput = z.strictObject({ refuseFlagged: z.boolean() });

/**
 * S3, S12: whether a sync that would be flagged (SERVER_STATE_ROLLBACK, SERVER_STATE_FORK,
 * AUDIT_CHAIN_NOT_EXTENDING) is refused with SERVER_STATE_REFUSED instead of answered. Off by
 * default: a restored backup is usually an accident, and refusing it stops the customer's work.
 */
export async function setServerIdPolicy(ctx: AdminContext, licenseServerId: string, input: unknown) {
  const { refuseFlagged } = parseInput(serverIdPolicyInput, input);
  return ctx.db.transaction().execute(async (trx) => {
    const updated = await trx
      .updateTable('license_server_ids')
      .set({ refuse_flagged: refuseFlagged })
      .where('id', '=', licenseServerId)
      .returning('id')
      .executeTakeFirst();
    if (!updated) throw new LeaseholdError('SERVER_ID_UNKNOWN', licenseServerId);
    await recordAudit(trx, {
      at: ctx.clock.now(),
      actor: ctx.actor,
      action: 'server-id.policy',
      licenseServerId,
      details: { refuseFlagged },
    });
    return { licenseServerId, refuseFlagged };
  });
}

export function hashActivationCode(code: string): string {
  return createHash('sha256').update(code.trim()).digest('hex');
}

export async function createServerId(ctx: AdminContext, input: unknown) {
  const { id = newLicenseServerId(), customer, activationCode } = parseInput(createServerIdInput, input);
  const code = activationCode ? randomToken(12) : undefined;
  const now = ctx.clock.now();
  const inserted = await ctx.db
    .insertInto('license_server_ids')
    .values({
      id,
      customer: customer ?? null,
      activation_code_hash: code ? hashActivationCode(code) : null,
      allocation_revision: 0,
      response_version: 0,
      created_at: now,
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!inserted) throw new LeaseholdError('SERVER_ID_EXISTS', id);
  await recordAudit(ctx.db, {
    at: now,
    actor: ctx.actor,
    action: 'server-id.created',
    licenseServerId: id,
    details: { customer },
  });
  // The activation code is shown once, here; only its hash is stored.
  return {
    id,
    customer: customer ?? null,
    createdAt: now.toISOString(),
    ...(code ? { activationCode: code } : {}),
  };
}

export async function listServerIds(ctx: AdminContext) {
  const rows = await ctx.db
    .selectFrom('license_server_ids as s')
    .leftJoin('bindings as b', 'b.license_server_id', 's.id')
    .select((eb) => [
      's.id',
      's.customer',
      's.created_at',
      's.allocation_revision',
      's.response_version',
      'b.bound_at',
      'b.signing_kid',
      eb
        .selectFrom('licenses as l')
        .whereRef('l.license_server_id', '=', 's.id')
        .select((sub) => sub.fn.countAll<number>().as('n'))
        .as('license_count'),
      eb
        .selectFrom('sync_log as g')
        .whereRef('g.license_server_id', '=', 's.id')
        .where('g.outcome', '=', 'ok')
        .select((sub) => sub.fn.max('g.at').as('m'))
        .as('last_sync_at'),
    ])
    .orderBy('s.id')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    customer: r.customer,
    createdAt: r.created_at.toISOString(),
    bound: r.signing_kid !== null,
    boundAt: r.bound_at ? r.bound_at.toISOString() : null,
    licenseCount: Number(r.license_count ?? 0),
    lastSyncAt: r.last_sync_at ? new Date(r.last_sync_at as Date).toISOString() : null,
    allocationRevision: r.allocation_revision,
    lastAllocationVersion: r.response_version,
  }));
}

export async function showServerId(ctx: AdminContext, id: string) {
  const row = await ctx.db
    .selectFrom('license_server_ids')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) throw new LeaseholdError('SERVER_ID_UNKNOWN', id);
  const flagged = (flag: string) =>
    ctx.db
      .selectFrom('sync_log')
      .select((eb) => [eb.fn.countAll<number>().as('count'), eb.fn.max('at').as('last_at')])
      .where('license_server_id', '=', id)
      .where('flags', 'like', `%${flag}%`)
      .executeTakeFirstOrThrow();
  const [binding, licenses, syncs, rollbacks, forks, auditBreaks] = await Promise.all([
    ctx.db.selectFrom('bindings').selectAll().where('license_server_id', '=', id).executeTakeFirst(),
    ctx.db
      .selectFrom('licenses')
      .select('document')
      .where('license_server_id', '=', id)
      .orderBy('number')
      .execute(),
    ctx.db
      .selectFrom('sync_log')
      .selectAll()
      .where('license_server_id', '=', id)
      .orderBy('id', 'desc')
      .limit(50)
      .execute(),
    // Counted over the whole log: a flag must stay visible after it scrolls out of the history.
    flagged(SERVER_STATE_ROLLBACK),
    flagged(SERVER_STATE_FORK),
    flagged(AUDIT_CHAIN_NOT_EXTENDING),
  ]);
  const summary = (row: { count: number; last_at: unknown }) =>
    Number(row.count)
      ? { count: Number(row.count), lastAt: new Date(row.last_at as Date).toISOString() }
      : null;
  return {
    id: row.id,
    customer: row.customer,
    createdAt: row.created_at.toISOString(),
    activationCodeRequired: row.activation_code_hash !== null,
    /** Flagged syncs are refused (SERVER_STATE_REFUSED) rather than answered. */
    refuseFlagged: row.refuse_flagged,
    allocationRevision: row.allocation_revision,
    lastAllocationVersion: row.response_version,
    binding: binding
      ? {
          serverKeyId: binding.signing_kid,
          boundAt: binding.bound_at.toISOString(),
          lastSyncCount: binding.last_sync_count,
          auditHead:
            binding.audit_head_id === null
              ? null
              : { id: binding.audit_head_id, hash: binding.audit_head_hash },
        }
      : null,
    licenses: licenses.map((l) => presentLicense(l.document)),
    /** S3: syncs whose count went backwards (a restored snapshot or a clone of the server). */
    serverStateRollback: summary(rollbacks),
    /** S3, S12: syncs that show two servers in one binding (a copy syncing in turns with the original). */
    serverStateFork: summary(forks),
    /** S12: syncs whose audit chain did not extend the head the previous one reported. */
    auditChainNotExtending: summary(auditBreaks),
    syncHistory: syncs.map(presentSyncLogRow),
  };
}
