import type { LeaseholdError, License } from '@leasehold/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { license, syncedEngine } from '../test-support/syncedServer.ts';

const NUMBERS = ['AAAAA-AAAAA-AAAAA-AAAAA-AAAAA-0000001', 'BBBBB-BBBBB-BBBBB-BBBBB-BBBBB-0000002'];
const MODULES = ['Render', 'Solver'];

const allocationArb: fc.Arbitrary<License[]> = fc
  .array(
    fc.record({
      base: fc.integer({ min: 1, max: 4 }),
      render: fc.integer({ min: 0, max: 5 }),
      solver: fc.integer({ min: 0, max: 5 }),
    }),
    { minLength: 0, maxLength: 2 },
  )
  .map((specs) =>
    specs.map((s, i) =>
      license({
        number: NUMBERS[i] as string,
        maxCheckoutHours: 0,
        components: [
          { name: 'Base', seats: s.base },
          ...(s.render ? [{ name: 'Render', seats: s.render }] : []),
          ...(s.solver ? [{ name: 'Solver', seats: s.solver }] : []),
        ],
      }),
    ),
  );

type Op =
  | { op: 'activate'; client: number; modules: string[]; named: number | null }
  | { op: 'renew'; pick: number }
  | { op: 'release'; pick: number }
  | { op: 'advance'; seconds: number }
  | { op: 'sync'; licenses: License[] }
  | { op: 'restart' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant('activate' as const),
      client: fc.integer({ min: 0, max: 7 }),
      modules: fc.subarray(MODULES),
      named: fc.option(fc.integer({ min: 0, max: 1 })),
    }),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('renew' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('release' as const), pick: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('advance' as const), seconds: fc.integer({ min: 1, max: 400 }) }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('sync' as const), licenses: allocationArb }) },
  { weight: 1, arbitrary: fc.constant({ op: 'restart' as const }) },
);

describe('the lease engine under random sequences (property)', () => {
  it('never grants past a cap, Base caps every module, and every granted lease is accounted for', () => {
    fc.assert(
      fc.property(allocationArb, fc.array(opArb, { minLength: 1, maxLength: 60 }), (initial, ops) => {
        let world = syncedEngine(
          initial.length ? initial : [license({ components: [{ name: 'Base', seats: 1 }] })],
          { leaseSeconds: 300 },
        );
        const path = world.path;
        let current = initial.length ? initial : [license({ components: [{ name: 'Base', seats: 1 }] })];
        const held = new Map<string, number>(); // lease id -> expiresAt (ms), the model
        const now = () => world.clock.now().getTime();
        const pick = (n: number) => [...held.keys()][n % Math.max(1, held.size)];
        const capOf = (l: License, name: string) =>
          Math.min(
            l.components.find((c) => c.name === name)?.seats ?? 0,
            l.components.find((c) => c.name === 'Base')?.seats ?? 0,
          );

        for (const step of ops) {
          if (step.op === 'activate') {
            try {
              const lease = world.engine.activate({
                components: step.modules.length ? step.modules : ['Base'],
                user: `user-${step.client}`,
                computer: `pc-${step.client}`,
                ...(step.named === null ? {} : { licenseNumber: NUMBERS[step.named] }),
              });
              held.set(lease.id, Date.parse(lease.expiresAt));
              // A grant never takes any component of its license past the cap.
              const granted = current.find((l) => l.number === lease.licenseNumber) as License;
              for (const c of granted.components) {
                expect(world.leaseStore.usage(granted.number, c.name)).toBeLessThanOrEqual(
                  capOf(granted, c.name),
                );
              }
            } catch (error) {
              expect(['NO_SEATS_AVAILABLE', 'COMPONENTS_NOT_LICENSED', 'LICENSE_UNKNOWN']).toContain(
                (error as LeaseholdError).code,
              );
            }
          } else if (step.op === 'renew' && held.size > 0) {
            const id = pick(step.pick) as string;
            try {
              held.set(id, Date.parse(world.engine.renew(id).expiresAt));
            } catch (error) {
              expect(['LEASE_SEATS_WITHDRAWN', 'LEASE_EXPIRED', 'LEASE_NOT_FOUND']).toContain(
                (error as LeaseholdError).code,
              );
              held.delete(id);
            }
          } else if (step.op === 'release' && held.size > 0) {
            const id = pick(step.pick) as string;
            world.engine.release(id, { kind: 'floating', by: 'client' });
            held.delete(id);
          } else if (step.op === 'advance') {
            world.clock.advance(step.seconds * 1000);
            world.engine.expire();
            for (const [id, until] of held) if (until <= now()) held.delete(id);
          } else if (step.op === 'sync') {
            world.sync(step.licenses);
            current = step.licenses;
          } else if (step.op === 'restart') {
            const at = world.clock.now();
            world.close();
            world = syncedEngine([], { path, leaseSeconds: 300 });
            world.clock.set(at);
          }
          // Every lease the model says is held is held, once, and nothing else is.
          const listed = world.engine.list().map((l) => l.id);
          expect(new Set(listed).size).toBe(listed.length);
          expect(new Set(listed)).toEqual(new Set(held.keys()));
          // Base caps every module: no seat holds a module without Base. And the trigger-kept
          // counts are the true counts of seat rows.
          const count = world.leaseStore.db.prepare(
            'select count(*) as n from seat_components where license_number = ? and component = ?',
          );
          for (const number of NUMBERS) {
            for (const component of ['Base', ...MODULES]) {
              expect(world.leaseStore.usage(number, component)).toBe(
                (count.get(number, component) as { n: number }).n,
              );
            }
            for (const module of MODULES) {
              expect(world.leaseStore.usage(number, module)).toBeLessThanOrEqual(
                world.leaseStore.usage(number, 'Base'),
              );
            }
          }
        }
        world.close();
      }),
      { numRuns: 60 },
    );
  });
});
