import {
  type Allocation,
  type Clock,
  FORMAT_VERSION,
  LeaseholdError,
  type OpenedSyncRequest,
  openSyncRequest,
  type PartyKeys,
  publicJwkOf,
  SERVER_KEY_CERTIFICATE_TYPE,
  SYNC_RESPONSE_TYPE,
  type SyncResponse,
  sealSyncResponse,
  signAnnouncedServerKeyCertificate,
} from '@leasehold/protocol';
import type { Kysely, Transaction } from 'kysely';
import { presentLicense } from '../admin/presenters.ts';
import { hashActivationCode, SERVER_STATE_ROLLBACK } from '../admin/serverIds.ts';
import { recordAudit } from '../audit.ts';
import type { CentralDatabase } from '../store/schema.ts';
import { storeUsageReport } from './usage.ts';

export interface SyncContext {
  db: Kysely<CentralDatabase>;
  clock: Clock;
  /** The encryption key and the active signing key. */
  vendorKeys: PartyKeys;
  /** While keys rotate: the active signing key announced by each previous one (keys/keyring.ts). */
  vendorKeyAnnouncements?: readonly string[];
  /** Retired vendor signing keys, which local servers are told to stop trusting. */
  retiredVendorKeyIds?: readonly string[];
  /** Throws SYNC_RATE_LIMITED for an id over its limit (http/rateLimit.ts); checked before any database work. */
  limitPerId?: (licenseServerId: string) => void;
}

export interface SyncSource {
  method: 'online' | 'file';
  sourceAddress?: string;
}

type Outcome =
  | { kind: 'answered'; message: string; allocation: Allocation; bound: boolean }
  | { kind: 'refused'; error: LeaseholdError };

/**
 * Answers one sync request (S2, S3, S8): opens and verifies it, binds the id on its first sync,
 * refuses any other key, and returns the complete current allocation sealed to the requesting
 * server. Every attempt that names a known id is written to the sync log, refusals included.
 */
export async function handleSyncRequest(
  ctx: SyncContext,
  message: string,
  source: SyncSource,
): Promise<string> {
  const opened = await openSyncRequest(message, ctx.vendorKeys);
  ctx.limitPerId?.(opened.request.licenseServerId);
  const outcome = await ctx.db.transaction().execute((trx) => decideAndRecord(ctx, trx, opened, source));
  if (outcome.kind === 'refused') throw outcome.error;
  return outcome.message;
}

