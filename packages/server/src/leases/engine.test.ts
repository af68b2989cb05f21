import { DAY_MS, HOUR_MS, type LeaseholdError } from '@leasehold/protocol';
import { describe, expect, it } from 'vitest';
import { license, syncedEngine } from '../test-support/syncedServer.ts';

const ann = { user: 'ann', computer: 'ws-1' };
const bob = { user: 'bob', computer: 'ws-2' };
const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    return (error as LeaseholdError).code;
  }
  return 'GRANTED';
};

const CAD = license({
  number: 'CADCA-DCADC-ADCAD-CADCA-DCADC-0000001',
  components: [
    { name: 'Base', seats: 2 },
    { name: 'Render', seats: 5 },
  ],
});
const SIM = license({
  number: 'SIMSI-MSIMS-IMSIM-SIMSI-MSIMS-0000002',
  components: [
    { name: 'Base', seats: 1 },
    { name: 'Solver', seats: 1 },
  ],
});

describe('LeaseEngine', () => {
  it('grants Base with every activation and counts it', () => {
    const { engine, leaseStore } = syncedEngine([CAD]);
    const lease = engine.activate({ components: ['Render'], ...ann });
    expect(lease).toMatchObject({
      kind: 'floating',
      licenseNumber: CAD.number,
      components: ['Base', 'Render'],
      leaseSeconds: 300,
      renewAfterSeconds: 100,
    });
    expect(leaseStore.usage(CAD.number, 'Base')).toBe(1);
    expect(leaseStore.usage(CAD.number, 'Render')).toBe(1);
  });

  it('caps a module by Base: five Render seats serve only two users at once', () => {
    const { engine } = syncedEngine([CAD]);
    engine.activate({ components: ['Render'], ...ann });
    engine.activate({ components: ['Render'], ...bob });
    expect(codeOf(() => engine.activate({ components: ['Render'], user: 'cy', computer: 'ws-3' }))).toBe(
      'NO_SEATS_AVAILABLE',
    );
  });

  it('takes the first license that can serve every component, or the one named', () => {
    const { engine } = syncedEngine([CAD, SIM]);
    expect(engine.activate({ components: ['Solver'], ...ann }).licenseNumber).toBe(SIM.number);
    expect(engine.activate({ components: ['Base'], ...bob }).licenseNumber).toBe(CAD.number);
    expect(codeOf(() => engine.activate({ components: ['Base'], licenseNumber: SIM.number, ...bob }))).toBe(
      'NO_SEATS_AVAILABLE',
    );
    expect(
      codeOf(() =>
        engine.activate({
          components: ['Base'],
          licenseNumber: 'ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZZZ',
          ...bob,
        }),
      ),
    ).toBe('LICENSE_UNKNOWN');
  });

  it('names what is missing when no single license covers the components', () => {
    const { engine } = syncedEngine([CAD, SIM]);
    try {
      engine.activate({ components: ['Render', 'Solver'], ...ann });
      expect.unreachable();
    } catch (error) {
      expect((error as LeaseholdError).code).toBe('COMPONENTS_NOT_LICENSED');
      expect((error as LeaseholdError).message).toMatch(/missing: (Render|Solver)/);
    }
  });

  it('refuses a license outside its dates with LICENSE_NOT_ACTIVE', () => {
    const old = license({ expiryDate: '2027-02-28', components: [{ name: 'Base', seats: 9 }] });
    const { engine } = syncedEngine([old]);
    expect(codeOf(() => engine.activate({ components: ['Base'], ...ann }))).toBe('LICENSE_NOT_ACTIVE');
  });

  it('renews a lease, and refuses to renew one that ran out', () => {
    const { engine, clock } = syncedEngine([CAD]);
    const lease = engine.activate({ components: ['Base'], ...ann });
    clock.advance(200_000);
    const renewed = engine.renew(lease.id);
    expect(Date.parse(renewed.expiresAt)).toBe(clock.now().getTime() + 300_000);
    clock.advance(300_001);
    expect(codeOf(() => engine.renew(lease.id))).toBe('LEASE_EXPIRED');
    expect(codeOf(() => engine.renew(lease.id))).toBe('LEASE_NOT_FOUND');
  });

  it('returns the seats of leases whose renewals stop', () => {
    const { engine, clock, leaseStore } = syncedEngine([SIM]);
    engine.activate({ components: ['Solver'], ...ann });
    expect(codeOf(() => engine.activate({ components: ['Solver'], ...bob }))).toBe('NO_SEATS_AVAILABLE');
    clock.advance(300_000);
    expect(engine.activate({ components: ['Solver'], ...bob }).user).toBe('bob');
    expect(leaseStore.auditEntries({ action: 'lease.expired' })).toHaveLength(1);
  });

  it('releases a seat at once, and says LEASE_NOT_FOUND for an unknown id', () => {
    const { engine } = syncedEngine([SIM]);
    const lease = engine.activate({ components: ['Base'], ...ann });
    expect(engine.release(lease.id, { kind: 'floating', by: 'client' })).toEqual({ released: lease.id });
    expect(engine.activate({ components: ['Base'], ...bob }).user).toBe('bob');
    expect(codeOf(() => engine.release(lease.id, { kind: 'floating', by: 'client' }))).toBe(
      'LEASE_NOT_FOUND',
    );
  });

  it('gives each instance on one computer its own seat by default, and one shared seat when enabled (L5)', () => {
    const separate = syncedEngine([CAD]);
    separate.engine.activate({ components: ['Base'], ...ann, instance: '1' });
    separate.engine.activate({ components: ['Base'], ...ann, instance: '2' });
    expect(separate.leaseStore.usage(CAD.number, 'Base')).toBe(2);

    const shared = syncedEngine([CAD], { share: true });
    const first = shared.engine.activate({ components: ['Render'], ...ann, instance: '1' });
    shared.engine.activate({ components: ['Render'], user: 'ANN', computer: 'WS-1', instance: '2' });
    shared.engine.activate({ components: ['Base'], ...ann, instance: '3' });
    expect(shared.leaseStore.usage(CAD.number, 'Base')).toBe(1);
    shared.engine.release(first.id, { kind: 'floating', by: 'client' });
    expect(shared.leaseStore.usage(CAD.number, 'Base')).toBe(1);
    shared.engine.activate({ components: ['Base'], ...bob });
    expect(codeOf(() => shared.engine.activate({ components: ['Base'], user: 'cy', computer: 'ws-3' }))).toBe(
      'NO_SEATS_AVAILABLE',
    );
  });

  it('does not renew seats of a license removed by a sync, nor beyond a shrunk count (S2)', () => {
    const { engine, sync, leaseStore } = syncedEngine([CAD, SIM]);
    const onSim = engine.activate({ components: ['Solver'], ...ann });
    const a = engine.activate({ components: ['Base'], licenseNumber: CAD.number, ...ann });
    const b = engine.activate({ components: ['Base'], licenseNumber: CAD.number, ...bob });
    sync([
      license({
        ...CAD,
        components: [
          { name: 'Base', seats: 1 },
          { name: 'Render', seats: 5 },
        ],
      }),
    ]);
    expect(codeOf(() => engine.renew(onSim.id))).toBe('LEASE_SEATS_WITHDRAWN');
    expect(codeOf(() => engine.renew(a.id))).toBe('LEASE_SEATS_WITHDRAWN');
    // One holder is left for the one seat: that one renews.
    expect(engine.renew(b.id).id).toBe(b.id);
    expect(leaseStore.usage(CAD.number, 'Base')).toBe(1);
  });

  it('refuses activation and renewal on an unsynchronized server, and records the denial', () => {
    const { engine, clock, leaseStore } = syncedEngine([CAD]);
    const lease = engine.activate({ components: ['Base'], ...ann });
    clock.advance(367 * DAY_MS);
    expect(codeOf(() => engine.activate({ components: ['Base'], ...bob }))).toBe('NOT_SYNCHRONIZED');
    expect(codeOf(() => engine.renew(lease.id))).toBe('NOT_SYNCHRONIZED');
    const denials = leaseStore.auditEntries({ action: 'lease.denied' });
    expect(denials.at(-1)).toMatchObject({ user_name: 'bob', code: 'NOT_SYNCHRONIZED' });
  });

  it('refuses everything with CLOCK_ROLLBACK after the clock is wound back', () => {
    const { engine, clock } = syncedEngine([CAD]);
    engine.activate({ components: ['Base'], ...ann });
    clock.advance(-2 * HOUR_MS);
    expect(codeOf(() => engine.activate({ components: ['Base'], ...bob }))).toBe('CLOCK_ROLLBACK');
  });

  it('checks out up to the maximum hours, naming the maximum when asked for more', () => {
    const borrowable = license({ maxCheckoutHours: 72, components: [{ name: 'Base', seats: 1 }] });
    const { engine } = syncedEngine([borrowable]);
    try {
      engine.checkout({ components: ['Base'], hours: 73, ...ann });
      expect.unreachable();
    } catch (error) {
      expect((error as LeaseholdError).code).toBe('CHECKOUT_TOO_LONG');
      expect((error as LeaseholdError).message).toContain('72 hours');
    }
    const checkout = engine.checkout({ components: ['Base'], hours: 72, ...ann });
    expect(Date.parse(checkout.expiresAt) - Date.parse(checkout.grantedAt)).toBe(72 * HOUR_MS);
    expect(codeOf(() => engine.release(checkout.id, { kind: 'floating', by: 'admin' }))).toBe(
      'CHECKOUT_NOT_RELEASABLE',
    );
    expect(codeOf(() => engine.activate({ components: ['Base'], ...bob }))).toBe('NO_SEATS_AVAILABLE');
    engine.release(checkout.id, { kind: 'checkout', by: 'client' });
    expect(engine.activate({ components: ['Base'], ...bob }).user).toBe('bob');
  });

  it('ends a checkout no later than the sync window: a server due to sync cannot lend a seat past it', () => {
    const borrowable = license({ maxCheckoutHours: 720, components: [{ name: 'Base', seats: 2 }] });
    const { engine, clock, store } = syncedEngine([borrowable]);
    const windowEnd = store.syncWindow()?.notAfter.getTime() ?? 0;
    expect(windowEnd).toBe((store.lastSyncAt() as Date).getTime() + 366 * DAY_MS);
    clock.advance(360 * DAY_MS);
    const checkout = engine.checkout({ components: ['Base'], hours: 720, ...ann });
    expect(Date.parse(checkout.expiresAt)).toBe(windowEnd);
    expect(Date.parse(checkout.expiresAt) - Date.parse(checkout.grantedAt)).toBeLessThan(720 * HOUR_MS);
    // Well inside the window, the hours asked are what it gets.
    const fresh = syncedEngine([borrowable]);
    fresh.clock.advance(10 * DAY_MS);
    const early = fresh.engine.checkout({ components: ['Base'], hours: 720, ...bob });
    expect(Date.parse(early.expiresAt) - Date.parse(early.grantedAt)).toBe(720 * HOUR_MS);
  });

  it('refuses an early return where the vendor ruled it out, keeping the seat until the checkout ends (L3)', () => {
    const strict = license({
      maxCheckoutHours: 24,
      earlyReturn: false,
      components: [{ name: 'Base', seats: 1 }],
    });
    const { engine, clock, leaseStore } = syncedEngine([strict]);
    const checkout = engine.checkout({ components: ['Base'], hours: 2, ...ann });
    expect(codeOf(() => engine.release(checkout.id, { kind: 'checkout', by: 'client' }))).toBe(
      'CHECKOUT_RETURN_NOT_ALLOWED',
    );
    expect(leaseStore.usage(strict.number, 'Base')).toBe(1);
    expect(codeOf(() => engine.checkout({ components: ['Base'], hours: 2, ...bob }))).toBe(
      'NO_SEATS_AVAILABLE',
    );
    clock.advance(2 * HOUR_MS);
    expect(engine.checkout({ components: ['Base'], hours: 2, ...bob }).user).toBe('bob');
  });

  it('refuses checkout of a license whose maximum is 0 with CHECKOUT_NOT_ALLOWED', () => {
    const { engine } = syncedEngine([CAD]);
    expect(codeOf(() => engine.checkout({ components: ['Base'], hours: 1, ...ann }))).toBe(
      'CHECKOUT_NOT_ALLOWED',
    );
  });

  it('keeps granted leases across a restart and grants nothing twice', () => {
    const first = syncedEngine([SIM]);
    const lease = first.engine.activate({ components: ['Solver'], ...ann });
    first.close();
    const again = syncedEngine([], { path: first.path });
    expect(again.engine.list().map((l) => l.id)).toEqual([lease.id]);
    expect(codeOf(() => again.engine.activate({ components: ['Solver'], ...bob }))).toBe(
      'NO_SEATS_AVAILABLE',
    );
  });
});

