import { existsSync, readFileSync } from 'node:fs';
import {
  generatePartyKeys,
  LeaseholdError,
  parseVendorPublicKeys,
  serializePartyKeys,
  writeFileAtomic,
  writeSecretFile,
} from '@leasehold/protocol';
import { type ServerConfig, saveServerConfig, serverConfigSchema, serverPaths } from './config.ts';
import { openServerDatabase } from './store/open.ts';

export interface ServerInitOptions {
  dataDir: string;
  licenseServerId: string;
  centralUrl: string;
  vendorKeysFile: string;
  activationCode?: string;
  centralPorts?: number[];
  clientPort?: number;
  host?: string;
  tls?: { certFile: string; keyFile: string };
  centralCaFile?: string;
}

/**
 * `leasehold server init`: validates the settings and the vendor public key file, creates this
 * server's own key pairs (0600, never sent anywhere but their public halves), and the database.
 */
export async function initServer(options: ServerInitOptions) {
  const paths = serverPaths(options.dataDir);
  if (existsSync(paths.config)) throw new LeaseholdError('ALREADY_INITIALIZED', paths.config);
  const parsed = serverConfigSchema.safeParse({
    formatVersion: 1,
    licenseServerId: options.licenseServerId,
    centralUrl: options.centralUrl,
    centralPorts: options.centralPorts,
    activationCode: options.activationCode,
    clientPort: options.clientPort,
    host: options.host,
    tls: options.tls,
    centralCaFile: options.centralCaFile,
  });
  if (!parsed.success) {
    throw new LeaseholdError(
      'INVALID_INPUT',
      parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
    );
  }
  if (!existsSync(options.vendorKeysFile)) {
    throw new LeaseholdError('INVALID_INPUT', `no vendor public key file at ${options.vendorKeysFile}`);
  }
  const vendorKeysText = readFileSync(options.vendorKeysFile, 'utf8');
  const vendor = await parseVendorPublicKeys(vendorKeysText);
  const config: ServerConfig = parsed.data;
  const keys = await generatePartyKeys();

  writeSecretFile(paths.privateKeys, serializePartyKeys(keys));
  writeFileAtomic(paths.vendorPublicKeys, vendorKeysText);
  openServerDatabase(paths.database).close();
  // Written last: the config's presence marks the folder as initialized.
  saveServerConfig(options.dataDir, config);
  return {
    dataDir: options.dataDir,
    licenseServerId: config.licenseServerId,
    serverKeyId: keys.signing.kid,
    vendorSigningKeyIds: [...vendor.signing.keys()],
  };
}
