import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ComponentUsage, CurrentUser } from '../api/types.ts';
import { isConsistent, readOverview } from './snapshot.ts';

const LICENSE = 'AAAAA-AAAAA-AAAAA-AAAAA-AAAAA-0000001';
const row = (component: string, inUse: number): ComponentUsage => ({
  licenseNumber: LICENSE,
  component,
  inUse,
  maxUsers: 10,
  free: 10 - inUse,
  expiryDate: '2030-12-31',
  active: true,
});
const user = (name: string, components: string[], computer = `ws-${name}`): CurrentUser => ({
  user: name,
  computer,
  components: ['Base', ...components],
  kind: 'floating',
  licenseNumber: LICENSE,
  leaseId: `lease-${name}-${computer}-${components.join('')}`,
  since: '2027-01-01T00:00:00Z',
  until: '2027-01-01T00:05:00Z',
});

describe('the overview snapshot', () => {
  it('agrees when each component counts the users holding it', () => {
    const users = [user('ann', ['Analysis']), user('bob', [])];
    expect(isConsistent({ components: [row('Base', 2), row('Analysis', 1)], users })).toBe(true);
    expect(isConsistent({ components: [row('Base', 3), row('Analysis', 1)], users })).toBe(false);
    expect(isConsistent({ components: [row('Base', 2), row('Analysis', 0)], users })).toBe(false);
  });

  it('allows one seat for several instances of one user on one computer (L5)', () => {
    const users = [user('ann', [], 'ws-1'), user('ann', ['Analysis'], 'ws-1')];
    expect(isConsistent({ components: [row('Base', 1), row('Analysis', 1)], users })).toBe(true);
    expect(isConsistent({ components: [row('Base', 2), row('Analysis', 1)], users })).toBe(true);
    expect(isConsistent({ components: [row('Base', 0), row('Analysis', 1)], users })).toBe(false);
  });

  it('reads again until the two tables agree, and stops after a few reads', async () => {
    const answers = fc.sample(fc.integer({ min: 0, max: 3 }), 3).map((n) => ({
      components: [row('Base', n + 1)],
      users: [user('ann', [])],
    }));
    const consistent = { components: [row('Base', 1)], users: [user('ann', [])] };
    const reads = [...answers.filter((a) => !isConsistent(a)), consistent];
    let count = 0;
    const read = async () => reads[Math.min(count++, reads.length - 1)] ?? consistent;
    expect(await readOverview(read)).toEqual(consistent);
    expect(count).toBe(reads.length);

    let endless = 0;
    const never = async () => {
      endless++;
      return { components: [row('Base', 5)], users: [] };
    };
    expect(isConsistent(await readOverview(never))).toBe(false);
    expect(endless).toBeLessThanOrEqual(10);
  });
});
