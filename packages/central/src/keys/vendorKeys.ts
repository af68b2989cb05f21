import { existsSync, readFileSync } from 'node:fs';
import { LeaseholdError, type PartyKeys, parsePartyKeys } from '@leasehold/protocol';
import { centralPaths } from '../config.ts';

/**
 * The vendor's private keys: given as text (LEASEHOLD_VENDOR_PRIVATE_KEYS, read by the CLI, for
 * secret stores) or read from the 0600 key file in the data folder.
 */
export async function loadVendorKeys(dataDir: string, privateKeysText?: string): Promise<PartyKeys> {
  if (privateKeysText) return parsePartyKeys(privateKeysText);
  const path = centralPaths(dataDir).privateKeys;
  if (!existsSync(path)) throw new LeaseholdError('NOT_INITIALIZED', `no vendor key file at ${path}`);
  return parsePartyKeys(readFileSync(path, 'utf8'));
}
