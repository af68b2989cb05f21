import { LeaseholdError } from '@leasehold/protocol';
import { type Kysely, sql, type Transaction } from 'kysely';
import { recordAudit } from '../audit.ts';
import { presentKeyring, retireKey, rotateKeyring } from '../keys/keyring.ts';
import { loadVendorKeyring, saveVendorKeyring } from '../keys/vendorKeys.ts';
import type { CentralDatabase } from '../store/schema.ts';
import type { AdminContext } from './context.ts';

/** Where the vendor keyring is: the data folder's key file, or the environment's text (read only). */
export interface KeyringLocation {
  dataDir: string;
  privateKeysText?: string;
}

/**
 * The keys, and the bound ids that have not synced since the active key was made: those may not
 * know it yet, and would refuse every response once the key that announces it is retired (step 2
 * of docs/key-rotation.md: wait for this to reach zero, or for the ids you accept to re-install).
 */
export async function listVendorKeys(ctx: AdminContext, at: KeyringLocation) {
  const ring = await loadVendorKeyring(at.dataDir, at.privateKeysText);
  const since = ring.active.createdAt;
  const behind = since
    ? ctx.db
        .selectFrom('bindings as b')
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('sync_log as g')
                .select('g.id')
                .whereRef('g.license_server_id', '=', 'b.license_server_id')
                .where('g.outcome', '=', 'ok')
                .where('g.at', '>=', new Date(since)),
            ),
          ),
        )
    : undefined;
  const [count, first] = behind
    ? await Promise.all([
        behind.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
        behind.select('b.license_server_id').orderBy('b.license_server_id').limit(100).execute(),
      ])
    : [{ n: 0 }, []];
  return {
    keys: presentKeyring(ring),
    /** Bound ids with no answered sync since the active key was made (the first 100 named). */
    notSyncedSinceRotation: {
      count: Number(count.n),
      licenseServerIds: first.map((r) => r.license_server_id),
    },
  };
}

function writable(at: KeyringLocation): void {
  if (at.privateKeysText) throw new LeaseholdError('VENDOR_KEYS_FROM_ENVIRONMENT');
}

// Any fixed number, apart from the migrations' lock.
const KEYRING_LOCK = 7_361_121;

/**
 * Two rotations at once (two nodes, or the CLI beside a node) must not both read the same keyring
 * and each write their own: one waits for the other. The audit row is written first, so a keyring
 * that could not be saved leaves no record of a change that did not happen.
 */
function underKeyringLock<T>(
  db: Kysely<CentralDatabase>,
  change: (trx: Transaction<CentralDatabase>) => Promise<T>,
) {
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${KEYRING_LOCK})`.execute(trx);
    return change(trx);
  });
}

/**
 * S8: a new active signing key. The old one keeps announcing it (in every response, signed by the
 * old key) so that local servers that only know the old key learn the new one at their next sync.
 */
export async function rotateVendorKey(ctx: AdminContext, at: KeyringLocation) {
  writable(at);
  const now = ctx.clock.now();
  return underKeyringLock(ctx.db, async (trx) => {
    const before = await loadVendorKeyring(at.dataDir);
    const after = await rotateKeyring(before, now);
    await recordAudit(trx, {
      at: now,
      actor: ctx.actor,
      action: 'vendor-key.rotated',
      details: { activeKeyId: after.active.kid, previousKeyId: before.active.kid },
    });
    saveVendorKeyring(at.dataDir, after);
    return { activeKeyId: after.active.kid, previousKeyId: before.active.kid, keys: presentKeyring(after) };
  });
}

/** Stops announcing and using a previous key; servers that never learned the active key must be re-installed. */
export async function retireVendorKey(ctx: AdminContext, at: KeyringLocation, kid: string) {
  writable(at);
  const now = ctx.clock.now();
  return underKeyringLock(ctx.db, async (trx) => {
    const after = retireKey(await loadVendorKeyring(at.dataDir), kid, now);
    await recordAudit(trx, {
      at: now,
      actor: ctx.actor,
      action: 'vendor-key.retired',
      details: { keyId: kid },
    });
    saveVendorKeyring(at.dataDir, after);
    return { retiredKeyId: kid, keys: presentKeyring(after) };
  });
}
