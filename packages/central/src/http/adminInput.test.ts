import { generatePartyKeys, ManualClock } from '@leasehold/protocol';
import type { FastifyInstance } from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../admin/tokens.ts';
import { backends, useTestDatabase } from '../test-support/databases.ts';
import { buildCentralApp } from './app.ts';

const TOKEN = 'bootstrap-token-0123456789';

describe.each(backends)('admin input no operation can use, on $name', (backend) => {
  let app: FastifyInstance;
  const database = useTestDatabase(backend, async (database) => {
    app = buildCentralApp({
      db: database.store.db,
      clock: new ManualClock('2026-03-01T10:00:00Z'),
      vendorKeys: await generatePartyKeys(),
      adminTokenSha256: sha256Hex(TOKEN),
    });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
  });
  const call = (method: 'GET' | 'POST', url: string, payload?: unknown) =>
    app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${TOKEN}` },
      ...(payload ? { payload } : {}),
    });

  it('refuses a NUL character anywhere, and a repeated query parameter, with 400 INVALID_INPUT, storing nothing', async () => {
    const refused = [
      await call('POST', '/v1/admin/server-ids', { customer: 'a\u0000b' }),
      await call('POST', '/v1/admin/server-ids', { customer: 'ok', nested: [{ deep: ['\u0000'] }] }),
      await call('GET', '/v1/admin/server-ids/LS-AAAA-%00AA-AAAA'),
      await call('GET', '/v1/admin/audit?serverId=%00'),
      await call('GET', '/v1/admin/audit?serverId=a&serverId=b'),
      await call('GET', '/v1/admin/server-ids/LS-AAAA-AAAA-AAAA/usage?from=2026-01-01&from=2026-02-01'),
    ];
    for (const res of refused) {
      expect([res.statusCode, res.json().error.code], res.body).toEqual([400, 'INVALID_INPUT']);
    }
    const ids = await database().store.db.selectFrom('license_server_ids').select('id').execute();
    expect(ids).toEqual([]);
    // Without a token the same request is refused for that, first.
    const anonymous = await app.inject({ method: 'GET', url: '/v1/admin/audit?serverId=a&serverId=b' });
    expect(anonymous.statusCode).toBe(401);
  });
});
