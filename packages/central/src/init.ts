import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  generatePartyKeys,
  LeaseholdError,
  randomToken,
  serializePartyKeys,
  serializeVendorPublicKeys,
  writeFileAtomic,
  writeSecretFile,
} from '@leasehold/protocol';
import {
  type CentralConfig,
  centralConfigSchema,
  centralPaths,
  saveCentralConfig,
  storageOf,
} from './config.ts';
import { openCentralStore } from './store/open.ts';

export interface CentralInitOptions {
  dataDir: string;
  databaseUrl?: string;
  host?: string;
  port?: number;
  fallbackPort?: number;
  tls?: { certFile: string; keyFile: string };
  /** Serve without TLS; must be asked for. */
  plainHttp?: boolean;
  vendor?: string;
}

/**
 * `leasehold central init`: the vendor's signing and encryption keys (0600), the admin token (shown
 * once, stored hashed in the config and in a 0600 file for the local CLI), the vendor public key file
 * that every local server is installed with, and a migrated database.
 */
export async function initCentral(options: CentralInitOptions) {
  const paths = centralPaths(options.dataDir);
  if (existsSync(paths.config)) throw new LeaseholdError('ALREADY_INITIALIZED', paths.config);
  const parsed = centralConfigSchema.safeParse({
    formatVersion: 1,
    storage: options.databaseUrl ? { kind: 'postgres', url: options.databaseUrl } : { kind: 'pglite' },
    host: options.host,
    port: options.port,
    fallbackPort: options.fallbackPort,
    tls: options.tls,
    plainHttp: options.plainHttp,
    adminTokenSha256: '0'.repeat(64),
  });
  if (!parsed.success)
    throw new LeaseholdError('INVALID_INPUT', parsed.error.issues.map((i) => i.message).join('; '));

  const keys = await generatePartyKeys();
  const adminToken = randomToken(32);
  const config: CentralConfig = {
    ...parsed.data,
    adminTokenSha256: createHash('sha256').update(adminToken).digest('hex'),
  };
  const store = await openCentralStore(storageOf(options.dataDir, config));
  await store.close();

  writeSecretFile(paths.privateKeys, serializePartyKeys(keys));
  writeSecretFile(paths.adminToken, `${adminToken}\n`);
  const publicKeys = await serializeVendorPublicKeys(keys, options.vendor);
  writeFileAtomic(paths.publicKeys, publicKeys);
  // The config is written last: its presence is what marks the folder as initialized.
  saveCentralConfig(options.dataDir, config);
  return {
    dataDir: options.dataDir,
    storage: config.storage.kind,
    vendorPublicKeysFile: paths.publicKeys,
    vendorSigningKeyId: keys.signing.kid,
    adminTokenFile: paths.adminToken,
  };
}
