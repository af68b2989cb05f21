import { existsSync, readFileSync } from 'node:fs';
import { LeaseholdError, type PartyKeys, parsePartyKeys } from '@leasehold/protocol';
import { centralPaths } from '../config.ts';

/** The vendor's private keys: from LEASEHOLD_VENDOR_PRIVATE_KEYS (the file's JSON) or the 0600 key file. */
export async function loadVendorKeys(
  dataDir: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<PartyKeys> {
  const fromEnv = env.LEASEHOLD_VENDOR_PRIVATE_KEYS;
  if (fromEnv) return parsePartyKeys(fromEnv);
  const path = centralPaths(dataDir).privateKeys;
  if (!existsSync(path)) throw new LeaseholdError('NOT_INITIALIZED', `no vendor key file at ${path}`);
  return parsePartyKeys(readFileSync(path, 'utf8'));
}