async function decideAndRecord(
  ctx: SyncContext,
  trx: Transaction<CentralDatabase>,
  opened: OpenedSyncRequest,
  source: SyncSource,
): Promise<Outcome> {
  const { request, serverSigningKid } = opened;
  const id = request.licenseServerId;
  const now = ctx.clock.now();
  // The row lock serializes syncs of one id across nodes: two first syncs racing cannot both bind.
  const row = await trx
    .selectFrom('license_server_ids')
    .selectAll()
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
  if (!row) return { kind: 'refused', error: new LeaseholdError('SERVER_ID_UNKNOWN', id) };

  const log = (outcome: string, extra: { version?: number; flags?: string[] } = {}) =>
    trx
      .insertInto('sync_log')
      .values({
        license_server_id: id,
        request_id: request.requestId,
        at: now,
        method: source.method,
        source_address: source.sourceAddress ?? null,
        signing_kid: serverSigningKid,
        outcome,
        allocation_version: extra.version ?? null,
        allocation_revision: row.allocation_revision,
        flags: extra.flags?.length ? extra.flags.join(',') : null,
      })
      .execute();
  const refuse = async (error: LeaseholdError): Promise<Outcome> => {
    await log(error.code);
    return { kind: 'refused', error };
  };

  const answered = await trx
    .selectFrom('sync_log')
    .select('id')
    .where('request_id', '=', request.requestId)
    .where('outcome', '=', 'ok')
    .executeTakeFirst();
  if (answered) return refuse(new LeaseholdError('REQUEST_REPLAYED', `request ${request.requestId}`));

  const flags: string[] = [];
  let bound = false;
  const binding = await trx
    .selectFrom('bindings')
    .selectAll()
    .where('license_server_id', '=', id)
    .executeTakeFirst();
  if (binding && binding.signing_kid !== serverSigningKid) {
    return refuse(
      new LeaseholdError(
        'SERVER_ID_IN_USE',
        `${id} is bound to server key ${binding.signing_kid.slice(0, 12)}…`,
      ),
    );
  }
  if (!binding) {
    if (row.activation_code_hash) {
      if (!request.activationCode) return refuse(new LeaseholdError('ACTIVATION_CODE_REQUIRED', id));
      const presented = hashActivationCode(request.activationCode);
      // S3: a code binds once. After a clearing the old code is refused even though no key is bound.
      const used = await trx
        .selectFrom('used_activation_codes')
        .select('used_at')
        .where('license_server_id', '=', id)
        .where('code_hash', '=', presented)
        .executeTakeFirst();
      if (used) return refuse(new LeaseholdError('ACTIVATION_CODE_USED', id));
      if (presented !== row.activation_code_hash) {
        return refuse(new LeaseholdError('ACTIVATION_CODE_INVALID', id));
      }
      await trx
        .insertInto('used_activation_codes')
        .values({ license_server_id: id, code_hash: presented, used_at: now })
        .execute();
    }
    await trx
      .insertInto('bindings')
      .values({
        license_server_id: id,
        signing_kid: serverSigningKid,
        signing_jwk: JSON.stringify(request.serverKeys.signing),
        encryption_jwk: JSON.stringify(publicJwkOf(opened.serverEncryption.publicKey)),
        bound_at: now,
        last_sync_count: request.syncCount,
      })
      .execute();
    await recordAudit(trx, {
      at: now,
      actor: 'sync',
      action: 'binding.created',
      licenseServerId: id,
      details: { serverKeyId: serverSigningKid, method: source.method, sourceAddress: source.sourceAddress },
    });
    bound = true;
  } else {
    // S3: a count that goes backwards means a restored snapshot or a clone; flag it, do not refuse.
    if (request.syncCount < binding.last_sync_count) flags.push(SERVER_STATE_ROLLBACK);
    await trx
      .updateTable('bindings')
      .set({ last_sync_count: Math.max(request.syncCount, binding.last_sync_count) })
      .where('license_server_id', '=', id)
      .execute();
  }

  if (request.usage) await storeUsageReport(trx, id, request.usage, now);

  const version = row.response_version + 1;
  await trx
    .updateTable('license_server_ids')
    .set({ response_version: version })
    .where('id', '=', id)
    .execute();
  const licenses = await trx
    .selectFrom('licenses')
    .select('document')
    .where('license_server_id', '=', id)
    .orderBy('number')
    .execute();
  const allocation: Allocation = {
    licenseServerId: id,
    version,
    issuedAt: now.toISOString(),
    licenses: licenses.map((l) => presentLicense(l.document)),
  };
  const announcements = ctx.vendorKeyAnnouncements ?? [];
  const response: SyncResponse = {
    type: SYNC_RESPONSE_TYPE,
    formatVersion: FORMAT_VERSION,
    licenseServerId: id,
    requestId: request.requestId,
    serverKeyId: serverSigningKid,
    issuedAt: now.toISOString(),
    allocation,
    serverKeyCertificate: await signAnnouncedServerKeyCertificate(
      {
        type: SERVER_KEY_CERTIFICATE_TYPE,
        licenseServerId: id,
        serverKeyId: serverSigningKid,
        serverSigningKey: request.serverKeys.signing,
        issuedAt: now.toISOString(),
      },
      ctx.vendorKeys.signing,
      announcements,
    ),
    ...(announcements.length ? { vendorKeyAnnouncements: [...announcements] } : {}),
    ...(ctx.retiredVendorKeyIds?.length ? { retiredVendorKeyIds: [...ctx.retiredVendorKeyIds] } : {}),
    // The local server says so in its status (issue 8): its administrator may not know of the restore.
    ...(flags.includes(SERVER_STATE_ROLLBACK) ? { stateFlags: [SERVER_STATE_ROLLBACK] } : {}),
  };
  const sealed = await sealSyncResponse(response, ctx.vendorKeys, opened.serverEncryption);
  await log('ok', { version, flags });
  return { kind: 'answered', message: sealed, allocation, bound };
}
