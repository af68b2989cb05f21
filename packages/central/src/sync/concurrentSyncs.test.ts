import {
  generatePartyKeys,
  ManualClock,
  openSyncResponse,
  type PartyKeys,
  parseVendorPublicKeys,
  serializeVendorPublicKeys,
  type VendorPublicKeys,
} from '@leasehold/protocol';
import { describe, expect, it } from 'vitest';
import { createServerId } from '../admin/serverIds.ts';
import { backends, codeOf, useTestDatabase } from '../test-support/databases.ts';
import { fakeLocalServer } from '../test-support/localServers.ts';
import { handleSyncRequest, type SyncContext } from './handleSync.ts';

const COPIES = 20;

/**
 * Syncs of one id arriving together (the pool holds several connections on PostgreSQL): the row
 * lock must make each one see what the one before it committed, so a replay racing its original
 * is still refused with REQUEST_REPLAYED and versions never repeat (S8).
 */
describe.each(backends)('syncs of one id arriving together on $name', (backend) => {
  let ctx: SyncContext;
  let vendorKeys: PartyKeys;
  let vendor: VendorPublicKeys;
  const clock = new ManualClock('2026-03-01T10:00:00Z');

  useTestDatabase(backend, async (database) => {
    vendorKeys = await generatePartyKeys();
    vendor = await parseVendorPublicKeys(await serializeVendorPublicKeys(vendorKeys));
    ctx = { db: database.store.db, clock, vendorKeys };
  });

  const boundServer = async () => {
    const { id } = await createServerId({ db: ctx.db, clock, actor: 'test' }, {});
    const server = await fakeLocalServer(id, {
      clock,
      vendor,
      send: (sealed) => handleSyncRequest(ctx, sealed, { method: 'online' }),
    });
    await server.sync();
    return { id, server };
  };
  const stateOf = async (id: string) => ({
    version: (
      await ctx.db
        .selectFrom('license_server_ids')
        .select('response_version')
        .where('id', '=', id)
        .executeTakeFirstOrThrow()
    ).response_version,
    lastSyncCount: (
      await ctx.db
        .selectFrom('bindings')
        .select('last_sync_count')
        .where('license_server_id', '=', id)
        .executeTakeFirstOrThrow()
    ).last_sync_count,
    outcomes: (
      await ctx.db
        .selectFrom('sync_log')
        .select('outcome')
        .where('license_server_id', '=', id)
        .orderBy('id')
        .execute()
    ).map((r) => r.outcome),
  });

  it(`answers one of ${COPIES} copies of a request sent together and refuses the rest as replays`, async () => {
    const { id, server } = await boundServer();
    const sealed = await server.seal();
    const results = await Promise.all(Array.from({ length: COPIES }, () => codeOf(server.send(sealed))));
    expect(results.filter((r) => r === 'ACCEPTED')).toHaveLength(1);
    expect(results.filter((r) => r === 'REQUEST_REPLAYED')).toHaveLength(COPIES - 1);
    const state = await stateOf(id);
    expect(state.version).toBe(2);
    expect(state.lastSyncCount).toBe(2);
    expect(state.outcomes.filter((o) => o === 'ok')).toHaveLength(2);
    expect(state.outcomes.filter((o) => o === 'REQUEST_REPLAYED')).toHaveLength(COPIES - 1);
  });

  it(`gives ${COPIES} different requests sent together ${COPIES} different versions`, async () => {
    const { id, server } = await boundServer();
    const sealed = await Promise.all(Array.from({ length: COPIES }, () => server.seal()));
    const answers = await Promise.all(sealed.map((s) => server.send(s)));
    const versions = await Promise.all(
      answers.map(async (a) => (await openSyncResponse(a, server.keys, vendor)).response.allocation.version),
    );
    expect(new Set(versions).size).toBe(COPIES);
    expect(Math.max(...versions)).toBe(COPIES + 1);
    const state = await stateOf(id);
    expect(state.version).toBe(COPIES + 1);
    expect(state.lastSyncCount).toBe(COPIES + 1);
    expect(state.outcomes).toEqual(Array.from({ length: COPIES + 1 }, () => 'ok'));
  });
});
