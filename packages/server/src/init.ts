import { existsSync, readFileSync } from 'node:fs';
import {
  type Clock,
  generatePartyKeys,
  LeaseholdError,
  parseVendorPublicKeys,
  serializePartyKeys,
  systemClock,
  writeFileAtomic,
  writeSecretFile,
} from '@leasehold/protocol';
import { ADMIN_NAME, AdminStore } from './admin/adminStore.ts';
import { generatePassword, hashPassword } from './admin/password.ts';
import { MIN_NEW_PASSWORD } from './admin/policies.ts';
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
  /** Serve the client port without TLS: only when the administrator says so. */
  plainHttp?: boolean;
  /** Accept an http:// central URL: only when the administrator says so. */
  plainHttpCentral?: boolean;
  centralCaFile?: string;
  /** The License Server Manager's account (M1; docs/admin-api.md); `admin` unless named. */
  adminUser?: string;
  /** Without one a password is generated and returned once, to be printed. */
  adminPassword?: string;
  clock?: Clock;
}

// The same floor as a password change (MIN_NEW_PASSWORD): long enough that rate-limited logins cannot walk it.
const MIN_ADMIN_PASSWORD = MIN_NEW_PASSWORD;

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
    plainHttp: options.plainHttp,
    plainHttpCentral: options.plainHttpCentral,
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
  const adminUser = options.adminUser ?? 'admin';
  if (!ADMIN_NAME.test(adminUser))
    throw new LeaseholdError('INVALID_INPUT', 'the admin user name is 1-64 letters, digits, . _ -');
  if (options.adminPassword !== undefined && options.adminPassword.length < MIN_ADMIN_PASSWORD)
    throw new LeaseholdError(
      'INVALID_INPUT',
      `the admin password needs at least ${MIN_ADMIN_PASSWORD} characters`,
    );
  const vendorKeysText = readFileSync(options.vendorKeysFile, 'utf8');
  const vendor = await parseVendorPublicKeys(vendorKeysText);
  const config: ServerConfig = parsed.data;
  const keys = await generatePartyKeys();

  writeSecretFile(paths.privateKeys, serializePartyKeys(keys));
  writeFileAtomic(paths.vendorPublicKeys, vendorKeysText);
  const generated = options.adminPassword === undefined ? generatePassword() : undefined;
  const db = openServerDatabase(paths.database);
  try {
    const hash = await hashPassword(options.adminPassword ?? (generated as string));
    new AdminStore(db).createUser(adminUser, hash, (options.clock ?? systemClock).now());
  } finally {
    db.close();
  }
  // Written last: the config's presence marks the folder as initialized.
  saveServerConfig(options.dataDir, config);
  return {
    dataDir: options.dataDir,
    licenseServerId: config.licenseServerId,
    serverKeyId: keys.signing.kid,
    vendorSigningKeyIds: [...vendor.signing.keys()],
    // The generated password is in this answer only: it is stored as a scrypt hash.
    admin: { user: adminUser, ...(generated ? { generatedPassword: generated } : {}) },
  };
}
