import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, type Daemon, daemon, leasehold } from '../support/leasehold.ts';
import { LocalServerHandle, World } from '../support/world.ts';

describe('the admin API of a running local server, used with an API token (M1; docs/admin-api.md)', () => {
  let world: World;
  let local: LocalServerHandle;
  let serving: Daemon;
  let generatedPassword: string;
  let token: string;
  // Answers are untyped JSON: the assertions check them.
  const body = async (response: Response): Promise<any> => response.json();
  const url = (path: string) => `${serving.info.url}${path}`;
  const admin = (path: string, init: RequestInit = {}) =>
    fetch(url(path), { ...init, headers: { authorization: `Bearer ${token}`, ...init.headers } });

  beforeAll(async () => {
    world = await World.start();
    const id = await world.createServerId();
    await world.addLicense(id, '--component', 'Analysis=5');
    const dataDir = join(world.root, 'server');
    const init = await leasehold([
      'server',
      'init',
      '--data-dir',
      dataDir,
      '--id',
      id,
      '--central-url',
      'http://127.0.0.1',
      '--central-ports',
      `${world.ports.primary}`,
      '--vendor-keys',
      world.vendorKeysFile,
      '--admin-user',
      'root',
      '--plain-http',
      '--plain-http-central',
      '--json',
    ]);
    expect(init.code, init.stderr).toBe(0);
    expect(init.json.admin.user).toBe('root');
    generatedPassword = init.json.admin.generatedPassword;
    local = new LocalServerHandle(dataDir, init.json.serverKeyId, world);
    expect((await local.sync()).code).toBe(0);
    const created = await local.run(['admin', 'token', 'create', '--name', 'ops-script', '--json']);
    expect(created.code, created.stderr).toBe(0);
    token = created.json.token;
    serving = await daemon(['server', 'serve', '--data-dir', dataDir, '--port', '0', '--host', '127.0.0.1']);
  }, 120_000);
  afterAll(async () => {
    await serving?.stop();
    await world?.stop();
  });

  it('prints the generated admin password once and stores only its hash', async () => {
    expect(generatedPassword).toMatch(/^[\w-]{24}$/);
    const login = await fetch(url('/v1/admin/session'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'root', password: generatedPassword }),
    });
    expect(login.status).toBe(200);
    expect(login.headers.get('set-cookie')).toContain('HttpOnly; SameSite=Strict');
  });

  it('answers status with the token, and refuses without it', async () => {
    const status = await admin('/v1/admin/status');
    expect(status.status).toBe(200);
    expect(await body(status)).toMatchObject({ synchronized: true, allocationVersion: 1 });
    const anonymous = await fetch(url('/v1/admin/status'));
    expect(anonymous.status).toBe(401);
    expect((await body(anonymous)).error.code).toBe('SERVER_ADMIN_AUTH_REQUIRED');
  });

  it('force-releases a lease taken by an application; the audit log shows it', async () => {
    const taken = await fetch(url('/v1/leases'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ components: ['Analysis'], user: 'ann', computer: 'ws-1' }),
    });
    expect(taken.status).toBe(201);
    const leaseId = (await body(taken)).lease.id;
    const users = await body(await admin('/v1/admin/users'));
    expect(users.users).toEqual([expect.objectContaining({ user: 'ann', kind: 'floating', leaseId })]);

    const released = await admin(`/v1/admin/leases/${leaseId}`, { method: 'DELETE' });
    expect(await body(released)).toEqual({ released: leaseId });
    const audit = await body(await admin('/v1/admin/audit?action=lease.force-released'));
    expect(audit.entries).toEqual([
      expect.objectContaining({ action: 'lease.force-released', leaseId, user: 'ann' }),
    ]);
    const components = await body(await admin('/v1/admin/components'));
    expect(
      components.components.find((c: { component: string }) => c.component === 'Analysis'),
    ).toMatchObject({
      inUse: 0,
      maxUsers: 5,
      free: 5,
    });
  });

  it('shows the usage history the Manager charts, over the API and as `server history`', async () => {
    const api = await body(await admin('/v1/admin/history?days=1'));
    const cli = await local.run(['history', '--days', '1', '--json']);
    expect(cli.code, cli.stderr).toBe(0);
    for (const doc of [api, cli.json]) {
      expect(doc.bucket).toBe('hour');
      const analysis = doc.components.find((c: { component: string }) => c.component === 'Analysis');
      expect(analysis.points).toHaveLength(24);
      // The lease the test before took (and the admin released) left its peak.
      expect(Math.max(...analysis.points.map((p: { peak: number }) => p.peak))).toBe(1);
    }
    const table = await local.run(['history', '--days', '1']);
    expect(table.stdout).toMatch(/Analysis/);
    const bad = await local.run(['history', '--days', '0', '--json']);
    expect(bad.json.error.code).toBe('INVALID_INPUT');
  });

  it('stops accepting the token once revoked from the command line', async () => {
    const listed = await local.run(['admin', 'token', 'list', '--json']);
    expect(listed.json.tokens).toEqual([expect.objectContaining({ name: 'ops-script', revokedAt: null })]);
    expect(listed.stdout).not.toContain(token);
    expect((await local.run(['admin', 'token', 'revoke', 'ops-script', '--json'])).json).toEqual({
      revoked: 'ops-script',
    });
    expect((await admin('/v1/admin/status')).status).toBe(401);
  });

  it('sets a new admin password from a file on the server itself; the old one stops working', async () => {
    const file = join(world.root, 'new-password');
    writeFileSync(file, 'short\n', { mode: 0o600 });
    const refused = await local.run(['admin', 'password', '--password-file', file, '--json']);
    expect(refused.json.error.code).toBe('INVALID_INPUT');
    writeFileSync(file, 'a new password for root\n', { mode: 0o600 });
    const changed = await local.run(['admin', 'password', '--password-file', file, '--json']);
    expect(changed.json).toMatchObject({ user: 'root', changed: true });
    const login = (password: string) =>
      fetch(url('/v1/admin/session'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user: 'root', password }),
      });
    expect((await login(generatedPassword)).status).toBe(401);
    expect((await login('a new password for root')).status).toBe(200);

    // Without --password-file it reads the first line of standard input (never an argument).
    const piped = spawnSync(
      process.execPath,
      [BIN, 'server', 'admin', 'password', '--data-dir', local.dataDir, '--json'],
      {
        input: 'piped in through stdin\nignored second line\n',
        encoding: 'utf8',
        env: { ...process.env, ...world.env },
      },
    );
    expect(piped.status, piped.stderr).toBe(0);
    expect(JSON.parse(piped.stdout)).toMatchObject({ user: 'root', changed: true, sessionsEnded: 1 });
    expect((await login('a new password for root')).status).toBe(401);
    expect((await login('piped in through stdin')).status).toBe(200);
  });

  it('`server audit verify` passes on the real log, and names the entry someone edited behind its back', async () => {
    const intact = await local.run(['audit', 'verify', '--json']);
    expect(intact.code, intact.stderr).toBe(0);
    expect(intact.json.ok).toBe(true);
    const db = new Database(join(local.dataDir, 'server.db'));
    try {
      db.exec('drop trigger audit_append_only_update');
      db.prepare("update audit_log set user_name = 'mallory' where id = 2").run();
    } finally {
      db.close();
    }
    const broken = await local.run(['audit', 'verify', '--json']);
    expect(broken.code).not.toBe(0);
    expect(broken.json.error.code).toBe('AUDIT_CHAIN_BROKEN');
    expect(broken.json.error.message).toContain('entry 2');
  });
});
