import { type Lease, LeaseholdError } from '@leasehold/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LeaseholdClientError } from './errors.ts';
import { ActiveLease, type LeaseChannel } from './lease.ts';

// The lease's timing against fake timers and a scripted channel (the server's side is tested for
// real in test/scenarios/client_sdk.test.ts). Jitter is fixed at its middle: delays are exact.

const lease = (over: Partial<Lease> = {}): Lease => ({
  id: 'lease-0123456789abcdef',
  kind: 'floating',
  licenseNumber: 'AAAAA-AAAAA-AAAAA-AAAAA-AAAAA-AAAAAAA',
  components: ['Base'],
  user: 'ann',
  computer: 'ws-1',
  grantedAt: '2027-01-01T00:00:00.000Z',
  expiresAt: '2027-01-01T00:05:00.000Z',
  leaseSeconds: 300,
  renewAfterSeconds: 100,
  ...over,
});

type Step = Lease | Error;

function channel(steps: Step[]) {
  const calls: string[] = [];
  const api: LeaseChannel = {
    renew: vi.fn(async (id: string) => {
      calls.push(`renew ${id}`);
      const step = steps.shift() ?? new Error('no more steps');
      if (step instanceof Error) throw step;
      return step;
    }),
    release: vi.fn(async (id: string) => {
      calls.push(`release ${id}`);
      return { released: id };
    }),
  };
  return { api, calls };
}

function start(api: LeaseChannel) {
  const ended: ActiveLease[] = [];
  const active = new ActiveLease(lease(), api, {
    clock: { now: () => new Date() },
    random: () => 0.5,
    sentAtMs: Date.now(),
    onEnd: (l) => ended.push(l),
  });
  const events: string[] = [];
  active.on('renewed', (l) => events.push(`renewed ${l.expiresAt}`));
  active.on('lost', (e) => events.push(`lost ${e.code}`));
  active.on('released', () => events.push('released'));
  return { active, events, ended };
}

const SECOND = 1_000;

describe('ActiveLease', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2027-01-01T00:00:00Z') });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('renews itself every renewAfterSeconds and reports each renewal', async () => {
    const { api, calls } = channel([lease({ expiresAt: 'one' }), lease({ expiresAt: 'two' })]);
    const { events } = start(api);
    await vi.advanceTimersByTimeAsync(99 * SECOND);
    expect(calls).toEqual([]);
    await vi.advanceTimersByTimeAsync(1 * SECOND);
    expect(events).toEqual(['renewed one']);
    await vi.advanceTimersByTimeAsync(100 * SECOND);
    expect(events).toEqual(['renewed one', 'renewed two']);
  });

  it('is lost once, and stops, when the server refuses the renewal', async () => {
    const { api, calls } = channel([new LeaseholdError('LEASE_SEATS_WITHDRAWN')]);
    const { active, events, ended } = start(api);
    await vi.advanceTimersByTimeAsync(1_000 * SECOND);
    expect(events).toEqual(['lost LEASE_SEATS_WITHDRAWN']);
    expect(calls).toHaveLength(1);
    expect(active.state).toBe('lost');
    expect(ended).toEqual([active]);
    await active.close();
    expect(calls).toHaveLength(1);
  });

  it('retries with back-off while the server cannot be reached, and carries on once it answers', async () => {
    const down = new LeaseholdClientError('ECONNREFUSED');
    const { api, calls } = channel([down, down, down, lease({ expiresAt: 'back' })]);
    const { events } = start(api);
    await vi.advanceTimersByTimeAsync(100 * SECOND); // first attempt fails
    await vi.advanceTimersByTimeAsync(1 * SECOND); // +1 s fails
    await vi.advanceTimersByTimeAsync(2 * SECOND); // +2 s fails
    expect(calls).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(4 * SECOND - 1);
    expect(calls).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(1);
    expect(events).toEqual(['renewed back']);
  });

  it('is lost with LEASE_EXPIRED when no renewal succeeds before the lease ends, after a last attempt at the end', async () => {
    const { api } = channel(Array.from({ length: 50 }, () => new LeaseholdError('INTERNAL')));
    const { events } = start(api);
    await vi.advanceTimersByTimeAsync(300 * SECOND - 1);
    expect(events).toEqual([]);
    const before = vi.mocked(api.renew).mock.calls.length;
    await vi.advanceTimersByTimeAsync(1);
    expect(vi.mocked(api.renew).mock.calls.length).toBe(before + 1);
    expect(events).toEqual(['lost LEASE_EXPIRED']);
  });

  it('close() stops renewing, releases once and is idempotent', async () => {
    const { api, calls } = channel([]);
    const { active, events } = start(api);
    const first = active.close();
    expect(active.close()).toBe(first);
    await first;
    await vi.advanceTimersByTimeAsync(1_000 * SECOND);
    expect(calls).toEqual(['release lease-0123456789abcdef']);
    expect(events).toEqual(['released']);
    expect(active.state).toBe('closed');
  });

  it('close() during a renewal ignores its answer', async () => {
    let answer: (l: Lease) => void = () => {};
    const api: LeaseChannel = {
      renew: () => new Promise<Lease>((resolve) => (answer = resolve)),
      release: async (id) => ({ released: id }),
    };
    const { active, events } = start(api);
    await vi.advanceTimersByTimeAsync(100 * SECOND);
    await active.close();
    answer(lease({ expiresAt: 'late' }));
    await vi.advanceTimersByTimeAsync(1_000 * SECOND);
    expect(events).toEqual(['released']);
  });

  it('close() of a lease the server no longer holds counts as released', async () => {
    const api: LeaseChannel = {
      renew: async () => lease(),
      release: async () => {
        throw new LeaseholdError('LEASE_NOT_FOUND');
      },
    };
    const { active, events } = start(api);
    await active.close();
    expect(events).toEqual(['released']);
  });

  it('close() rejects when the server cannot be reached, and does not renew afterwards', async () => {
    const renew = vi.fn(async () => lease());
    const api: LeaseChannel = {
      renew,
      release: async () => {
        throw new LeaseholdClientError('ECONNREFUSED');
      },
    };
    const { active, events } = start(api);
    await expect(active.close()).rejects.toMatchObject({ code: 'SERVER_UNREACHABLE' });
    await vi.advanceTimersByTimeAsync(1_000 * SECOND);
    expect(renew).not.toHaveBeenCalled();
    expect(events).toEqual([]);
  });
});
