import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminStore } from '../admin/adminStore.ts';
import { adminOpenApi } from '../admin/openapi.ts';
import { hashPassword } from '../admin/password.ts';
import { adminRoutes } from '../admin/policies.ts';
import { readSessionCookie, sessionCookie } from '../admin/sessions.ts';
import type { LocalServer } from '../localServer.ts';
import { syncedLocalServer } from '../test-support/localServer.ts';
import { license } from '../test-support/syncedServer.ts';
import { adminAllowList } from './adminGate.ts';
import { buildServerApp } from './app.ts';

const CAD = license({ components: [{ name: 'Base', seats: 2 }] });
const FAST = { N: 1024, r: 8, p: 1 };
const OLD = 'correct horse battery';
const NEW = 'a much longer new password';

describe('the admin surfaces answer loopback only, unless adminRemoteAddresses allows more', () => {
  let server: LocalServer;
  const app = (remote: string[] = []) =>
    buildServerApp({ ...server, config: { ...server.config, adminRemoteAddresses: remote } });

  beforeAll(async () => {
    ({ server } = await syncedLocalServer([CAD]));
  });
  afterAll(() => server.close());

  it('refuses a remote caller on /v1/admin, /manager and /docs, but not on the client API', async () => {
    const local = app();
    for (const url of ['/v1/admin/status', '/v1/admin/openapi.json', '/manager/', '/docs']) {
      const remote = await local.inject({ method: 'GET', url, remoteAddress: '192.0.2.7' });
      expect(remote.statusCode, url).toBe(403);
      expect(remote.json().error.code).toBe('ADMIN_REMOTE_REFUSED');
      const mapped = await local.inject({ method: 'GET', url, remoteAddress: '::ffff:192.0.2.7' });
      expect(mapped.json().error?.code, url).toBe('ADMIN_REMOTE_REFUSED');
    }
    for (const loopback of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) {
      const answer = await local.inject({ method: 'GET', url: '/v1/admin/status', remoteAddress: loopback });
      expect(answer.statusCode, loopback).toBe(401); // reached the API: it wants credentials
    }
    const lease = await local.inject({
      method: 'POST',
      url: '/v1/leases',
      remoteAddress: '192.0.2.7',
      payload: { components: ['Base'], user: 'ann', computer: 'ws-1' },
    });
    expect(lease.statusCode).toBe(201);
    await local.close();
  });

  it('judges the route the router matched, so percent escapes in the path do not slip past', async () => {
    const local = app();
    for (const url of [
      '/v1/%61dmin/status',
      '/%761/admin/openapi.json',
      '/v1/admin/%6fpenapi.json',
      '/%64ocs',
      '/%6danager/',
    ]) {
      const answer = await local.inject({ method: 'GET', url, remoteAddress: '192.0.2.7' });
      expect(answer.statusCode, url).toBe(403);
      expect(answer.json().error.code, url).toBe('ADMIN_REMOTE_REFUSED');
    }
    const fromHere = await local.inject({ method: 'GET', url: '/v1/%61dmin/status', remoteAddress: '::1' });
    expect(fromHere.statusCode).toBe(401);
    await local.close();
  });

  it('lets the listed addresses and ranges in', async () => {
    const opened = app(['192.0.2.0/24', '2001:db8::5']);
    expect((await opened.inject({ url: '/v1/admin/status', remoteAddress: '192.0.2.200' })).statusCode).toBe(
      401,
    );
    expect((await opened.inject({ url: '/v1/admin/status', remoteAddress: '2001:db8::5' })).statusCode).toBe(
      401,
    );
    expect((await opened.inject({ url: '/v1/admin/status', remoteAddress: '198.51.100.1' })).statusCode).toBe(
      403,
    );
    await opened.close();
  });

  it('refuses a malformed setting with CONFIG_INVALID', () => {
    for (const bad of ['10.0.0.0/33', 'example.com', '10.0.0.1/8/1', '::1/129', '10.0.0.0/x'])
      expect(() => adminAllowList([bad]), bad).toThrow(/CONFIG_INVALID|not an address/);
  });
});

