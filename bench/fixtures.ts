import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  certifyAllocation,
  type Ed25519PublicJwk,
  generatePartyKeys,
  type License,
  type PartyKeys,
  publicJwkOf,
  serializeVendorPublicKeys,
  systemClock,
  type VendorPublicKeys,
} from '@leasehold/protocol';
import {
  certificateVerifier,
  initServer,
  LeaseStore,
  loadServerConfig,
  ServerStore,
  saveServerConfig,
  serverPaths,
} from '@leasehold/server';
// Not exported by the package: the bench opens the database and reads keys the way the server does.
import { loadServerKeys } from '../packages/server/src/keys.ts';
import { openServerDatabase } from '../packages/server/src/store/open.ts';

/** Every bench folder lives under one temporary root, removed at the end of the run. */
export const benchRoot = mkdtempSync(join(tmpdir(), 'leasehold-bench-'));

export function removeBenchRoot(): void {
  rmSync(benchRoot, { recursive: true, force: true });
}

let folders = 0;
export function benchFolder(name: string): string {
  folders += 1;
  return join(benchRoot, `${String(folders).padStart(2, '0')}-${name}`);
}

export const LICENSE_SERVER_ID = 'LS-BNCH-0000-0001';
export const BENCH_LICENSE = 'BENCH-00000-00000-00000-00000-0000001';

/** One license with room for every lease the benchmarks take (10 million is the schema's maximum). */
export function benchLicense(number = BENCH_LICENSE): License {
  return {
    number,
    startDate: '2020-01-01',
    expiryDate: '2099-12-31',
    maxCheckoutHours: 0,
    components: [
      { name: 'Base', seats: 10_000_000 },
      { name: 'Render', seats: 10_000_000 },
    ],
  };
}

/** The id of the i-th bulk-inserted lease: the renew benchmark builds paths from it without a lookup. */
export function leaseId(i: number): string {
  return `bench-lease-${String(i).padStart(9, '0')}`;
}

export interface LocalFolderOptions {
  vendorKeys?: PartyKeys;
  centralUrl?: string;
  centralPorts?: number[];
  licenseServerId?: string;
  /** Synchronized with these licenses (as a verified response would be applied); unsynchronized when absent. */
  licenses?: License[];
  leaseSeconds?: number;
}

/** A real local server data folder (`initServer`: keys, config, migrated SQLite), optionally synchronized. */
export async function createLocalFolder(dataDir: string, options: LocalFolderOptions = {}) {
  const vendorKeys = options.vendorKeys ?? (await generatePartyKeys());
  const vendorFile = `${dataDir}-vendor-public-keys.json`;
  writeFileSync(vendorFile, await serializeVendorPublicKeys(vendorKeys));
  await initServer({
    dataDir,
    licenseServerId: options.licenseServerId ?? LICENSE_SERVER_ID,
    centralUrl: options.centralUrl ?? 'http://central.invalid',
    vendorKeysFile: vendorFile,
    ...(options.centralPorts ? { centralPorts: options.centralPorts } : {}),
    host: '127.0.0.1',
    clientPort: 0,
    // The benchmarks measure the license logic on loopback; TLS costs are the same for every server.
    plainHttp: true,
    plainHttpCentral: true,
  });
  if (options.leaseSeconds !== undefined) {
    saveServerConfig(dataDir, { ...loadServerConfig(dataDir), leaseSeconds: options.leaseSeconds });
  }
  if (options.licenses)
    await applyLicenses(dataDir, options.licenses, options.licenseServerId ?? LICENSE_SERVER_ID, vendorKeys);
  return { dataDir, vendorKeys };
}

async function applyLicenses(
  dataDir: string,
  licenses: License[],
  licenseServerId: string,
  vendorKeys: PartyKeys,
): Promise<void> {
  const serverKeys = await loadServerKeys(dataDir);
  const db = openServerDatabase(serverPaths(dataDir).database);
  try {
    const now = systemClock.now();
    const verify = certificateVerifier(licenseServerId, serverKeys, {
      signing: new Map([[vendorKeys.signing.kid, vendorKeys.signing.publicKey]]),
    } as VendorPublicKeys);
    const store = new ServerStore(db, verify);
    const compact = certifyAllocation(
      { licenseServerId, version: 1, issuedAt: now.toISOString(), licenses },
      publicJwkOf(serverKeys.signing.publicKey) as Ed25519PublicJwk,
      vendorKeys.signing,
    );
    store.recordPendingRequest('bench-request-000001', now, 'online');
    store.applyAllocation({
      certificate: { ...verify(compact), compact },
      requestId: 'bench-request-000001',
      method: 'online',
      receivedAt: now,
      clockHighWater: now,
    });
  } finally {
    db.close();
  }
}

/**
 * Inserts `count` active floating leases (one seat each, component Base) through the product's
 * LeaseStore in one transaction. Returns the time taken and the database size.
 */
export function insertLeases(
  dataDir: string,
  count: number,
  options: { start?: number; licenseNumber?: string; validForMs?: number } = {},
): { ms: number; dbBytes: number } {
  const path = serverPaths(dataDir).database;
  const db = openServerDatabase(path);
  const started = performance.now();
  try {
    const leases = new LeaseStore(db);
    const now = systemClock.now().getTime();
    const expiresAt = now + (options.validForMs ?? 3 * 3_600_000);
    const licenseNumber = options.licenseNumber ?? BENCH_LICENSE;
    const components = JSON.stringify(['Base']);
    const start = options.start ?? 0;
    db.transaction(() => {
      for (let i = start; i < start + count; i++) {
        const id = leaseId(i);
        const seat = `seat-${id}`;
        const user = `user${i}`;
        const computer = `pc${i}`;
        leases.insertSeat({
          id: seat,
          licenseNumber,
          user,
          computer,
          shareKey: null,
          components: ['Base'],
          at: now,
        });
        leases.insertLease({
          id,
          seat_id: seat,
          kind: 'floating',
          license_number: licenseNumber,
          components,
          user_name: user,
          computer,
          domain: null,
          instance: null,
          granted_at: now,
          renewed_at: now,
          expires_at: expiresAt,
        });
      }
    }).immediate();
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
  const ms = performance.now() - started;
  return { ms, dbBytes: statSync(path).size };
}
