import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminStore } from '../admin/adminStore.ts';
import { hashPassword } from '../admin/password.ts';
import { adminRoutes } from '../admin/policies.ts';
import type { LocalServer } from '../localServer.ts';
import { syncedLocalServer } from '../test-support/localServer.ts';
import { license } from '../test-support/syncedServer.ts';
import { buildServerApp } from './app.ts';

const CAD = license({
  maxCheckoutHours: 24,
  components: [
    { name: 'Base', seats: 2 },
    { name: 'Render', seats: 1 },
  ],
});
const PASSWORD = 'correct horse battery';

describe('admin API of the local server', () => {
  let server: LocalServer;
  let app: ReturnType<typeof buildServerApp>;
  let auth: { authorization: string };
  type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
  const call = (method: Method, url: string, payload?: object) =>
    app.inject({ method, url, headers: auth, ...(payload ? { payload } : {}) });
  const login = (password: string, remoteAddress = '127.0.0.1') =>
    app.inject({
      method: 'POST',
      url: '/v1/admin/session',
      payload: { user: 'root', password },
      remoteAddress,
    });

  beforeAll(async () => {
    ({ server } = await syncedLocalServer([CAD]));
    app = buildServerApp(server);
    const store = new AdminStore(server.store.db);
    const at = new Date('2027-03-01T09:00:00Z');
    store.createUser('root', await hashPassword(PASSWORD, { N: 1024, r: 8, p: 1 }), at);
    auth = { authorization: `Bearer ${store.createToken('tests', at).token}` };
  });
  afterAll(async () => {
    await app.close();
    server.close();
  });

  it('logs in with a session cookie and CSRF token, and logs out', async () => {
    const response = await login(PASSWORD);
    expect(response.statusCode).toBe(200);
    const cookie = response.headers['set-cookie'] as string;
    expect(cookie).toMatch(
      /^leasehold_session=[\w-]{43}; Path=\/v1\/admin; HttpOnly; SameSite=Strict; Max-Age=28800$/,
    );
    const { csrfToken, user, expiresAt } = response.json();
    expect({ user, expiresAt }).toEqual({ user: 'root', expiresAt: '2027-03-01T17:00:00.000Z' });
    const session = cookie.split(';')[0] as string;
    const who = await app.inject({ method: 'GET', url: '/v1/admin/session', headers: { cookie: session } });
    expect(who.json()).toMatchObject({ via: 'session', user: 'root', csrfToken });
    const out = await app.inject({
      method: 'DELETE',
      url: '/v1/admin/session',
      headers: { cookie: session, 'x-csrf-token': csrfToken },
    });
    expect(out.json()).toEqual({ loggedOut: true });
    expect(out.headers['set-cookie']).toContain('Max-Age=0');
    const after = await app.inject({ method: 'GET', url: '/v1/admin/status', headers: { cookie: session } });
    expect(after.statusCode).toBe(401);
    const audit = (await call('GET', '/v1/admin/audit?action=admin.login')).json().entries;
    expect(audit.at(-1)).toMatchObject({ action: 'admin.login', detail: 'root from 127.0.0.1' });
  });

  it('refuses a wrong password, and after 5 failures a minute answers 429 with Retry-After', async () => {
    for (let i = 0; i < 5; i++) {
      const wrong = await login('wrong password', '127.9.9.9');
      expect(wrong.statusCode).toBe(401);
      expect(wrong.json().error.code).toBe('SERVER_ADMIN_LOGIN_FAILED');
    }
    const limited = await login(PASSWORD, '127.9.9.9');
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error.code).toBe('SERVER_ADMIN_LOGIN_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await login(PASSWORD, '127.9.9.10')).statusCode).toBe(200);
    const unknownUser = await app.inject({
      method: 'POST',
      url: '/v1/admin/session',
      payload: { user: 'nobody', password: PASSWORD },
    });
    expect(unknownUser.json().error.code).toBe('SERVER_ADMIN_LOGIN_FAILED');
  });

  it('counts a try before the password check, so a burst of parallel guesses gets no more than the limit', async () => {
    const burst = await Promise.all(Array.from({ length: 30 }, () => login('wrong password', '127.7.7.7')));
    const codes = burst.map((r) => r.json().error.code);
    expect(codes.filter((c) => c === 'SERVER_ADMIN_LOGIN_FAILED')).toHaveLength(5);
    expect(codes.filter((c) => c === 'SERVER_ADMIN_LOGIN_LIMITED')).toHaveLength(25);
    // The right password from another address still gets in, and clears the account's count.
    expect((await login(PASSWORD, '127.7.7.8')).statusCode).toBe(200);
  });

  it('shows status and licenses', async () => {
    expect((await call('GET', '/v1/admin/status')).json()).toMatchObject({
      licenseServerId: 'LS-AAAA-BBBB-CCCC',
      synchronized: true,
      licenses: [CAD],
    });
    expect((await call('GET', '/v1/admin/licenses')).json()).toEqual({ licenses: [CAD] });
  });

  it('shows components usage and current users, and force-releases a floating lease', async () => {
    const taken = await app.inject({
      method: 'POST',
      url: '/v1/leases',
      payload: { components: ['Render'], user: 'ann', computer: 'ws-1' },
    });
    const leaseId = taken.json().lease.id;
    const checkout = await app.inject({
      method: 'POST',
      url: '/v1/checkouts',
      payload: { components: ['Base'], user: 'bob', computer: 'laptop', hours: 8 },
    });
    expect(checkout.statusCode, checkout.body).toBe(201);
    const denied = await app.inject({
      method: 'POST',
      url: '/v1/leases',
      payload: { components: ['Render'], user: 'cy', computer: 'ws-3' },
    });
    expect(denied.json().error.code).toBe('NO_SEATS_AVAILABLE');

    const components = (await call('GET', '/v1/admin/components')).json().components;
    expect(components).toEqual([
      expect.objectContaining({
        component: 'Base',
        inUse: 2,
        maxUsers: 2,
        free: 0,
        expiryDate: '2030-12-31',
      }),
      expect.objectContaining({ component: 'Render', inUse: 1, maxUsers: 1, free: 0 }),
    ]);
    const users = (await call('GET', '/v1/admin/users')).json().users;
    expect(users.map((u: { user: string; kind: string }) => `${u.user}:${u.kind}`)).toEqual([
      'ann:floating',
      'bob:checkout',
    ]);
    const leases = (await call('GET', '/v1/admin/leases')).json().leases;
    expect(leases).toHaveLength(2);
    const checkoutId = leases.find((l: { kind: string }) => l.kind === 'checkout').id;

    expect((await call('DELETE', `/v1/admin/leases/${checkoutId}`)).json().error.code).toBe(
      'CHECKOUT_NOT_RELEASABLE',
    );
    expect((await call('DELETE', `/v1/admin/leases/${leaseId}`)).json()).toEqual({ released: leaseId });
    expect((await call('DELETE', `/v1/admin/leases/${leaseId}`)).json().error.code).toBe('LEASE_NOT_FOUND');
    const after = (await call('GET', '/v1/admin/components')).json().components;
    expect(after.find((c: { component: string }) => c.component === 'Render')).toMatchObject({
      inUse: 0,
      free: 1,
    });

    const audit = (await call('GET', '/v1/admin/audit?action=lease.force-released')).json().entries;
    expect(audit).toEqual([expect.objectContaining({ leaseId, user: 'ann', computer: 'ws-1' })]);
    const denials = (await call('GET', '/v1/admin/denials')).json().entries;
    expect(denials).toEqual([expect.objectContaining({ user: 'cy', code: 'NO_SEATS_AVAILABLE' })]);
    expect((await call('GET', '/v1/admin/denials?since=2099-01-01T00:00:00Z')).json().entries).toEqual([]);
    expect((await call('GET', '/v1/admin/audit?since=yesterday')).json().error.code).toBe('INVALID_INPUT');
  });

  it('reads and sets automatic sync', async () => {
    expect((await call('GET', '/v1/admin/sync/settings')).json()).toMatchObject({ mode: 'off' });
    const set = await call('PUT', '/v1/admin/sync/settings', { mode: 'weekly' });
    expect(set.json()).toMatchObject({ mode: 'weekly' });
    expect((await call('PUT', '/v1/admin/sync/settings', { mode: 'hourly' })).statusCode).toBe(400);
    expect((await call('GET', '/v1/admin/status')).json().autoSync.mode).toBe('weekly');
  });

  it('syncs now (refused here: the central server does not exist) and records the attempt', async () => {
    const response = await call('POST', '/v1/admin/sync');
    expect(response.statusCode).toBeGreaterThanOrEqual(400);
    const { code } = response.json().error;
    expect((await call('GET', '/v1/admin/status')).json().lastSyncAttempt).toMatchObject({ outcome: code });
  });

  it('exports a request file and refuses a response file that is not one', async () => {
    const exported = (await call('POST', '/v1/admin/sync/request-file')).json();
    expect(exported.file).toContain('-----BEGIN LEASEHOLD SYNC REQUEST-----');
    expect(exported.fileName).toBe('LS-AAAA-BBBB-CCCC-sync-request.txt');
    const bad = await call('POST', '/v1/admin/sync/response-file', { file: exported.file });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toMatch(/^[A-Z_]+$/);
    expect((await call('POST', '/v1/admin/sync/response-file', {})).json().error.code).toBe('INVALID_INPUT');
  });

  it('sets, shows (masked) and clears the proxy', async () => {
    expect((await call('GET', '/v1/admin/proxy')).json()).toMatchObject({ proxy: null });
    const set = await call('PUT', '/v1/admin/proxy', {
      url: 'http://proxy.example:3128',
      username: 'ops',
      password: 's3cret',
    });
    expect(set.json()).toMatchObject({ proxy: 'http://ops:****@proxy.example:3128', source: 'stored' });
    expect(JSON.stringify((await call('GET', '/v1/admin/proxy')).json())).not.toContain('s3cret');
    expect((await call('PUT', '/v1/admin/proxy', { url: 'socks5://x:1' })).json().error.code).toBe(
      'INVALID_INPUT',
    );
    expect((await call('DELETE', '/v1/admin/proxy')).json()).toMatchObject({ cleared: true, proxy: null });
  });

  it('diagnoses the way to the central server', async () => {
    const diagnosis = (await call('GET', '/v1/admin/diagnose')).json();
    expect(diagnosis).toMatchObject({ ok: false, licenseServerId: 'LS-AAAA-BBBB-CCCC' });
    expect(diagnosis.steps.length).toBeGreaterThan(0);
  }, 30_000);

  it('creates, lists and revokes API tokens; a revoked token stops working', async () => {
    const created = await call('POST', '/v1/admin/tokens', { name: 'script' });
    expect(created.statusCode).toBe(201);
    const { token } = created.json();
    expect(token).toMatch(/^lhs_[\w-]{43}$/);
    expect((await call('POST', '/v1/admin/tokens', { name: 'script' })).json().error.code).toBe(
      'SERVER_ADMIN_TOKEN_EXISTS',
    );
    const list = (await call('GET', '/v1/admin/tokens')).json().tokens;
    expect(list.map((t: { name: string }) => t.name).sort()).toEqual(['script', 'tests']);
    expect(JSON.stringify(list)).not.toContain(token);
    const own = { authorization: `Bearer ${token}` };
    expect((await app.inject({ method: 'GET', url: '/v1/admin/session', headers: own })).json()).toEqual({
      via: 'token',
      token: 'script',
    });
    expect((await call('DELETE', '/v1/admin/tokens/script')).json()).toEqual({ revoked: 'script' });
    expect((await call('DELETE', '/v1/admin/tokens/script')).json().error.code).toBe(
      'SERVER_ADMIN_TOKEN_NOT_FOUND',
    );
    expect((await app.inject({ method: 'GET', url: '/v1/admin/status', headers: own })).statusCode).toBe(401);
  });

  it('serves an OpenAPI document naming every route', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/v1/admin/openapi.json' })).json();
    expect(doc.openapi).toBe('3.1.0');
    for (const r of adminRoutes) {
      const path = r.url.replace(/:(\w+)/g, '{$1}');
      expect(doc.paths[path]?.[r.method.toLowerCase()]?.summary, `${r.method} ${r.url}`).toBe(r.summary);
    }
    expect(doc.paths['/v1/admin/session'].post.requestBody.content['application/json'].schema).toMatchObject({
      required: ['user', 'password'],
    });
  });
});
