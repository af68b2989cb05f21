import { generatePartyKeys, ManualClock } from '@leasehold/protocol';
import type { FastifyInstance } from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../admin/tokens.ts';
import { backends, useTestDatabase } from '../test-support/databases.ts';
import { buildCentralApp } from './app.ts';
import { adminPolicies } from './policies.ts';

describe.each(backends)('the vendor admin API documentation on $name', (backend) => {
  let app: FastifyInstance;
  // Every route the app serves, as it is registered (the admin routes register when the app is readied).
  const registered: Array<{ method: string; url: string }> = [];

  useTestDatabase(backend, async (database) => {
    app = buildCentralApp({
      db: database.store.db,
      clock: new ManualClock('2026-03-01T10:00:00Z'),
      vendorKeys: await generatePartyKeys(),
      adminTokenSha256: sha256Hex('bootstrap-token-0123456789'),
    });
    app.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) registered.push({ method, url: route.url });
    });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('lists every registered admin route in the OpenAPI document, and nothing else', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/admin/openapi.json' });
    expect(res.statusCode).toBe(200);
    const document = res.json();
    expect(document.openapi).toBe('3.1.0');
    const documented = Object.entries(document.paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, operations]) => Object.keys(operations).map((m) => `${m.toUpperCase()} ${path}`),
    );
    const admin = registered
      .filter(
        (r) => r.url.startsWith('/v1/admin/') && r.url !== '/v1/admin/openapi.json' && r.method !== 'HEAD',
      )
      .map((r) => `${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`);
    expect(admin.length).toBe(adminPolicies.length);
    expect(documented.sort()).toEqual([...new Set(admin)].sort());
    const create = document.paths['/v1/admin/server-ids'].post;
    expect(create.requestBody.content['application/json'].schema.properties).toHaveProperty('customer');
  });

  it('serves /docs as HTML with no script and nothing from elsewhere, naming every route', async () => {
    const res = await app.inject({ method: 'GET', url: '/docs' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toMatch(/unsafe-inline|script-src/);
    expect(res.body).not.toMatch(/<script|\s(src|href)="?(https?:)?\/\/|<link|\son[a-z]+=/i);
    for (const { method, url } of adminPolicies)
      expect(res.body).toContain(`${method}</span> <code>${url}</code>`);
  });

  it('needs no token for the documentation', async () => {
    for (const url of ['/docs', '/v1/admin/openapi.json']) {
      expect((await app.inject({ method: 'GET', url })).statusCode, url).toBe(200);
    }
  });
});
