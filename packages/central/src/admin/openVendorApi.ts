import { existsSync, readFileSync } from 'node:fs';
import type { Clock } from '@leasehold/protocol';
import { centralPaths, loadCentralConfig, storageOf } from '../config.ts';
import { loadVendorKeys } from '../keys/vendorKeys.ts';
import { openCentralStore } from '../store/open.ts';
import { directVendorApi, httpVendorApi, type VendorApi } from './vendorApi.ts';

function runningServe(dataDir: string): { adminUrl: string } | undefined {
  const path = centralPaths(dataDir).serveLock;
  if (!existsSync(path)) return undefined;
  try {
    const lock = JSON.parse(readFileSync(path, 'utf8')) as { pid: number; adminUrl: string };
    process.kill(lock.pid, 0);
    return lock;
  } catch {
    return undefined; // a lock left by a process that is gone
  }
}

/**
 * The vendor CLI works on the database directly, except while `central serve` holds an embedded
 * (PGlite) database: one process may own that, so the CLI then speaks to the running server's admin API.
 */
export async function openVendorApi(
  dataDir: string,
  clock: Clock,
  vendorPrivateKeys?: string,
): Promise<{ api: VendorApi; close(): Promise<void> }> {
  const config = loadCentralConfig(dataDir);
  const serve = config.storage.kind === 'pglite' ? runningServe(dataDir) : undefined;
  if (serve) {
    const token = readFileSync(centralPaths(dataDir).adminToken, 'utf8').trim();
    const ca = config.tls ? readFileSync(config.tls.certFile, 'utf8') : undefined;
    return { api: httpVendorApi(serve.adminUrl, token, ca ? { ca } : {}), close: async () => {} };
  }
  const store = await openCentralStore(storageOf(dataDir, config));
  const api = directVendorApi(
    { db: store.db, clock, actor: 'cli' },
    () => loadVendorKeys(dataDir, vendorPrivateKeys),
    { dataDir, ...(vendorPrivateKeys ? { privateKeysText: vendorPrivateKeys } : {}) },
  );
  return { api, close: () => store.close() };
}
