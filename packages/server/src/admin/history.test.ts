import { DAY_MS, HOUR_MS, LeaseholdError } from '@leasehold/protocol';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServerApp } from '../http/app.ts';
import type { HistoryRow } from '../leases/usageHistory.ts';
import type { LocalServer } from '../localServer.ts';
import { syncedLocalServer } from '../test-support/localServer.ts';
import { license } from '../test-support/syncedServer.ts';
import { AdminStore } from './adminStore.ts';
import { historyDocumentSchema, parseHistoryDays, usageHistory } from './history.ts';

const CAD = license({
  components: [
    { name: 'Base', seats: 3 },
    { name: 'Render', seats: 2 },
  ],
});
const H = (iso: string) => Date.parse(iso);

describe('parseHistoryDays', () => {
  it('takes 1..366, 30 when absent, and refuses anything else with INVALID_INPUT', () => {
    expect(parseHistoryDays(undefined)).toBe(30);
    expect(parseHistoryDays('1')).toBe(1);
    expect(parseHistoryDays('366')).toBe(366);
    for (const bad of ['0', '367', '-1', '2.5', 'ten', '1e2', ' 3', ['1', '2']])
      expect(() => parseHistoryDays(bad), String(bad)).toThrow(LeaseholdError);
  });
});

describe('usageHistory (pure)', () => {
  const now = new Date('2027-03-10T14:20:00Z');
  const row = (hour: string, component: string, peak: number, denials = 0): HistoryRow => ({
    hour: H(hour),
    license_number: CAD.number,
    component,
    peak,
    denials,
  });

  it('gives hourly buckets for two days or less, every one present, zeros included', () => {
    const doc = usageHistory([row('2027-03-10T13:00:00Z', 'Render', 2, 1)], [CAD], now, 1);
    expect(doc).toMatchObject({
      bucket: 'hour',
      from: '2027-03-09T15:00:00.000Z',
      to: '2027-03-10T15:00:00.000Z',
    });
    expect(doc.components.map((c) => [c.component, c.maxUsers, c.points.length])).toEqual([
      ['Base', 3, 24],
      ['Render', 2, 24],
    ]);
    const render = doc.components[1]?.points ?? [];
    expect(render.at(-2)).toEqual({ at: '2027-03-10T13:00:00.000Z', peak: 2, denials: 1 });
    expect(render.filter((p) => p.peak > 0 || p.denials > 0)).toHaveLength(1);
  });

  it('gives daily buckets above two days: the day peak is its highest hour, denials add up', () => {
    const rows = [
      row('2027-03-10T09:00:00Z', 'Render', 1, 2),
      row('2027-03-10T10:00:00Z', 'Render', 2, 1),
      row('2027-03-10T11:00:00Z', 'Render', 1),
      row('2027-02-01T10:00:00Z', 'Render', 2, 5), // before the window
    ];
    const doc = usageHistory(rows, [CAD], now, 7);
    expect(doc).toMatchObject({
      bucket: 'day',
      from: '2027-03-04T00:00:00.000Z',
      to: '2027-03-11T00:00:00.000Z',
    });
    const render = doc.components.find((c) => c.component === 'Render')?.points ?? [];
    expect(render).toHaveLength(7);
    expect(render.at(-1)).toEqual({ at: '2027-03-10T00:00:00.000Z', peak: 2, denials: 3 });
    expect(render.slice(0, -1).every((p) => p.peak === 0 && p.denials === 0)).toBe(true);
  });

  it('lists only the current allocation: history of a removed license is not shown', () => {
    const gone: HistoryRow = { ...row('2027-03-10T10:00:00Z', 'Render', 2), license_number: 'GONE' };
    const doc = usageHistory([gone], [CAD], now, 1);
    expect(doc.components.flatMap((c) => c.points).every((p) => p.peak === 0)).toBe(true);
  });
});

