import { existsSync, readFileSync } from 'node:fs';
import {
  LeaseholdError,
  type PartyKeys,
  parsePartyKeys,
  parseVendorPublicKeys,
  type VendorPublicKeys,
} from '@leasehold/protocol';
import { serverPaths } from './config.ts';

export async function loadServerKeys(dataDir: string): Promise<PartyKeys> {
  const path = serverPaths(dataDir).privateKeys;
  if (!existsSync(path)) throw new LeaseholdError('NOT_INITIALIZED', `no server key file at ${path}`);
  return parsePartyKeys(readFileSync(path, 'utf8'));
}

/** The vendor keys this server was installed with; the only keys it trusts (S8). */
export async function loadVendorPublicKeys(dataDir: string): Promise<VendorPublicKeys> {
  const path = serverPaths(dataDir).vendorPublicKeys;
  if (!existsSync(path)) throw new LeaseholdError('NOT_INITIALIZED', `no vendor public key file at ${path}`);
  return parseVendorPublicKeys(readFileSync(path, 'utf8'));
}
