import { LeaseholdError } from '@leasehold/protocol';
import { recordAudit } from '../audit.ts';
import { presentKeyring, retireKey, rotateKeyring } from '../keys/keyring.ts';
import { loadVendorKeyring, saveVendorKeyring } from '../keys/vendorKeys.ts';
import type { AdminContext } from './context.ts';

/** Where the vendor keyring is: the data folder's key file, or the environment's text (read only). */
export interface KeyringLocation {
  dataDir: string;
  privateKeysText?: string;
}

export async function listVendorKeys(_ctx: AdminContext, at: KeyringLocation) {
  return presentKeyring(await loadVendorKeyring(at.dataDir, at.privateKeysText));
}

function writable(at: KeyringLocation): void {
  if (at.privateKeysText) throw new LeaseholdError('VENDOR_KEYS_FROM_ENVIRONMENT');
}

/**
 * S8: a new active signing key. The old one keeps announcing it (in every response, signed by the
 * old key) so that local servers that only know the old key learn the new one at their next sync.
 */
export async function rotateVendorKey(ctx: AdminContext, at: KeyringLocation) {
  writable(at);
  const now = ctx.clock.now();
  const before = await loadVendorKeyring(at.dataDir);
  const after = await rotateKeyring(before, now);
  saveVendorKeyring(at.dataDir, after);
  await recordAudit(ctx.db, {
    at: now,
    actor: ctx.actor,
    action: 'vendor-key.rotated',
    details: { activeKeyId: after.active.kid, previousKeyId: before.active.kid },
  });
  return { activeKeyId: after.active.kid, previousKeyId: before.active.kid, keys: presentKeyring(after) };
}

/** Stops announcing and using a previous key; servers that never learned the active key must be re-installed. */
export async function retireVendorKey(ctx: AdminContext, at: KeyringLocation, kid: string) {
  writable(at);
  const now = ctx.clock.now();
  const after = retireKey(await loadVendorKeyring(at.dataDir), kid, now);
  saveVendorKeyring(at.dataDir, after);
  await recordAudit(ctx.db, {
    at: now,
    actor: ctx.actor,
    action: 'vendor-key.retired',
    details: { keyId: kid },
  });
  return { retiredKeyId: kid, keys: presentKeyring(after) };
}