describe('session cookie', () => {
  it('is __Host- prefixed, Secure and Path=/ over TLS; scoped to /v1/admin on plain HTTP', () => {
    expect(sessionCookie('abc', { secure: true, maxAgeSeconds: 60 })).toBe(
      '__Host-leasehold_session=abc; Path=/; HttpOnly; SameSite=Strict; Max-Age=60; Secure',
    );
    expect(sessionCookie('abc', { secure: false, maxAgeSeconds: 60 })).toBe(
      'leasehold_session=abc; Path=/v1/admin; HttpOnly; SameSite=Strict; Max-Age=60',
    );
    const both = 'x=1; leasehold_session=plain; __Host-leasehold_session=host';
    expect(readSessionCookie(both, { secure: true })).toBe('host');
    expect(readSessionCookie(both, { secure: false })).toBe('plain');
    expect(readSessionCookie('leasehold_session=planted', { secure: true })).toBeUndefined();
  });

  it('over TLS: the login sets the __Host- cookie, which opens the API; a planted plain cookie does not', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'leasehold-tls-'));
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
        .concat(['-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '2'])
        .concat(['-subj', '/CN=127.0.0.1']),
      { stdio: 'ignore' },
    );
    const { server } = await syncedLocalServer([CAD]);
    const https = { cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) };
    const app = buildServerApp(server, { https });
    try {
      new AdminStore(server.store.db).createUser('root', await hashPassword(OLD, FAST), new Date());
      const login = await app.inject({
        method: 'POST',
        url: '/v1/admin/session',
        payload: { user: 'root', password: OLD },
      });
      const setCookie = login.headers['set-cookie'] as string;
      expect(setCookie).toMatch(
        /^__Host-leasehold_session=[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict; .*; Secure$/,
      );
      const id = setCookie.split(';')[0]?.split('=')[1] as string;
      const status = (cookie: string) => app.inject({ url: '/v1/admin/status', headers: { cookie } });
      expect((await status(`__Host-leasehold_session=${id}`)).statusCode).toBe(200);
      // The same valid id under the plain name, as a plain-HTTP page on this host could set it.
      const planted = await status(`leasehold_session=${id}`);
      expect([planted.statusCode, planted.json().error.code]).toEqual([401, 'SERVER_ADMIN_AUTH_REQUIRED']);
    } finally {
      await app.close();
      server.close();
    }
  });
});

