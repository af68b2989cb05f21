import {
  generatePartyKeys,
  ManualClock,
  type PartyKeys,
  parseVendorPublicKeys,
  serializeVendorPublicKeys,
  type UsageReport,
  type VendorPublicKeys,
} from '@leasehold/protocol';
import { describe, expect, it } from 'vitest';
import { createServerId } from '../admin/serverIds.ts';
import { backends, codeOf, useTestDatabase } from '../test-support/databases.ts';
import { fakeLocalServer } from '../test-support/localServers.ts';
import { handleSyncRequest, type SyncContext } from './handleSync.ts';
import { listUsage } from './usage.ts';

const LICENSE = 'USAGE-00000-00000-00000-00000-0000001';
const report = (days: UsageReport['days']): UsageReport => ({
  from: '2026-03-01T00:00:00.000Z',
  to: '2026-03-02T10:00:00.000Z',
  days,
});
const day = (d: string, component: string, peakInUse: number, denials = 0) => ({
  day: d,
  licenseNumber: LICENSE,
  component,
  peakInUse,
  denials,
});

describe.each(backends)('usage reports carried by sync requests on $name', (backend) => {
  let ctx: SyncContext;
  let vendorKeys: PartyKeys;
  let vendor: VendorPublicKeys;
  const clock = new ManualClock('2026-03-02T10:00:00Z');
  const admin = () => ({ db: ctx.db, clock, actor: 'test-vendor' });

  useTestDatabase(backend, async (database) => {
    vendorKeys = await generatePartyKeys();
    vendor = await parseVendorPublicKeys(await serializeVendorPublicKeys(vendorKeys));
    ctx = { db: database.store.db, clock, vendorKeys };
  });
  const localServer = (id: string) =>
    fakeLocalServer(id, {
      clock,
      vendor,
      send: (sealed) => handleSyncRequest(ctx, sealed, { method: 'online' }),
    });

  it('stores each day once: the same report twice, or a day again with larger numbers, merge by maximum', async () => {
    const { id } = await createServerId(admin(), {});
    const server = await localServer(id);
    const first = report([day('2026-03-01', 'Base', 4, 2), day('2026-03-02', 'Base', 1)]);
    await server.sync({ usage: first });
    await server.sync({ usage: first });
    // The next sync sends today again, now with more; yesterday again with less (never lowers it).
    await server.sync({ usage: report([day('2026-03-01', 'Base', 3, 1), day('2026-03-02', 'Base', 6, 5)]) });
    const usage = await listUsage(admin(), id);
    expect(usage.days.map(({ receivedAt: _r, ...d }) => d)).toEqual([
      day('2026-03-02', 'Base', 6, 5),
      day('2026-03-01', 'Base', 4, 2),
    ]);
    expect((await listUsage(admin(), id, { from: '2026-03-02' })).days).toHaveLength(1);
    expect((await listUsage(admin(), id, { to: '2026-03-01' })).days).toHaveLength(1);
  });

  it('merges repeats inside one report, and keeps ids apart', async () => {
    const a = await createServerId(admin(), {});
    const b = await createServerId(admin(), {});
    await (await localServer(a.id)).sync({
      usage: report([day('2026-03-01', 'Analysis', 2), day('2026-03-01', 'Analysis', 5, 1)]),
    });
    expect((await listUsage(admin(), a.id)).days).toMatchObject([
      { component: 'Analysis', peakInUse: 5, denials: 1 },
    ]);
    expect((await listUsage(admin(), b.id)).days).toEqual([]);
  });

  it('stores nothing from a refused sync', async () => {
    const { id } = await createServerId(admin(), {});
    await (await localServer(id)).sync();
    const intruder = await localServer(id);
    expect(await codeOf(intruder.sync({ usage: report([day('2026-03-01', 'Base', 9)]) }))).toBe(
      'SERVER_ID_IN_USE',
    );
    expect((await listUsage(admin(), id)).days).toEqual([]);
  });

  it('refuses a bad day or an unknown id when listing', async () => {
    const { id } = await createServerId(admin(), {});
    expect(await codeOf(listUsage(admin(), id, { from: 'yesterday' }))).toBe('INVALID_INPUT');
    expect(await codeOf(listUsage(admin(), 'LS-0000-0000-0000'))).toBe('SERVER_ID_UNKNOWN');
  });
});
