import { existsSync, readFileSync, statSync } from 'node:fs';
import { LeaseholdError, type PartyKeys, writeFileAtomic, writeSecretFile } from '@leasehold/protocol';
import { centralPaths } from '../config.ts';
import {
  parseVendorKeyring,
  serializeVendorKeyring,
  signingOf,
  type VendorKeyring,
  type VendorSigning,
  vendorPublicKeyFile,
} from './keyring.ts';

/**
 * The vendor's private keys: given as text (LEASEHOLD_VENDOR_PRIVATE_KEYS, read by the CLI, for
 * secret stores) or read from the 0600 key file in the data folder.
 */
export async function loadVendorKeyring(dataDir: string, privateKeysText?: string): Promise<VendorKeyring> {
  if (privateKeysText) return parseVendorKeyring(privateKeysText);
  const path = centralPaths(dataDir).privateKeys;
  if (!existsSync(path)) throw new LeaseholdError('NOT_INITIALIZED', `no vendor key file at ${path}`);
  return parseVendorKeyring(readFileSync(path, 'utf8'));
}

/** The keys answers are made with now: the encryption key and the active signing key. */
export async function loadVendorKeys(dataDir: string, privateKeysText?: string): Promise<PartyKeys> {
  return (await signingOf(await loadVendorKeyring(dataDir, privateKeysText))).vendorKeys;
}

/** Writes a changed keyring (0600, atomically) and the public key file to ship to customers. */
export function saveVendorKeyring(dataDir: string, ring: VendorKeyring): void {
  const paths = centralPaths(dataDir);
  let vendor: string | undefined;
  try {
    vendor = (JSON.parse(readFileSync(paths.publicKeys, 'utf8')) as { vendor?: string }).vendor;
  } catch {
    vendor = undefined;
  }
  writeSecretFile(paths.privateKeys, serializeVendorKeyring(ring));
  writeFileAtomic(paths.publicKeys, vendorPublicKeyFile(ring, vendor));
}

/** Where a serving node takes its signing keys from, per request. */
export interface VendorKeySource {
  current(): Promise<VendorSigning>;
  /** Keys from the environment cannot be rotated by this program (docs/key-rotation.md). */
  readonly fromEnvironment: boolean;
}

export function staticVendorKeySource(
  vendorKeys: PartyKeys,
  announcements: readonly string[] = [],
  retiredKeyIds: readonly string[] = [],
) {
  const signing: VendorSigning = { vendorKeys, announcements, retiredKeyIds };
  return { current: async () => signing, fromEnvironment: true } satisfies VendorKeySource;
}

/**
 * The keyring file, read again when it changes (a stat per request: cheap beside a sync). So a
 * rotation takes effect on every node that sees the file, at once and without a restart.
 */
export function fileVendorKeySource(dataDir: string, initial: VendorSigning): VendorKeySource {
  const path = centralPaths(dataDir).privateKeys;
  const stamp = () => {
    try {
      const s = statSync(path);
      return `${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch {
      return 'missing';
    }
  };
  let seen = stamp();
  let signing = initial;
  return {
    fromEnvironment: false,
    async current() {
      const now = stamp();
      if (now !== seen) {
        seen = now;
        // A file caught mid-edit by hand, or moved away, must not stop every sync: the keys in use
        // stay until the file reads well again (`central keys list` shows what is wrong with it).
        try {
          signing = await signingOf(await loadVendorKeyring(dataDir));
        } catch {
          // keep the keys in use
        }
      }
      return signing;
    },
  };
}

/** The source `central serve` uses: the environment's keys as given, or the file, reloaded. */
export async function openVendorKeySource(
  dataDir: string,
  privateKeysText?: string,
): Promise<VendorKeySource> {
  const signing = await signingOf(await loadVendorKeyring(dataDir, privateKeysText));
  return privateKeysText
    ? staticVendorKeySource(signing.vendorKeys, signing.announcements, signing.retiredKeyIds)
    : fileVendorKeySource(dataDir, signing);
}
