import {
  type Allocation,
  type Clock,
  certifyAllocation,
  DAY_MS,
  FORMAT_VERSION,
  LeaseholdError,
  type OpenedSyncRequest,
  openSyncRequest,
  type PartyKeys,
  publicJwkOf,
  SYNC_RESPONSE_TYPE,
  type SyncResponse,
  sealSyncResponse,
} from '@leasehold/protocol';
import { type Kysely, sql, type Transaction } from 'kysely';
import { presentLicense } from '../admin/presenters.ts';
import {
  AUDIT_CHAIN_NOT_EXTENDING,
  hashActivationCode,
  SERVER_STATE_FORK,
  SERVER_STATE_ROLLBACK,
} from '../admin/serverIds.ts';
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

interface Checked {
  replayed: boolean;
  signing_kid: string | null;
  last_sync_count: number | null;
  /** The id's license documents by number (a json array: parsed by both drivers). */
  licenses: unknown[];
  /** True when the binding matched and this statement already wrote the answer (see below). */
  answered: boolean;
  /** The flags the usual sync's log row got, comma-separated, or null. */
  flags: string | null;
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
  // It stays a statement of its own: a later statement's snapshot then sees what the previous holder
  // of the lock committed (its binding, its answered request id), which a join here would not.
  const row = await trx
    .selectFrom('license_server_ids')
    .select(['allocation_revision', 'response_version', 'activation_code_hash', 'refuse_flagged'])
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
  if (!row) return { kind: 'refused', error: new LeaseholdError('SERVER_ID_UNKNOWN', id) };

  const version = row.response_version + 1;
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
  const refuse = async (error: LeaseholdError, flags?: string[]): Promise<Outcome> => {
    await log(error.code, flags ? { flags } : {});
    return { kind: 'refused', error };
  };
  // S3, S12: the vendor chose to stop a server whose state looks copied or restored.
  const refuseFlagged = (flags: string[]) =>
    refuse(
      new LeaseholdError(
        'SERVER_STATE_REFUSED',
        `${id}: ${flags.join(', ')}; the vendor refuses such syncs for this id (central server-id policy)`,
      ),
      flags,
    );

  // A request from a clock more than a day ahead of this one is a clock problem: said (and logged)
  // here, rather than answered and then refused by the local server. An old request is the post.
  if (Date.parse(request.createdAt) - now.getTime() > DAY_MS) {
    return refuse(
      new LeaseholdError(
        'CLOCK_SKEW',
        `the request was made at ${request.createdAt}, the central server's clock says ${now.toISOString()}: set the local server's clock right`,
      ),
    );
  }

  const headId = request.audit?.head.id ?? null;
  const headHash = request.audit?.head.hash ?? null;
  const anchored = JSON.stringify(request.audit?.anchored ?? []);

