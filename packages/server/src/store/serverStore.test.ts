import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Allocation, DAY_MS } from '@leasehold/protocol';
import { describe, expect, it } from 'vitest';
import { certifiedStore } from '../test-support/certificates.ts';
import { license } from '../test-support/syncedServer.ts';
import { openServerDatabase } from './open.ts';

const T0 = new Date('2027-03-01T09:00:00.000Z');
const allocation = (version: number, seats = 5): Allocation => ({
  licenseServerId: 'LS-AAAA-BBBB-CCCC',
  version,
  issuedAt: new Date(T0.getTime() + version * DAY_MS).toISOString(),
  licenses: [license({ components: [{ name: 'Base', seats }] })],
});

function fixture() {
  const db = openServerDatabase(join(mkdtempSync(join(tmpdir(), 'leasehold-store-')), 'server.db'));
  const certified = certifiedStore(db);
  let requests = 0;
  const sync = (a: Allocation) => {
    requests += 1;
    const requestId = `request-${requests}-000000000`;
    certified.store.recordPendingRequest(requestId, T0, 'online');
    certified.apply(a, { requestId, method: 'online', receivedAt: new Date(a.issuedAt) });
  };
  return { ...certified, db, sync };
}

describe('ServerStore: the signed state at rest', () => {
  it('reads the allocation, the sync time and the window from the certificate', () => {
    const { store, sync } = fixture();
    sync(allocation(1));
    const stored = store.currentAllocation();
    expect(stored?.allocation).toEqual(allocation(1));
    expect(store.syncWindow()).toEqual({
      lastSyncAt: new Date(allocation(1).issuedAt),
      notAfter: new Date(Date.parse(allocation(1).issuedAt) + 366 * DAY_MS),
    });
    expect(store.stateError()).toBeUndefined();
  });

  it('keeps serving the verified copy it cached when the row is edited under it, and refuses once a new version does not verify', () => {
    const { store, sync, db } = fixture();
    sync(allocation(1));
    expect(store.currentAllocation()?.allocation.licenses[0]?.components[0]?.seats).toBe(5);
    db.prepare('update allocations set document = replace(document, \'"seats":5\', \'"seats":500\')').run();
    expect(store.currentAllocation()?.allocation.licenses[0]?.components[0]?.seats).toBe(5);
    db.prepare(
      'insert into allocations (version, issued_at, received_at, method, document, certificate) select 2, issued_at, received_at, method, document, certificate from allocations where version = 1',
    ).run();
    expect(store.currentAllocation()).toBeUndefined();
    expect(store.stateError()?.code).toBe('LOCAL_STATE_INVALID');
    expect(store.stateInvalidReason()).toContain('carries a certificate for allocation version 1');
    expect(store.storedVersion()).toBe(2);
    expect(store.verifiedVersion()).toBe(1);
  });

  it('lets a verified response replace rows that do not verify, and records that it did', () => {
    const { store, sync, db } = fixture();
    sync(allocation(1));
    db.prepare(
      "insert into allocations (version, issued_at, received_at, method, document) values (99, '2099-01-01', '2099-01-01', 'online', '{}')",
    ).run();
    expect(store.stateError()?.code).toBe('LOCAL_STATE_INVALID');
    sync(allocation(2, 7));
    expect(store.stateError()).toBeUndefined();
    expect(store.currentAllocation()?.allocation.version).toBe(2);
    expect(db.prepare('select version from allocations order by version').pluck().all()).toEqual([1, 2]);
    const audit = db.prepare("select detail from audit_log where action = 'state.discarded'").pluck().all();
    expect(audit).toEqual(['allocation version(s) 99 did not verify and were replaced by version 2']);
  });

  it('still refuses a response no newer than the newest verified version (S2)', () => {
    const { store, sync } = fixture();
    sync(allocation(2));
    expect(() => sync(allocation(2))).toThrowError(
      expect.objectContaining({ code: 'RESPONSE_STALE' }) as Error,
    );
    expect(store.currentAllocation()?.allocation.version).toBe(2);
  });

  it('never counts a receipt time moved later: the sync counts from the signed time', () => {
    const { store, sync, db } = fixture();
    sync(allocation(1));
    db.prepare("update allocations set received_at = '2099-01-01T00:00:00.000Z'").run();
    const reopened = certifiedStore(db).store;
    expect(reopened.lastSyncAt()).toEqual(new Date(allocation(1).issuedAt));
    expect(store.lastSyncAt()).toEqual(new Date(allocation(1).issuedAt));
  });
});
