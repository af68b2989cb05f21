import { createHash } from 'node:crypto';
import {
  type Ed25519PublicJwk,
  ENVELOPE_VERSION,
  FORMAT_VERSION,
  generatePartyKeys,
  ManualClock,
  type PartyKeys,
  parseVendorPublicKeys,
  publicJwkOf,
  randomToken,
  SYNC_PROBE_TYPE,
  SYNC_REQUEST_TYPE,
  sealSyncProbe,
  sealSyncRequest,
  serializeVendorPublicKeys,
  type VendorPublicKeys,
  type X25519PublicJwk,
} from '@leasehold/protocol';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { createServerId } from '../admin/serverIds.ts';
import type { CentralDatabase } from '../store/schema.ts';
import { bindingSeenBy } from '../sync/probe.ts';
import { backends, useTestDatabase } from '../test-support/databases.ts';
import { buildCentralApp } from './app.ts';

describe('whom an id is bound to, seen from the asking key', () => {
  it('is none, this server or another server', () => {
    expect(bindingSeenBy(null, 'kid-a')).toBe('none');
    expect(bindingSeenBy('kid-a', 'kid-a')).toBe('this-server');
    expect(bindingSeenBy('kid-b', 'kid-a')).toBe('another-server');
  });
});

describe.each(backends)('the diagnose endpoints /v1/hello and /v1/sync/probe on $name', (backend) => {
  let db: Kysely<CentralDatabase>;
  let app: FastifyInstance;
  let vendorKeys: PartyKeys;
  let vendor: VendorPublicKeys;
  const clock = new ManualClock('2026-03-01T10:00:00Z');

  useTestDatabase(backend, async (database) => {
    db = database.store.db;
    vendorKeys = await generatePartyKeys();
    vendor = await parseVendorPublicKeys(await serializeVendorPublicKeys(vendorKeys));
    app = buildCentralApp({
      db,
      clock,
      vendorKeys,
      adminTokenSha256: createHash('sha256').update('unused-token').digest('hex'),
    });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
  });

  const serverKeysOf = (keys: PartyKeys) => ({
    signing: publicJwkOf(keys.signing.publicKey) as Ed25519PublicJwk,
    encryption: publicJwkOf(keys.encryption.publicKey) as X25519PublicJwk,
  });
  const post = (url: string, payload: string) =>
    app.inject({ method: 'POST', url, headers: { 'content-type': 'application/jose' }, payload });
  const probe = async (id: string, keys: PartyKeys) => {
    const sealed = await sealSyncProbe(
      {
        type: SYNC_PROBE_TYPE,
        formatVersion: FORMAT_VERSION,
        licenseServerId: id,
        requestId: randomToken(16),
        createdAt: clock.now().toISOString(),
        serverKeys: serverKeysOf(keys),
      },
      keys,
      vendor,
    );
    return post('/v1/sync/probe', sealed);
  };
  const sync = async (id: string, keys: PartyKeys) =>
    post(
      '/v1/sync',
      await sealSyncRequest(
        {
          type: SYNC_REQUEST_TYPE,
          formatVersion: FORMAT_VERSION,
          licenseServerId: id,
          requestId: randomToken(16),
          createdAt: clock.now().toISOString(),
          syncCount: 0,
          allocationVersion: 0,
          serverKeys: serverKeysOf(keys),
        },
        keys,
        vendor,
      ),
    );
  /** Everything a probe must leave alone. */
  const centralState = async (id: string) => ({
    syncLog: await db.selectFrom('sync_log').selectAll().where('license_server_id', '=', id).execute(),
    audit: await db.selectFrom('audit_log').selectAll().where('license_server_id', '=', id).execute(),
    bindings: await db.selectFrom('bindings').selectAll().where('license_server_id', '=', id).execute(),
    idRow: await db.selectFrom('license_server_ids').selectAll().where('id', '=', id).execute(),
  });

  it('says hello with the product, the versions it speaks and its time', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/hello' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      product: 'leasehold-central',
      protocolVersions: [FORMAT_VERSION],
      envelopeVersion: ENVELOPE_VERSION,
      time: '2026-03-01T10:00:00.000Z',
    });
  });

  it('answers none for an id not bound yet, and binds nothing', async () => {
    const { id } = await createServerId({ db, clock, actor: 'test-vendor' }, {});
    const before = await centralState(id);
    const res = await probe(id, await generatePartyKeys());
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ licenseServerId: id, binding: 'none' });
    expect(await centralState(id)).toEqual(before);
  });

  it('answers this-server for the bound key and another-server for any other, changing nothing', async () => {
    const { id } = await createServerId({ db, clock, actor: 'test-vendor' }, {});
    const bound = await generatePartyKeys();
    expect((await sync(id, bound)).statusCode).toBe(200);
    const before = await centralState(id);
    expect(before.syncLog).toHaveLength(1);

    expect((await probe(id, bound)).json()).toEqual({ licenseServerId: id, binding: 'this-server' });
    expect((await probe(id, await generatePartyKeys())).json()).toEqual({
      licenseServerId: id,
      binding: 'another-server',
    });
    expect(await centralState(id)).toEqual(before);
  });

  it('refuses an unknown id with 404 SERVER_ID_UNKNOWN', async () => {
    const res = await probe('LS-ZZZZ-ZZZZ-ZZZZ', await generatePartyKeys());
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('SERVER_ID_UNKNOWN');
  });

  it('cannot be used to bind: a probe is refused by /v1/sync and a sync request by the probe', async () => {
    const { id } = await createServerId({ db, clock, actor: 'test-vendor' }, {});
    const keys = await generatePartyKeys();
    const probeMessage = await sealSyncProbe(
      {
        type: SYNC_PROBE_TYPE,
        formatVersion: FORMAT_VERSION,
        licenseServerId: id,
        requestId: randomToken(16),
        createdAt: clock.now().toISOString(),
        serverKeys: serverKeysOf(keys),
      },
      keys,
      vendor,
    );
    const asSync = await post('/v1/sync', probeMessage);
    expect(asSync.json().error.code).toBe('MESSAGE_TYPE_UNEXPECTED');
    expect((await centralState(id)).bindings).toEqual([]);

    const res = await post('/v1/sync/probe', 'not.a.sealed.message.at-all');
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('MESSAGE_MALFORMED');
  });

  it('counts probes against the per-address limit of the sync endpoints', async () => {
    const limited = buildCentralApp({
      db,
      clock,
      vendorKeys,
      adminTokenSha256: createHash('sha256').update('unused-token').digest('hex'),
      syncRequestsPerMinutePerAddress: 2,
    });
    const send = () =>
      limited.inject({
        method: 'POST',
        url: '/v1/sync/probe',
        headers: { 'content-type': 'application/jose' },
        payload: 'x',
      });
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await send()).json().error.code);
    expect(codes).toEqual(['MESSAGE_MALFORMED', 'MESSAGE_MALFORMED', 'RATE_LIMITED']);
    await limited.close();
  });

  it('refuses a body larger than any probe with 413', async () => {
    const res = await post('/v1/sync/probe', 'a'.repeat(100 * 1024));
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('MESSAGE_TOO_LARGE');
  });
});