  // The usual sync writes its effects in the statement below; a savepoint lets a refusal undo them.
  await sql`savepoint decide`.execute(trx);
  // One statement reads what the decision needs (replay, binding, licenses) and, only for the usual
  // sync (bound to this key, not a replay), also writes its effects: the sync count, the version and
  // the sync log row. Otherwise it writes nothing and the checks below refuse or bind as before.
  const checked = (
    await sql<Checked>`
      with b as (
        select signing_kid, last_sync_count, last_claimed_version, audit_head_id, audit_head_hash
        from bindings where license_server_id = ${id}
      ), r as (
        select exists (
          select 1 from sync_log where request_id = ${request.requestId} and outcome = 'ok'
        ) as replayed
      ), go as (
        select b.last_sync_count, b.last_claimed_version, b.audit_head_id, b.audit_head_hash from b, r
        where b.signing_kid = ${serverSigningKid} and not r.replayed
      ), count_update as (
        update bindings set last_sync_count = greatest(last_sync_count, ${request.syncCount}::integer),
          last_claimed_version = case when ${request.syncCount}::integer >= last_sync_count
            then ${request.allocationVersion}::integer else last_claimed_version end,
          audit_head_id = ${headId}::integer, audit_head_hash = ${headHash}::text
        where license_server_id = ${id} and exists (select 1 from go)
      ), version_update as (
        update license_server_ids set response_version = ${version}::integer
        where id = ${id} and exists (select 1 from go)
      ), logged as (
        insert into sync_log (license_server_id, request_id, at, method, source_address, signing_kid,
          outcome, allocation_version, allocation_revision, flags)
        select ${id}::text, ${request.requestId}::text, ${now}::timestamptz, ${source.method}::text,
          ${source.sourceAddress ?? null}::text, ${serverSigningKid}::text, 'ok', ${version}::integer,
          ${row.allocation_revision}::integer,
          nullif(concat_ws(',',
            case when ${request.syncCount}::integer < go.last_sync_count then ${SERVER_STATE_ROLLBACK}::text end,
            -- S3, S12: a version never issued, or one count claiming two versions, is two servers in one binding.
            case when ${request.allocationVersion}::integer > ${row.response_version}::integer
              or (${request.syncCount}::integer = go.last_sync_count
                  and ${request.allocationVersion}::integer is distinct from go.last_claimed_version
                  and go.last_claimed_version is not null)
            then ${SERVER_STATE_FORK}::text end,
            -- S12: the entry the last sync reported as head must read as it did then.
            case when go.audit_head_id is not null
              and not ${anchored}::jsonb @> jsonb_build_array(
                jsonb_build_object('id', go.audit_head_id, 'hash', go.audit_head_hash))
            then ${AUDIT_CHAIN_NOT_EXTENDING}::text end), '')
        from go
        returning flags
      )
      select r.replayed, b.signing_kid, b.last_sync_count, exists (select 1 from go) as answered,
        (select flags from logged) as flags,
        (select coalesce(json_agg(l.document order by l.number), '[]'::json)
          from licenses l where l.license_server_id = ${id}) as licenses
      from r left join b on true
    `.execute(trx)
  ).rows[0] as Checked;

  const flags: string[] = [];
  let bound = false;
  if (checked.answered && row.refuse_flagged && checked.flags) {
    await sql`rollback to savepoint decide`.execute(trx);
    return refuseFlagged(checked.flags.split(','));
  }
  if (checked.answered) {
    // S3: a count that goes backwards means a restored snapshot or a clone; flag it, do not refuse.
    if (request.syncCount < (checked.last_sync_count as number)) flags.push(SERVER_STATE_ROLLBACK);
  } else {
    if (checked.replayed)
      return refuse(new LeaseholdError('REQUEST_REPLAYED', `request ${request.requestId}`));
    if (checked.signing_kid !== null) {
      return refuse(
        new LeaseholdError(
          'SERVER_ID_IN_USE',
          `${id} is bound to server key ${checked.signing_kid.slice(0, 12)}…`,
        ),
      );
    }
    // A first sync that claims a version this id never had is a copy of some other server's state.
    const forked = request.allocationVersion > row.response_version;
    if (forked && row.refuse_flagged) return refuseFlagged([SERVER_STATE_FORK]);
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
        last_claimed_version: request.allocationVersion,
        audit_head_id: headId,
        audit_head_hash: headHash,
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
    await trx
      .updateTable('license_server_ids')
      .set({ response_version: version })
      .where('id', '=', id)
      .execute();
    await log('ok', { version, flags: forked ? [SERVER_STATE_FORK] : [] });
  }

  if (request.usage) await storeUsageReport(trx, id, request.usage, now);

  const allocation: Allocation = {
    licenseServerId: id,
    version,
    issuedAt: now.toISOString(),
    licenses: checked.licenses.map((document) => presentLicense(document)),
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
    // The signed state the local server enforces and the bounds of all it signs (S1, L3).
    serverKeyCertificate: certifyAllocation(
      allocation,
      request.serverKeys.signing,
      ctx.vendorKeys.signing,
      announcements,
    ),
    ...(announcements.length ? { vendorKeyAnnouncements: [...announcements] } : {}),
    ...(ctx.retiredVendorKeyIds?.length ? { retiredVendorKeyIds: [...ctx.retiredVendorKeyIds] } : {}),
    // The local server says so in its status (S3, S11): its administrator may not know of the restore.
    ...(flags.includes(SERVER_STATE_ROLLBACK) ? { stateFlags: [SERVER_STATE_ROLLBACK] } : {}),
  };
  // Sealing fails only on a broken key; it throws, and the transaction rolls back what was written.
  const sealed = await sealSyncResponse(response, ctx.vendorKeys, opened.serverEncryption);
  return { kind: 'answered', message: sealed, allocation, bound };
}
