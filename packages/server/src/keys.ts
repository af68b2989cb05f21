import type { KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import {
  LeaseholdError,
  type PartyKeys,
  parsePartyKeys,
  parseVendorPublicKeys,
  publicJwkOf,
  type VendorPublicKeys,
  writeSecretFile,
} from '@leasehold/protocol';
import { serverPaths } from './config.ts';

export async function loadServerKeys(dataDir: string): Promise<PartyKeys> {
  const path = serverPaths(dataDir).privateKeys;
  if (!existsSync(path)) throw new LeaseholdError('NOT_INITIALIZED', `no server key file at ${path}`);
  return parsePartyKeys(readFileSync(path, 'utf8'));
}

/** The vendor keys this server trusts, and the file they came from (where learned keys are added). */
export interface TrustedVendorKeys extends VendorPublicKeys {
  file?: string;
}

/** The vendor keys this server was installed with, plus those announced to it since (S8). */
export async function loadVendorPublicKeys(dataDir: string): Promise<TrustedVendorKeys> {
  const path = serverPaths(dataDir).vendorPublicKeys;
  if (!existsSync(path)) throw new LeaseholdError('NOT_INITIALIZED', `no vendor public key file at ${path}`);
  return { ...(await parseVendorPublicKeys(readFileSync(path, 'utf8'))), file: path };
}

/**
 * Keeps a vendor signing key that a trusted key announced (S8), so the server trusts it from now on,
 * also after the key that announced it is retired. The file is rewritten whole (atomically, 0600),
 * keeping every entry it had: the key is added, never swapped for another.
 */
export function trustAnnouncedVendorKey(vendor: TrustedVendorKeys, kid: string, publicKey: KeyObject): void {
  if (vendor.file) {
    const doc = JSON.parse(readFileSync(vendor.file, 'utf8')) as { keys: Array<{ kid: string }> };
    if (!doc.keys.some((k) => k.kid === kid)) {
      doc.keys.push({ use: 'sig', kid, jwk: publicJwkOf(publicKey) } as { kid: string });
      writeSecretFile(vendor.file, `${JSON.stringify(doc, null, 2)}\n`);
    }
  }
  vendor.signing.set(kid, publicKey);
}

/**
 * Stops trusting vendor signing keys the vendor retired (S8), as a response signed by a trusted key
 * says. The key that signed that response is never dropped, so the server cannot lose its last
 * trusted key; a key this server never had is ignored.
 */
export function distrustRetiredVendorKeys(
  vendor: TrustedVendorKeys,
  retired: readonly string[],
  signerKid: string,
): string[] {
  const dropped = retired.filter((kid) => kid !== signerKid && vendor.signing.has(kid));
  if (dropped.length === 0) return [];
  if (vendor.file) {
    const doc = JSON.parse(readFileSync(vendor.file, 'utf8')) as {
      keys: Array<{ use: string; kid: string }>;
    };
    doc.keys = doc.keys.filter((k) => k.use !== 'sig' || !dropped.includes(k.kid));
    writeSecretFile(vendor.file, `${JSON.stringify(doc, null, 2)}\n`);
  }
  for (const kid of dropped) vendor.signing.delete(kid);
  return dropped;
}
