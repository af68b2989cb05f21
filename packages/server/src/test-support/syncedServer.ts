import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Allocation, type License, ManualClock } from '@leasehold/protocol';
import { ClockGuard } from '../clock/guard.ts';
import { LeaseEngine } from '../leases/engine.ts';
import { LeaseStore } from '../leases/leaseStore.ts';
import { openServerDatabase } from '../store/open.ts';
import { certifiedStore } from './certificates.ts';

export function license(overrides: Partial<License> & { components: License['components'] }): License {
  return {
    number: 'AAAAA-AAAAA-AAAAA-AAAAA-AAAAA-0000001',
    startDate: '2026-01-01',
    expiryDate: '2030-12-31',
    maxCheckoutHours: 0,
    ...overrides,
  };
}

/**
 * A local server's stores on a real SQLite file, synchronized with the given licenses as if a
 * verified response had been applied (the sync itself is tested elsewhere).
 */
export function syncedEngine(
  licenses: License[],
  options: { leaseSeconds?: number; share?: boolean; path?: string } = {},
) {
  const path = options.path ?? join(mkdtempSync(join(tmpdir(), 'leasehold-engine-')), 'server.db');
  const db = openServerDatabase(path);
  const { store, apply } = certifiedStore(db);
  const clock = new ManualClock('2027-03-01T09:00:00Z');
  const guard = new ClockGuard(clock, store, 900_000);
  let version = store.currentAllocation()?.allocation.version ?? 0;
  const sync = (next: License[]) => {
    version += 1;
    const requestId = `request-${version}-${Math.random().toString(36).slice(2)}`;
    store.recordPendingRequest(requestId, clock.now(), 'online');
    const allocation: Allocation = {
      licenseServerId: 'LS-AAAA-BBBB-CCCC',
      version,
      issuedAt: clock.now().toISOString(),
      licenses: next,
    };
    apply(allocation, { requestId, method: 'online', receivedAt: clock.now() });
  };
  if (licenses.length > 0 || version === 0) sync(licenses);
  const leaseStore = new LeaseStore(db);
  const engine = new LeaseEngine({
    store,
    leases: leaseStore,
    guard,
    leaseSeconds: options.leaseSeconds ?? 300,
    shareSeatPerUserComputer: options.share ?? false,
  });
  return { engine, store, leaseStore, clock, sync, path, close: () => db.close() };
}
