import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AdminStore } from '../admin/adminStore.ts';
import { hashPassword } from '../admin/password.ts';
import { adminRoutes } from '../admin/policies.ts';
import { SESSION_IDLE_MS, SESSION_MAX_MS } from '../admin/sessions.ts';
import type { LocalServer } from '../localServer.ts';
import { syncedLocalServer } from '../test-support/localServer.ts';
import { license } from '../test-support/syncedServer.ts';
import { buildServerApp } from './app.ts';

const concrete = (url: string) => url.replace(':id', 'AAAAAAAAAAAAAAAA').replace(':name', 'nobody');

/** Walks the authorization table: every protected admin route refuses every bad credential. */
describe('admin API authorization, route by route', () => {
  let server: LocalServer;
  let app: ReturnType<typeof buildServerApp>;
  let revoked: string;
  let valid: string;
  let cookie: string;
  let csrfToken: string;
  let clock: Awaited<ReturnType<typeof syncedLocalServer>>['clock'];
  let store: AdminStore;

  beforeAll(async () => {
    ({ server, clock } = await syncedLocalServer([license({ components: [{ name: 'Base', seats: 2 }] })]));
    app = buildServerApp(server);
    store = new AdminStore(server.store.db);
    const at = new Date('2027-03-01T09:00:00Z');
    store.createUser('root', await hashPassword('correct horse battery', { N: 1024, r: 8, p: 1 }), at);
    revoked = store.createToken('old', at).token;
    store.revokeToken('old', at);
    valid = store.createToken('cli', at).token;
  });
  // A fresh session per route: the logout route ends the one it is given.
  beforeEach(async () => {
    const login = await app.inject({
      method: 'POST',
      url: '/v1/admin/session',
      payload: { user: 'root', password: 'correct horse battery' },
    });
    cookie = (login.headers['set-cookie'] as string).split(';')[0] as string;
    csrfToken = login.json().csrfToken;
  });
  afterAll(async () => {
    await app.close();
    server.close();
  });

  const guarded = adminRoutes.filter((r) => r.access !== 'public');

  it('has every route of the table registered, and only public ones open', async () => {
    expect(adminRoutes.filter((r) => r.access === 'public').map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /v1/admin/openapi.json',
      'POST /v1/admin/session',
    ]);
    for (const r of adminRoutes) {
      expect(app.hasRoute({ method: r.method, url: r.url }), `${r.method} ${r.url}`).toBe(true);
    }
  });

  it.each(guarded.map((r) => [`${r.method} ${r.url}`, r] as const))(
    '%s refuses bad credentials',
    async (_, r) => {
      const call = (headers: Record<string, string>) =>
        app.inject({
          method: r.method,
          url: concrete(r.url),
          headers,
          ...(r.body ? { payload: {} } : {}),
        });
      const refusals: Array<[string, Record<string, string>, number, string]> = [
        ['no credentials', {}, 401, 'SERVER_ADMIN_AUTH_REQUIRED'],
        ['a wrong token', { authorization: 'Bearer lhs_wrongwrongwrong' }, 401, 'SERVER_ADMIN_AUTH_REQUIRED'],
        ['a revoked token', { authorization: `Bearer ${revoked}` }, 401, 'SERVER_ADMIN_AUTH_REQUIRED'],
        [
          'another scheme',
          { authorization: `Basic ${Buffer.from('root:pw').toString('base64')}` },
          401,
          'SERVER_ADMIN_AUTH_REQUIRED',
        ],
        ['an unknown session', { cookie: 'leasehold_session=forged' }, 401, 'SERVER_ADMIN_AUTH_REQUIRED'],
        // A session with the CSRF token of nobody: a cross-site request carries no header at all.
        ...(r.access === 'write'
          ? ([
              ['a session without CSRF', { cookie }, 403, 'SERVER_ADMIN_CSRF_FAILED'],
              [
                'a session with a wrong CSRF',
                { cookie, 'x-csrf-token': `${csrfToken}x` },
                403,
                'SERVER_ADMIN_CSRF_FAILED',
              ],
            ] as Array<[string, Record<string, string>, number, string]>)
          : []),
      ];
      for (const [what, headers, status, code] of refusals) {
        const response = await call(headers);
        expect(response.statusCode, what).toBe(status);
        expect(response.json().error.code, what).toBe(code);
      }
      // And the right credentials get past authorization (the handler may still refuse the input).
      const withToken = await call({ authorization: `Bearer ${valid}` });
      if (r.sessionOnly) expect(withToken.json().error.code).toBe('SERVER_ADMIN_SESSION_REQUIRED');
      else expect([401, 403]).not.toContain(withToken.statusCode);
      if (r.access === 'write') {
        const withCsrf = await call({ cookie, 'x-csrf-token': csrfToken });
        expect([401, 403]).not.toContain(withCsrf.statusCode);
      }
      // A session idle for longer than the limit is refused, CSRF header and all (the clock moves on).
      const idle = store.createSession('root', clock.now());
      clock.set(clock.now().getTime() + SESSION_IDLE_MS + 1000);
      const late = await call({
        cookie: `leasehold_session=${idle.sessionId}`,
        'x-csrf-token': idle.csrfToken,
      });
      expect([late.statusCode, late.json().error.code], 'an idle session').toEqual([
        401,
        'SERVER_ADMIN_AUTH_REQUIRED',
      ]);
    },
  );

  it('ends a session at its absolute limit even while it is in use', async () => {
    const session = store.createSession('root', clock.now());
    const status = () =>
      app.inject({ url: '/v1/admin/status', headers: { cookie: `leasehold_session=${session.sessionId}` } });
    const start = clock.now().getTime();
    for (let at = start; at < start + SESSION_MAX_MS; at += SESSION_IDLE_MS / 2) {
      clock.set(at);
      expect((await status()).statusCode).toBe(200);
    }
    clock.set(start + SESSION_MAX_MS + 1000);
    expect((await status()).json().error.code).toBe('SERVER_ADMIN_AUTH_REQUIRED');
  });
});