describe('LeaseEngine.queued (the HTTP routes: one transaction per event-loop turn)', () => {
  const outcomes = (promises: Promise<{ id: string }>[]) =>
    Promise.allSettled(promises).then((all) =>
      all.map((r) => (r.status === 'fulfilled' ? 'GRANTED' : (r.reason as LeaseholdError).code)),
    );

  it('grants no more seats than the license has when a burst arrives at once, and audits each denial', async () => {
    const { engine, leaseStore } = syncedEngine([CAD]);
    const users = ['a', 'b', 'c', 'd', 'e', 'f'];
    const results = await outcomes(
      users.map((user) => engine.queued.activate({ components: ['Render'], user, computer: `pc-${user}` })),
    );
    expect(results.filter((r) => r === 'GRANTED')).toHaveLength(2);
    expect(results.filter((r) => r === 'NO_SEATS_AVAILABLE')).toHaveLength(4);
    expect(leaseStore.usage(CAD.number, 'Base')).toBe(2);
    expect(leaseStore.auditEntries({ action: 'lease.denied' })).toHaveLength(4);
  });

  it('withdraws shrunk seats one holder at a time within a batch, as one by one would (S2)', async () => {
    const three = license({ ...CAD, components: [{ name: 'Base', seats: 3 }] });
    const { engine, sync, leaseStore } = syncedEngine([three]);
    const held = ['a', 'b', 'c'].map((user) =>
      engine.activate({ components: ['Base'], user, computer: user }),
    );
    sync([license({ ...CAD, components: [{ name: 'Base', seats: 1 }] })]);
    const results = await outcomes(held.map((lease) => engine.queued.renew(lease.id)));
    expect(results).toEqual(['LEASE_SEATS_WITHDRAWN', 'LEASE_SEATS_WITHDRAWN', 'GRANTED']);
    expect(leaseStore.usage(CAD.number, 'Base')).toBe(1);
  });

  it('says LEASE_EXPIRED for a lease the batch itself expired, and releases and renews in one batch', async () => {
    const { engine, clock } = syncedEngine([CAD]);
    const late = engine.activate({ components: ['Base'], ...ann });
    clock.advance(200_000);
    const kept = engine.activate({ components: ['Base'], ...bob });
    clock.advance(100_001);
    const [expired, renewed, released] = await Promise.allSettled([
      engine.queued.renew(late.id),
      engine.queued.renew(kept.id),
      engine.queued.release(kept.id, { kind: 'floating', by: 'client' }),
    ]);
    expect(expired.status === 'rejected' && (expired.reason as LeaseholdError).code).toBe('LEASE_EXPIRED');
    expect(renewed.status === 'fulfilled' && Date.parse(renewed.value.expiresAt)).toBe(
      clock.now().getTime() + 300_000,
    );
    expect(released).toEqual({ status: 'fulfilled', value: { released: kept.id } });
    expect(engine.list()).toEqual([]);
  });

  it('refuses on a server that may not issue, recording the denial, and still releases', async () => {
    // No lease outlives the sync window, so the refusal here is a stored allocation that stopped
    // verifying (an edited server.db): the held lease is still released.
    const { engine, store, leaseStore } = syncedEngine([CAD]);
    const lease = engine.activate({ components: ['Base'], ...ann });
    store.db
      .prepare(
        "insert into allocations (version, issued_at, received_at, method, document) values (99, '2099-01-01', '2099-01-01', 'online', '{}')",
      )
      .run();
    const results = await outcomes([
      engine.queued.activate({ components: ['Base'], ...bob }),
      engine.queued.renew(lease.id),
      engine.queued.release(lease.id, { kind: 'floating', by: 'client' }).then(() => ({ id: lease.id })),
    ]);
    expect(results).toEqual(['LOCAL_STATE_INVALID', 'LOCAL_STATE_INVALID', 'GRANTED']);
    expect(leaseStore.usage(CAD.number, 'Base')).toBe(0);
    expect(leaseStore.auditEntries({ action: 'lease.denied' }).at(-1)).toMatchObject({
      user_name: 'bob',
      code: 'LOCAL_STATE_INVALID',
    });
  });

  it('ends a floating lease no later than the sync window, and a renewal too', () => {
    const { engine, clock, store } = syncedEngine([CAD], { leaseSeconds: 3600 });
    const windowEnd = store.syncWindow()?.notAfter.getTime() ?? 0;
    clock.set(windowEnd - 600_000);
    const lease = engine.activate({ components: ['Base'], ...ann });
    expect(Date.parse(lease.expiresAt)).toBe(windowEnd);
    clock.advance(60_000);
    expect(Date.parse(engine.renew(lease.id).expiresAt)).toBe(windowEnd);
  });
});