describe('usageHistory (property): buckets against a direct count of the rows', () => {
  const components = ['Base', 'Render'] as const;
  const rowArb = fc.record({
    hoursBack: fc.integer({ min: -48, max: 368 * 24 }),
    component: fc.constantFrom('Base', 'Render', 'Gone'),
    peak: fc.integer({ min: 0, max: 9 }),
    denials: fc.integer({ min: 0, max: 9 }),
  });

  it('has every bucket once, holding `now`, and each bucket is the max of the peaks and the sum of the denials in it', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: H('2026-06-01T00:00:00Z'), max: H('2028-06-01T00:00:00Z') }),
        fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 366 })),
        fc.uniqueArray(rowArb, { maxLength: 60, selector: (r) => `${r.hoursBack} ${r.component}` }),
        (nowMs, days, drawn) => {
          const hourNow = Math.floor(nowMs / HOUR_MS) * HOUR_MS;
          const rows: HistoryRow[] = drawn.map((r) => ({
            hour: hourNow - r.hoursBack * HOUR_MS,
            license_number: r.component === 'Gone' ? 'GONE' : CAD.number,
            component: r.component === 'Gone' ? 'Base' : r.component,
            peak: r.peak,
            denials: r.denials,
          }));
          const doc = usageHistory(rows, [CAD], new Date(nowMs), days);
          const size = days <= 2 ? HOUR_MS : DAY_MS;
          expect(doc.bucket).toBe(days <= 2 ? 'hour' : 'day');
          expect(doc.components.map((c) => c.component)).toEqual([...components]);
          for (const c of doc.components) {
            expect(c.points).toHaveLength((days * DAY_MS) / size);
            const starts = c.points.map((p) => Date.parse(p.at));
            expect(starts[0]).toBe(Date.parse(doc.from));
            starts.forEach((at, i) => {
              expect(at % size).toBe(0);
              if (i > 0) expect(at - (starts[i - 1] as number)).toBe(size);
            });
            const last = starts.at(-1) as number;
            expect(last + size).toBe(Date.parse(doc.to));
            expect(nowMs >= last && nowMs < last + size).toBe(true);
            c.points.forEach((point, i) => {
              const inside = rows.filter(
                (r) =>
                  r.license_number === CAD.number &&
                  r.component === c.component &&
                  r.hour >= (starts[i] as number) &&
                  r.hour < (starts[i] as number) + size,
              );
              expect(point.peak).toBe(Math.max(0, ...inside.map((r) => r.peak)));
              expect(point.denials).toBe(inside.reduce((sum, r) => sum + r.denials, 0));
            });
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('GET /v1/admin/history on a working server', () => {
  let server: LocalServer;
  let app: ReturnType<typeof buildServerApp>;
  let setup: Awaited<ReturnType<typeof syncedLocalServer>>;
  let auth: { authorization: string };
  const activate = (user: string) =>
    server.leases.activate({ components: ['Render'], user, computer: `${user}-pc` });

  beforeAll(async () => {
    setup = await syncedLocalServer([CAD]);
    server = setup.server;
    app = buildServerApp(server);
    auth = {
      authorization: `Bearer ${new AdminStore(server.store.db).createToken('t', setup.clock.now()).token}`,
    };
  });
  afterAll(async () => {
    await app.close();
    server.close();
  });

  it('records peaks at grants, denials by component, and seats held into the next hour', async () => {
    setup.clock.set('2027-03-01T09:10:00Z');
    const ann = activate('ann');
    const bob = activate('bob');
    expect(() => activate('cat')).toThrow(LeaseholdError); // Render is full: a denial
    server.leases.release(ann.id, { kind: 'floating', by: 'client' });
    // Bob keeps renewing past 10:00; the reaper's tick samples what is held.
    for (let minute = 14; minute <= 62; minute += 4) {
      setup.clock.set(Date.parse('2027-03-01T09:00:00Z') + minute * 60_000);
      server.leases.renew(bob.id);
    }
    server.leases.expire();

    const answer = await app.inject({ method: 'GET', url: '/v1/admin/history?days=1', headers: auth });
    expect(answer.statusCode).toBe(200);
    const doc = answer.json();
    // The contract the Manager is built against, as the OpenAPI document publishes it.
    expect(historyDocumentSchema.safeParse(doc).error).toBeUndefined();
    expect(doc.bucket).toBe('hour');
    const render = doc.components.find((c: { component: string }) => c.component === 'Render');
    const at = (iso: string) => render.points.find((p: { at: string }) => p.at === iso);
    expect(at('2027-03-01T09:00:00.000Z')).toEqual({ at: '2027-03-01T09:00:00.000Z', peak: 2, denials: 1 });
    expect(at('2027-03-01T10:00:00.000Z')).toEqual({ at: '2027-03-01T10:00:00.000Z', peak: 1, denials: 0 });
    expect(at('2027-03-01T08:00:00.000Z')).toMatchObject({ peak: 0, denials: 0 });
  });

  it('refuses a bad window with INVALID_INPUT and no one without credentials', async () => {
    const bad = await app.inject({ method: 'GET', url: '/v1/admin/history?days=400', headers: auth });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('INVALID_INPUT');
    const anonymous = await app.inject({ method: 'GET', url: '/v1/admin/history' });
    expect(anonymous.statusCode).toBe(401);
  });
});

describe('retention', () => {
  it('prunes hours older than 400 days at the reaper tick, on the injected clock, and keeps the rest', async () => {
    const { server, clock } = await syncedLocalServer([CAD]);
    try {
      clock.set('2027-03-01T09:30:00Z');
      const hour = (days: number) => H('2027-03-01T09:00:00Z') - days * DAY_MS;
      const insert = server.store.db.prepare(
        'insert into usage_history (hour, license_number, component, peak, denials) values (?, ?, ?, 1, 1)',
      );
      for (const days of [401, 400, 399]) insert.run(hour(days), CAD.number, 'Render');
      server.leases.expire();
      const kept = server.leases.history(0, Number.MAX_SAFE_INTEGER).map((r) => r.hour);
      expect(kept).toEqual([hour(400), hour(399)]);
    } finally {
      server.close();
    }
  });
});

describe('sampling at the reaper tick', () => {
  it('writes the hours in which seats are held, and nothing for idle hours', async () => {
    const { server, clock } = await syncedLocalServer([{ ...CAD, maxCheckoutHours: 8 }]);
    try {
      clock.set('2027-03-01T09:50:00Z');
      const lease = server.leases.checkout({ components: ['Render'], user: 'ann', computer: 'a', hours: 2 });
      clock.set('2027-03-01T10:05:00Z');
      server.leases.expire(); // held into 10:00
      server.leases.release(lease.id, { kind: 'checkout', by: 'client' });
      clock.set('2027-03-01T11:05:00Z');
      server.leases.expire(); // nothing held at 11:00
      const hours = (component: string) =>
        server.leases
          .history(0, Number.MAX_SAFE_INTEGER)
          .filter((r) => r.component === component)
          .map((r) => [new Date(r.hour).toISOString().slice(11, 16), r.peak]);
      expect(hours('Render')).toEqual([
        ['09:00', 1],
        ['10:00', 1],
      ]);
    } finally {
      server.close();
    }
  });
});
