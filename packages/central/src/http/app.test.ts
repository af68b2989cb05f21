import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import {
  type Ed25519PublicJwk,
  FORMAT_VERSION,
  generatePartyKeys,
  ManualClock,
  openSyncResponse,
  type PartyKeys,
  parseVendorPublicKeys,
  publicJwkOf,
  randomToken,
  SYNC_REQUEST_TYPE,
  sealSyncRequest,
  serializeVendorPublicKeys,
  type X25519PublicJwk,
} from '@leasehold/protocol';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { httpVendorApi } from '../admin/vendorApi.ts';
import type { CentralDatabase } from '../store/schema.ts';
import { backends, codeOf, useTestDatabase } from '../test-support/databases.ts';
import { buildCentralApp } from './app.ts';

const TOKEN = 'test-admin-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };
const license = {
  number: 'HTTPS-00000-00000-00000-00000-0000001',
  startDate: '2026-01-01',
  expiryDate: '2026-12-31',
  components: [{ name: 'Base', seats: 4 }],
};

describe.each(backends)('the central HTTP app on $name', (backend) => {
  let db: Kysely<CentralDatabase>;
  let app: FastifyInstance;
  let vendorKeys: PartyKeys;
  const clock = new ManualClock('2026-03-01T10:00:00Z');

  useTestDatabase(backend, async (database) => {
    db = database.store.db;
    vendorKeys = await generatePartyKeys();
    app = buildCentralApp({
      db: database.store.db,
      clock,
      vendorKeys,
      adminTokenSha256: createHash('sha256').update(TOKEN).digest('hex'),
    });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
  });

  const admin = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
    app.inject({ method, url, headers: auth, ...(payload ? { payload } : {}) });

  it('answers /healthz with ok', async () => {
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ok: true });
  });

  it('answers a sync whose body is not a sealed message with 400 MESSAGE_MALFORMED as JSON', async () => {
    const bodies = [
      { 'content-type': 'application/jose', payload: 'garbage' },
      { 'content-type': 'text/plain', payload: 'not.a.sealed.message.at-all' },
      { 'content-type': 'application/json', payload: '{"hello":"world"}' },
    ];
    for (const { payload, ...headers } of bodies) {
      const res = await app.inject({ method: 'POST', url: '/v1/sync', headers, payload });
      expect(res.statusCode, headers['content-type']).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.json().error.code).toBe('MESSAGE_MALFORMED');
      expect(res.json().error.message).toMatch(/not a well-formed Leasehold message/);
    }
  });

  it('answers a sealed sync request over HTTP with a sealed response and logs the caller address', async () => {
    const { id } = (await admin('POST', '/v1/admin/server-ids', {})).json();
    expect((await admin('POST', `/v1/admin/server-ids/${id}/licenses`, license)).statusCode).toBe(201);
    const server = await generatePartyKeys();
    const vendor = await parseVendorPublicKeys(await serializeVendorPublicKeys(vendorKeys));
    const request = {
      type: SYNC_REQUEST_TYPE,
      formatVersion: FORMAT_VERSION,
      licenseServerId: id,
      requestId: randomToken(16),
      createdAt: clock.now().toISOString(),
      syncCount: 1,
      allocationVersion: 0,
      serverKeys: {
        signing: publicJwkOf(server.signing.publicKey) as Ed25519PublicJwk,
        encryption: publicJwkOf(server.encryption.publicKey) as X25519PublicJwk,
      },
    } as const;
    const payload = await sealSyncRequest(request, server, vendor);
    const res = await app.inject({
      method: 'POST',
      url: '/v1/sync',
      headers: { 'content-type': 'application/jose' },
      payload,
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/jose/);
    const { response } = await openSyncResponse(res.body, server, vendor);
    expect(response.allocation.licenses).toEqual([{ ...license, maxCheckoutHours: 0 }]);
    const shown = (await admin('GET', `/v1/admin/server-ids/${id}`)).json();
    expect(shown.syncHistory).toEqual([
      expect.objectContaining({ outcome: 'ok', sourceAddress: '127.0.0.1' }),
    ]);
    const listed = (await admin('GET', '/v1/admin/server-ids')).json().serverIds;
    expect(listed).toContainEqual(
      expect.objectContaining({
        id,
        bound: true,
        lastSyncAt: clock.now().toISOString(),
        lastAllocationVersion: 1,
      }),
    );

    const replay = await app.inject({
      method: 'POST',
      url: '/v1/sync',
      headers: { 'content-type': 'application/jose' },
      payload,
    });
    expect(replay.statusCode).toBe(409);
    expect(replay.json().error.code).toBe('REQUEST_REPLAYED');
  });

  it('refuses every admin route without the right bearer token with 401 ADMIN_AUTH_REQUIRED', async () => {
    const routes = [
      ['GET', '/v1/admin/server-ids'],
      ['POST', '/v1/admin/server-ids'],
      ['GET', '/v1/admin/server-ids/LS-AAAA-AAAA-AAAA'],
      ['GET', '/v1/admin/server-ids/LS-AAAA-AAAA-AAAA/licenses'],
      ['POST', '/v1/admin/server-ids/LS-AAAA-AAAA-AAAA/licenses'],
      ['PATCH', `/v1/admin/server-ids/LS-AAAA-AAAA-AAAA/licenses/${license.number}`],
      ['DELETE', `/v1/admin/server-ids/LS-AAAA-AAAA-AAAA/licenses/${license.number}`],
      ['POST', '/v1/admin/server-ids/LS-AAAA-AAAA-AAAA/binding/clear'],
    ] as const;
    const wrong = [
      {},
      { authorization: 'Bearer wrong-token' },
      { authorization: `Basic ${TOKEN}` },
      { authorization: TOKEN },
      { authorization: 'Bearer ' },
    ];
    for (const [method, url] of routes) {
      for (const headers of wrong) {
        const res = await app.inject({ method, url, headers, payload: { id: 'LS-AAAA-AAAA-AAAA' } });
        expect(res.statusCode, `${method} ${url} ${JSON.stringify(headers)}`).toBe(401);
        expect(res.json().error.code).toBe('ADMIN_AUTH_REQUIRED');
      }
    }
    expect((await admin('GET', '/v1/admin/server-ids/LS-AAAA-AAAA-AAAA')).json().error.code).toBe(
      'SERVER_ID_UNKNOWN',
    );
  });

  it('creates an id and adds, changes, lists and removes its licenses with the admin token', async () => {
    const created = await admin('POST', '/v1/admin/server-ids', {
      id: 'LS-HTTP-0001-0001',
      customer: 'Acme',
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ id: 'LS-HTTP-0001-0001', customer: 'Acme' });
    const base = '/v1/admin/server-ids/LS-HTTP-0001-0001';
    const added = await admin('POST', `${base}/licenses`, {
      ...license,
      number: undefined,
      domain: 'acme.example',
    });
    expect(added.statusCode).toBe(201);
    const { number } = added.json();
    const changed = await admin('PATCH', `${base}/licenses/${number}`, { domain: null });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).not.toHaveProperty('domain');
    expect((await admin('GET', `${base}/licenses`)).json()).toEqual({ licenses: [changed.json()] });
    const list = (await admin('GET', '/v1/admin/server-ids')).json().serverIds;
    expect(list).toContainEqual(expect.objectContaining({ id: 'LS-HTTP-0001-0001', licenseCount: 1 }));
    expect((await admin('DELETE', `${base}/licenses/${number}`)).json()).toEqual({ removed: number });
    expect((await admin('DELETE', `${base}/licenses/${number}`)).json().error.code).toBe('LICENSE_NOT_FOUND');
    const actors = await db
      .selectFrom('audit_log')
      .select(['actor', 'action'])
      .where('license_server_id', '=', 'LS-HTTP-0001-0001')
      .orderBy('id')
      .execute();
    expect(actors.map((a) => `${a.actor}:${a.action}`)).toEqual([
      'admin-api:server-id.created',
      'admin-api:license.added',
      'admin-api:license.changed',
      'admin-api:license.removed',
    ]);
  });

  it('answers refused admin operations with their code and status', async () => {
    await admin('POST', '/v1/admin/server-ids', { id: 'LS-HTTP-0002-0002' });
    const again = await admin('POST', '/v1/admin/server-ids', { id: 'LS-HTTP-0002-0002' });
    expect([again.statusCode, again.json().error.code]).toEqual([409, 'SERVER_ID_EXISTS']);
    const bad = await admin('POST', '/v1/admin/server-ids/LS-HTTP-0002-0002/licenses', {
      ...license,
      components: [],
    });
    expect([bad.statusCode, bad.json().error.code]).toEqual([400, 'INVALID_INPUT']);
    expect(bad.json().error.details.issues).toEqual([expect.stringContaining('components')]);
  });

  it('answers a body that is not JSON with 400 INVALID_INPUT', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/admin/server-ids',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: '{"id": "LS-HTTP-',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('INVALID_INPUT');
  });

  it('answers a route it does not have with 404 NOT_FOUND', async () => {
    for (const [method, url] of [
      ['GET', '/'],
      ['GET', '/v1/nothing'],
      ['DELETE', '/v1/sync'],
      ['GET', '/v1/admin/nothing'],
    ] as const) {
      const res = await app.inject({ method, url, headers: auth });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(res.json().error.code).toBe('NOT_FOUND');
    }
  });

  it('gives the vendor CLI client over HTTP the same results and error codes as the database', async () => {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const api = httpVendorApi(url, TOKEN);
    const { id } = await api.createServerId({ customer: 'Remote' });
    const added = await api.addLicense(id, { ...license, number: 'HTTPS-00000-00000-00000-00000-0000002' });
    expect(await api.listLicenses(id)).toEqual([added]);
    expect((await api.showServerId(id)).licenses).toEqual([added]);
    expect(await codeOf(api.createServerId({ id }))).toBe('SERVER_ID_EXISTS');
    expect(await codeOf(api.clearBinding(id, { reason: 'not bound yet' }))).toBe('BINDING_NOT_FOUND');
    expect(await codeOf(httpVendorApi(url, 'wrong').listServerIds())).toBe('ADMIN_AUTH_REQUIRED');
  });
});
