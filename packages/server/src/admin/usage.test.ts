import type { Lease } from '@leasehold/protocol';
import { describe, expect, it } from 'vitest';
import { license } from '../test-support/syncedServer.ts';
import { componentUsage, currentUsers } from './usage.ts';

const L1 = license({
  number: 'AAAAA-AAAAA-AAAAA-AAAAA-AAAAA-0000001',
  expiryDate: '2028-06-30',
  components: [
    { name: 'Base', seats: 3 },
    { name: 'Render', seats: 5 },
    { name: 'Analysis', seats: 2 },
  ],
});
const OLD = license({
  number: 'AAAAA-AAAAA-AAAAA-AAAAA-AAAAA-0000002',
  expiryDate: '2027-01-31',
  components: [{ name: 'Base', seats: 4 }],
});

describe('components usage', () => {
  it('caps max users by Base seats and free seats by free Base seats (L1)', () => {
    const used: Record<string, number> = { Base: 2, Render: 1, Analysis: 2 };
    const rows = componentUsage([L1], (_l, c) => used[c] ?? 0, '2027-03-01');
    expect(rows).toEqual([
      {
        licenseNumber: L1.number,
        component: 'Base',
        inUse: 2,
        maxUsers: 3,
        free: 1,
        expiryDate: '2028-06-30',
        active: true,
      },
      {
        licenseNumber: L1.number,
        component: 'Render',
        inUse: 1,
        maxUsers: 3,
        free: 1,
        expiryDate: '2028-06-30',
        active: true,
      },
      {
        licenseNumber: L1.number,
        component: 'Analysis',
        inUse: 2,
        maxUsers: 2,
        free: 0,
        expiryDate: '2028-06-30',
        active: true,
      },
    ]);
  });

  it('shows no free seat on an expired license, and never a negative count after seats shrank', () => {
    const rows = componentUsage([L1, OLD], (_l, c) => (c === 'Base' ? 5 : 0), '2027-03-01');
    expect(rows.find((r) => r.licenseNumber === OLD.number)).toMatchObject({
      inUse: 5,
      maxUsers: 4,
      free: 0,
      active: false,
    });
    expect(rows.filter((r) => r.licenseNumber === L1.number).map((r) => r.free)).toEqual([0, 0, 0]);
  });

  it('is empty without licenses', () => {
    expect(componentUsage([], () => 0, '2027-03-01')).toEqual([]);
  });
});

describe('current users', () => {
  const lease = (over: Partial<Lease>): Lease => ({
    id: 'lease-000000000001',
    kind: 'floating',
    licenseNumber: L1.number,
    components: ['Base'],
    user: 'ann',
    computer: 'ws-1',
    grantedAt: '2027-03-01T09:00:00.000Z',
    expiresAt: '2027-03-01T09:05:00.000Z',
    leaseSeconds: 300,
    renewAfterSeconds: 100,
    ...over,
  });

  it('lists user, computer, components, kind, since and until, sorted by user', () => {
    const users = currentUsers([
      lease({ id: 'lease-000000000002', user: 'bob', kind: 'checkout', components: ['Base', 'Render'] }),
      lease({}),
    ]);
    expect(users).toEqual([
      {
        user: 'ann',
        computer: 'ws-1',
        components: ['Base'],
        kind: 'floating',
        licenseNumber: L1.number,
        leaseId: 'lease-000000000001',
        since: '2027-03-01T09:00:00.000Z',
        until: '2027-03-01T09:05:00.000Z',
      },
      expect.objectContaining({ user: 'bob', kind: 'checkout', components: ['Base', 'Render'] }),
    ]);
  });
});
