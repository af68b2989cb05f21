import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { World } from '../support/world.ts';

/** C1, S3, S4 through the real `leasehold` program, with `central serve` holding the embedded database. */
describe('vendor admin tokens, health endpoints and one-time activation codes', () => {
  let world: World;
  let baseUrl: string;

  beforeAll(async () => {
    world = await World.start();
    baseUrl = `http://127.0.0.1:${world.ports.primary}`;
  });
  afterAll(() => world?.stop());

  const admin = (token: string, method = 'GET', path = '/v1/admin/server-ids') =>
    fetch(`${baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(method === 'GET' ? {} : { body: '{}' }),
    });

  it('answers /healthz and /readyz on both ports', async () => {
    for (const port of [world.ports.primary, world.ports.fallback]) {
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect([ready.status, await ready.json()]).toEqual([200, { ok: true, database: 'reachable' }]);
    }
  });

  it('creates a named token shown once, lists it without the secret, and revokes it for good', async () => {
    const created = await world.vendor(['token', 'create', '--name', 'ci-deploy', '--json']);
    expect(created.code, created.stderr).toBe(0);
    const { token } = created.json;
    expect(created.json).toMatchObject({ name: 'ci-deploy', role: 'admin' });
    expect((await admin(token)).status).toBe(200);

    const listed = await world.vendor(['token', 'list', '--json']);
    expect(listed.json.tokens).toEqual([expect.objectContaining({ name: 'ci-deploy', revokedAt: null })]);
    expect(listed.stdout).not.toContain(token);
    const human = await world.vendor(['token', 'list']);
    expect(human.stdout).toMatch(/ci-deploy\s+admin/);

    const again = await world.vendor(['token', 'create', '--name', 'ci-deploy', '--json']);
    expect(again.json.error.code).toBe('ADMIN_TOKEN_EXISTS');

    const revoked = await world.vendor(['token', 'revoke', 'ci-deploy']);
    expect(revoked.stdout).toContain('admin token ci-deploy revoked');
    const refused = await admin(token);
    expect([refused.status, ((await refused.json()) as any).error.code]).toEqual([
      401,
      'ADMIN_AUTH_REQUIRED',
    ]);
    // The bootstrap token from `central init` is what these commands used, and it still works.
    const ids = await world.vendor(['server-id', 'list', '--json']);
    expect(ids.code, ids.stderr).toBe(0);
  });

  it('gives a reader token the reads and refuses it every change with ADMIN_FORBIDDEN', async () => {
    const created = await world.vendor([
      'token',
      'create',
      '--name',
      'dashboard',
      '--role',
      'reader',
      '--json',
    ]);
    expect(created.code, created.stderr).toBe(0);
    expect((await admin(created.json.token)).status).toBe(200);
    const write = await admin(created.json.token, 'POST');
    expect([write.status, ((await write.json()) as any).error.code]).toEqual([403, 'ADMIN_FORBIDDEN']);
    const bad = await world.vendor(['token', 'create', '--name', 'x', '--role', 'root', '--json']);
    expect(bad.json.error.code).toBe('INVALID_INPUT');
  });

  it('refuses a used activation code after the binding is cleared and binds with the new one printed once', async () => {
    const created = await world.vendor(['server-id', 'create', '--activation-code', '--json']);
    const { id, activationCode } = created.json;
    await world.addLicense(id);
    const first = await world.localServer(id, {
      name: 'coded-1',
      initArgs: ['--activation-code', activationCode],
    });
    expect((await first.sync()).code).toBe(0);

    const cleared = await world.vendor([
      'binding',
      'clear',
      '--server-id',
      id,
      '--reason',
      'machine replaced',
    ]);
    expect(cleared.code, cleared.stderr).toBe(0);
    const fresh = /new activation code: (\S+) \(shown once/.exec(cleared.stdout)?.[1] as string;
    expect(fresh).toBeTruthy();
    expect(fresh).not.toBe(activationCode);

    const reused = await world.localServer(id, {
      name: 'coded-2',
      initArgs: ['--activation-code', activationCode],
    });
    const refused = await reused.sync();
    expect(refused.json.error.code).toBe('ACTIVATION_CODE_USED');
    expect(refused.stderr).toContain('ask the vendor for the new code');

    const next = await world.localServer(id, { name: 'coded-3', initArgs: ['--activation-code', fresh] });
    const sync = await next.sync();
    expect(sync.code, sync.stderr).toBe(0);
    const shown = await world.vendor(['server-id', 'show', id, '--json']);
    expect(shown.json.binding.serverKeyId).toBe(next.serverKeyId);
    expect(JSON.stringify(shown.json)).not.toContain(fresh);
  });
});
