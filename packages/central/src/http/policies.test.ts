import { generatePartyKeys, ManualClock } from '@leasehold/protocol';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { createAdminToken, revokeAdminToken, sha256Hex } from '../admin/tokens.ts';
import { backends, useTestDatabase } from '../test-support/databases.ts';
import { guardAdminRoutes } from './adminRoutes.ts';
import { buildCentralApp } from './app.ts';
import { adminPolicies, authorize, grants } from './policies.ts';

const BOOTSTRAP = 'bootstrap-token-0123456789';
const LICENSE = 'POLCY-00000-00000-00000-00000-0000001';

/** A concrete URL for a route pattern: every parameter gets a value no row has. */
const concrete = (url: string) =>
  url.replace(':id', 'LS-AAAA-AAAA-AAAA').replace(':number', LICENSE).replace(':name', 'nobody');

describe.each(backends)('the admin authorization table on $name', (backend) => {
  let app: FastifyInstance;
  const tokens: Record<'admin' | 'reader' | 'revoked', string> = { admin: '', reader: '', revoked: '' };
  const clock = new ManualClock('2026-03-01T10:00:00Z');

  const database = useTestDatabase(backend, async (database) => {
    const ctx = { db: database.store.db, clock, actor: 'test' };
    tokens.admin = (await createAdminToken(ctx, { name: 'policy-admin' })).token;
    tokens.reader = (await createAdminToken(ctx, { name: 'policy-reader', role: 'reader' })).token;
    tokens.revoked = (await createAdminToken(ctx, { name: 'policy-revoked' })).token;
    await revokeAdminToken(ctx, 'policy-revoked');
    app = buildCentralApp({
      db: database.store.db,
      clock,
      vendorKeys: await generatePartyKeys(),
      adminTokenSha256: sha256Hex(BOOTSTRAP),
    });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
  });
  const db = () => database().store.db;

  const call = (method: string, url: string, headers: Record<string, string>) =>
    app.inject({
      method: method as 'GET',
      url: concrete(url),
      headers,
      ...(method === 'GET' ? {} : { payload: {} }),
    });

  it('has every route of the table registered, and every route it lists under /v1/admin', () => {
    for (const { method, url } of adminPolicies) {
      expect(app.hasRoute({ method, url }), `${method} ${url}`).toBe(true);
    }
    expect(new Set(adminPolicies.map((p) => `${p.method} ${p.url}`)).size).toBe(adminPolicies.length);
  });

  it('refuses a missing, wrong or revoked token on every admin route with 401 ADMIN_AUTH_REQUIRED', async () => {
    const refused: Array<Record<string, string>> = [
      {},
      { authorization: 'Bearer wrong-token' },
      { authorization: `Bearer ${tokens.revoked}` },
      { authorization: `Basic ${tokens.admin}` },
      { authorization: tokens.admin },
      { authorization: 'Bearer ' },
      { authorization: `Bearer ${sha256Hex(BOOTSTRAP)}` },
    ];
    for (const { method, url } of adminPolicies) {
      for (const headers of refused) {
        const res = await call(method, url, headers);
        expect(res.statusCode, `${method} ${url} ${JSON.stringify(headers)}`).toBe(401);
        expect(res.json().error.code).toBe('ADMIN_AUTH_REQUIRED');
      }
      // Fastify answers HEAD for every GET route; it is guarded like the GET.
      if (method === 'GET') expect((await call('HEAD', url, {})).statusCode, `HEAD ${url}`).toBe(401);
    }
  });

  it('lets each role through exactly the routes its permissions cover, and refuses the rest with 403', async () => {
    const principals = { admin: tokens.admin, reader: tokens.reader, init: BOOTSTRAP } as const;
    for (const { method, url, permission } of adminPolicies) {
      for (const [who, token] of Object.entries(principals)) {
        const role = who === 'init' ? 'admin' : (who as 'admin' | 'reader');
        const res = await call(method, url, { authorization: `Bearer ${token}` });
        const label = `${who} ${method} ${url}`;
        if (grants[role].includes(permission)) {
          // Past authorization the operation runs: it may still refuse, but not for lack of rights.
          expect([401, 403], label).not.toContain(res.statusCode);
        } else {
          expect([res.statusCode, res.json().error.code], label).toEqual([403, 'ADMIN_FORBIDDEN']);
        }
      }
    }
  });

  it('names the token that acted in the audit log, and the bootstrap token as admin-api', async () => {
    const create = (token: string, id: string) =>
      app.inject({
        method: 'POST',
        url: '/v1/admin/server-ids',
        headers: { authorization: `Bearer ${token}` },
        payload: { id },
      });
    expect((await create(tokens.admin, 'LS-AAAA-0000-0001')).statusCode).toBe(201);
    expect((await create(BOOTSTRAP, 'LS-AAAA-0000-0002')).statusCode).toBe(201);
    const actors = await db()
      .selectFrom('audit_log')
      .select(['license_server_id', 'actor'])
      .where('action', '=', 'server-id.created')
      .where('license_server_id', 'in', ['LS-AAAA-0000-0001', 'LS-AAAA-0000-0002'])
      .orderBy('id')
      .execute();
    expect(actors).toEqual([
      { license_server_id: 'LS-AAAA-0000-0001', actor: 'admin-api:policy-admin' },
      { license_server_id: 'LS-AAAA-0000-0002', actor: 'admin-api' },
    ]);
  });
});

describe('the admin route guard and authorize()', () => {
  it('refuses to register an admin route that the table does not list', async () => {
    const app = Fastify();
    await app.register(async (admin) => {
      guardAdminRoutes(admin, new WeakMap(), async () => undefined);
      admin.get('/v1/admin/server-ids', async () => ({}));
      expect(() => admin.get('/v1/admin/everything', async () => ({}))).toThrow(
        /no entry in http\/policies.ts/,
      );
      expect(() => admin.delete('/v1/admin/server-ids', async () => ({}))).toThrow(/no entry/);
    });
    await app.close();
  });

  it('refuses nobody with 401, a role without the permission with 403, and returns who may', () => {
    expect(() => authorize(undefined, 'read')).toThrow(
      expect.objectContaining({ code: 'ADMIN_AUTH_REQUIRED' }),
    );
    expect(() => authorize({ name: 'r', role: 'reader' }, 'write')).toThrow(
      expect.objectContaining({ code: 'ADMIN_FORBIDDEN', status: 403 }),
    );
    expect(authorize({ name: 'a', role: 'admin' }, 'manage-tokens')).toEqual({ name: 'a', role: 'admin' });
  });
});
