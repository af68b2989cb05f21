import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedCertificate } from '../../../../test/support/certificates.ts';
import type { LocalServer } from '../localServer.ts';
import { syncedLocalServer } from '../test-support/localServer.ts';
import { license } from '../test-support/syncedServer.ts';
import { buildServerApp } from './app.ts';
import { CONTENT_SECURITY_POLICY } from './securityHeaders.ts';

/** A dist folder as `vite build` writes it, plus a secret beside it that must never be served. */
function fakeDist(): string {
  const root = mkdtempSync(join(tmpdir(), 'leasehold-manager-dist-'));
  writeFileSync(join(root, 'server.json'), '{"secret":true}');
  const dist = join(root, 'dist');
  mkdirSync(join(dist, 'assets'), { recursive: true });
  writeFileSync(join(dist, 'index.html'), '<!doctype html><title>Manager</title>');
  writeFileSync(join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(dist, 'assets', 'index-Ab12Cd34.js'), 'console.log(1)');
  writeFileSync(join(dist, 'assets', 'index-Ef56Gh78.css'), 'body{}');
  symlinkSync(join(root, 'server.json'), join(dist, 'linked.json'));
  return dist;
}

describe('the Manager UI served under /manager/ (M1)', () => {
  let server: LocalServer;
  let app: ReturnType<typeof buildServerApp>;
  let unbuilt: ReturnType<typeof buildServerApp>;
  const get = (url: string, on = app) => on.inject({ method: 'GET', url });

  beforeAll(async () => {
    ({ server } = await syncedLocalServer([license({ components: [{ name: 'Base', seats: 2 }] })]));
    app = buildServerApp(server, { managerDistDir: fakeDist() });
    unbuilt = buildServerApp(server, { managerDistDir: join(tmpdir(), 'leasehold-no-such-dist') });
  });
  afterAll(async () => {
    await app?.close();
    await unbuilt?.close();
    server?.close();
  });

  it('serves index.html at /manager/ with no-store, and redirects /manager there', async () => {
    const index = await get('/manager/');
    expect(index.statusCode).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.headers['cache-control']).toBe('no-store');
    expect(index.body).toContain('<title>Manager</title>');
    const bare = await get('/manager');
    expect(bare.statusCode).toBe(301);
    expect(bare.headers.location).toBe('/manager/');
  });

  it('serves hashed assets as immutable with their content types', async () => {
    const script = await get('/manager/assets/index-Ab12Cd34.js');
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(script.body).toBe('console.log(1)');
    const style = await get('/manager/assets/index-Ef56Gh78.css?v=1');
    expect(style.headers['content-type']).toBe('text/css; charset=utf-8');
    const icon = await get('/manager/favicon.svg');
    expect(icon.headers['content-type']).toBe('image/svg+xml');
    expect(icon.headers['cache-control']).toBe('no-cache');
  });

  it('answers app pages (no dot in the last segment) with index.html, and unknown files with 404', async () => {
    for (const page of ['/manager/sync', '/manager/history/', '/manager/a/b']) {
      const answer = await get(page);
      expect(answer.statusCode, page).toBe(200);
      expect(answer.body).toContain('<title>Manager</title>');
    }
    const missing = await get('/manager/assets/gone-123.js');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('NOT_FOUND');
  });

  it('never reaches a file outside the map: traversal, encoded traversal, symlinks', async () => {
    for (const path of [
      '/manager/../server.json',
      '/manager/%2e%2e/server.json',
      '/manager/assets/..%2f..%2fserver.json',
      '/manager/linked.json',
    ]) {
      const answer = await get(path);
      expect(answer.body, path).not.toContain('secret');
    }
    expect((await get('/manager/linked.json')).statusCode).toBe(404);
  });

  it('answers 503 MANAGER_NOT_BUILT, with the fix, when the UI is not built', async () => {
    const answer = await get('/manager/', unbuilt);
    expect(answer.statusCode).toBe(503);
    expect(answer.json().error.code).toBe('MANAGER_NOT_BUILT');
    expect(answer.json().error.message).toContain('npm run build');
    expect((await get('/manager/sync', unbuilt)).statusCode).toBe(503);
  });

  it('sends the security headers on every response: pages, API answers, errors and 404s', async () => {
    const answers = [
      await get('/manager/'),
      await get('/healthz'),
      await get('/v1/admin/status'),
      await get('/no/such/route'),
      await app.inject({ method: 'POST', url: '/v1/leases', payload: { nonsense: true } }),
    ];
    for (const answer of answers) {
      expect(answer.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
      expect(answer.headers['referrer-policy']).toBe('no-referrer');
      expect(answer.headers['x-frame-options']).toBe('DENY');
      expect(answer.headers['strict-transport-security']).toBeUndefined();
    }
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 401, 404, 400]);
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-inline');
  });

  it('adds Strict-Transport-Security when the app serves TLS', async () => {
    const pem = selfSignedCertificate(mkdtempSync(join(tmpdir(), 'leasehold-manager-tls-')));
    const https = { cert: readFileSync(pem.cert), key: readFileSync(pem.key) };
    const tlsApp = buildServerApp(server, { https, managerDistDir: fakeDist() });
    try {
      const answer = await tlsApp.inject({ method: 'GET', url: '/manager/' });
      expect(answer.headers['strict-transport-security']).toBe('max-age=31536000');
      expect(answer.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    } finally {
      await tlsApp.close();
    }
  });
});