describe('PUT /v1/admin/password', () => {
  let server: LocalServer;
  let app: ReturnType<typeof buildServerApp>;
  let token: string;
  const login = async (password: string, cookie?: string) => {
    const answer = await app.inject({
      method: 'POST',
      url: '/v1/admin/session',
      payload: { user: 'root', password },
      ...(cookie ? { headers: { cookie } } : {}),
    });
    if (answer.statusCode !== 200) return { status: answer.statusCode, code: answer.json().error.code };
    return {
      status: 200,
      cookie: (answer.headers['set-cookie'] as string).split(';')[0] as string,
      csrf: answer.json().csrfToken as string,
    };
  };
  const change = (session: { cookie?: string; csrf?: string }, payload: object, csrf = session.csrf) =>
    app.inject({
      method: 'PUT',
      url: '/v1/admin/password',
      headers: { cookie: session.cookie as string, ...(csrf ? { 'x-csrf-token': csrf } : {}) },
      payload,
    });
  const status = (cookie: string | undefined) =>
    app.inject({ url: '/v1/admin/status', headers: { cookie: cookie as string } });

  beforeAll(async () => {
    ({ server } = await syncedLocalServer([CAD]));
    app = buildServerApp(server);
    const store = new AdminStore(server.store.db);
    const at = new Date('2027-03-01T09:00:00Z');
    store.createUser('root', await hashPassword(OLD, FAST), at);
    token = store.createToken('ops', at).token;
  });
  afterAll(async () => {
    await app.close();
    server.close();
  });

  it('issues a new session id at every login and ends the one the browser brought', async () => {
    const first = await login(OLD);
    const second = await login(OLD, first.cookie);
    expect(second.cookie).not.toBe(first.cookie);
    expect((await status(first.cookie)).statusCode).toBe(401);
    expect((await status(second.cookie)).statusCode).toBe(200);
  });

  it('refuses, changing nothing: a token, no CSRF header, a wrong current password, a short or same new one', async () => {
    const viaToken = await app.inject({
      method: 'PUT',
      url: '/v1/admin/password',
      headers: { authorization: `Bearer ${token}` },
      payload: { currentPassword: OLD, newPassword: NEW },
    });
    expect(viaToken.json().error.code).toBe('SERVER_ADMIN_SESSION_REQUIRED');
    const session = await login(OLD);
    expect((await change(session, { currentPassword: OLD, newPassword: NEW }, '')).json().error.code).toBe(
      'SERVER_ADMIN_CSRF_FAILED',
    );
    const wrong = await change(session, { currentPassword: 'not it at all', newPassword: NEW });
    expect([wrong.statusCode, wrong.json().error.code]).toEqual([403, 'SERVER_ADMIN_PASSWORD_WRONG']);
    expect((await change(session, { currentPassword: OLD, newPassword: 'short' })).json().error.code).toBe(
      'INVALID_INPUT',
    );
    expect((await change(session, { currentPassword: OLD, newPassword: OLD })).json().error.code).toBe(
      'INVALID_INPUT',
    );
    expect((await login(OLD)).status).toBe(200);
  });

  it('changes it, keeps this session, ends the others, and the old password stops working', async () => {
    const mine = await login(OLD);
    const other = await login(OLD);
    const changed = await change(mine, { currentPassword: OLD, newPassword: NEW });
    expect(changed.json()).toEqual({ changed: true });
    expect((await status(mine.cookie)).statusCode).toBe(200);
    expect((await status(other.cookie)).statusCode).toBe(401);
    expect((await login(OLD)).code).toBe('SERVER_ADMIN_LOGIN_FAILED');
    expect((await login(NEW)).status).toBe(200);
    const audit = server.leases.audit({ action: 'admin.password-changed' });
    expect(audit).toHaveLength(1);
  });

  it('limits wrong current passwords like logins: the sixth try in a minute is 429, and changes nothing', async () => {
    const session = await login(NEW);
    const failuresBefore = server.leases.audit({ action: 'admin.password-change-failed' }).length;
    const from = (currentPassword: string) =>
      app.inject({
        method: 'PUT',
        url: '/v1/admin/password',
        remoteAddress: '127.5.5.5',
        headers: { cookie: session.cookie as string, 'x-csrf-token': session.csrf as string },
        payload: { currentPassword, newPassword: 'yet another long password' },
      });
    for (let i = 0; i < 5; i++)
      expect((await from('a wrong guess')).json().error.code).toBe('SERVER_ADMIN_PASSWORD_WRONG');
    const limited = await from(NEW);
    expect([limited.statusCode, limited.json().error.code]).toEqual([429, 'SERVER_ADMIN_LOGIN_LIMITED']);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await login(NEW)).status).toBe(200);
    expect(server.leases.audit({ action: 'admin.password-change-failed' })).toHaveLength(failuresBefore + 5);
  });
});

describe('GET /docs', () => {
  it('lists every admin route for people, with no script or inline style, under the strict CSP', async () => {
    const { server } = await syncedLocalServer([CAD]);
    const app = buildServerApp(server);
    try {
      const page = await app.inject({ url: '/docs' });
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.headers['content-security-policy']).toContain("default-src 'self'");
      const { paths } = adminOpenApi();
      for (const [path, operations] of Object.entries(paths))
        for (const method of Object.keys(operations))
          expect(page.body, `${method} ${path}`).toMatch(
            new RegExp(`<tr><td>${method.toUpperCase()}</td><td><code>${path}</code></td>`),
          );
      expect(Object.values(paths).flatMap((p) => Object.keys(p))).toHaveLength(adminRoutes.length);
      // Body fields, query parameters and the answer's fields, from the OpenAPI document.
      expect(page.body).toContain('<code>newPassword</code>: string, 12–1024 characters');
      expect(page.body).toContain('<code>days</code>: integer, 1–366, default 30');
      expect(page.body).toContain('<code>bucket</code>: hour | day');
      expect(page.body).toContain('<code>denials</code>: integer');
      expect(page.body).not.toMatch(/<script|style=|<style/i);
      const css = await app.inject({ url: '/docs/docs.css' });
      expect([css.statusCode, css.headers['content-type']]).toEqual([200, 'text/css; charset=utf-8']);
      expect(page.body).toContain('<link rel="stylesheet" href="/docs/docs.css">');
    } finally {
      await app.close();
      server.close();
    }
  });
});
