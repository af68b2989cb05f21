import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, type CliResult, type Daemon, daemon } from '../support/leasehold.ts';
import { ConnectProxy } from '../support/proxy.ts';
import { World } from '../support/world.ts';

/**
 * Log hygiene (docs/security.md, Secrets at rest and in logs): a whole scenario — init with an admin
 * password, a proxy with credentials, syncs through it, leases, admin logins (one wrong), a session,
 * an API token — with both servers logging at debug level, and then every line any program wrote is
 * searched for every secret.
 */
const DEBUG = { LEASEHOLD_LOG_LEVEL: 'debug' };
const ADMIN_PASSWORD = 'Admin-Pass-7f3a9c1e-never-logged';
const WRONG_PASSWORD = 'Wrong-Guess-2b8d4e6f-never-logged';
const PROXY_USER = 'proxyuser';
const PROXY_PASSWORD = 'Proxy-Pass-5c1d9a7b-never-logged';

/** Runs the program with a line on standard input (the `--…-stdin` options). */
function leaseholdWithInput(args: string[], input: string, env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, HTTPS_PROXY: '', HTTP_PROXY: '', https_proxy: '', http_proxy: '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      let json: unknown;
      try {
        json = JSON.parse(stdout);
      } catch {}
      resolve({ code: code ?? -1, stdout, stderr, json });
    });
    child.stdin.end(`${input}\n`);
  });
}

async function readyUrl(running: Daemon): Promise<string> {
  for (let waited = 0; waited < 30_000; waited += 100) {
    const line = running
      .output()
      .split('\n')
      .find((l) => l.startsWith('{"listening"'));
    if (line) return JSON.parse(line).url;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no ready line: ${running.output().slice(0, 500)}`);
}

/** Every private key parameter (`d`) in the JSON files under a folder: the key material itself. */
function privateKeyMaterial(folder: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(folder)) {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) found.push(...privateKeyMaterial(path));
    else if (name.endsWith('.json')) {
      const text = readFileSync(path, 'utf8');
      for (const match of text.matchAll(/"d"\s*:\s*"([A-Za-z0-9_-]{20,})"/g)) found.push(match[1] as string);
    }
  }
  return found;
}

describe('no secret in any log line of a whole scenario', () => {
  let world: World;
  let proxy: ConnectProxy;
  let serving: Daemon;
  let leaseId = '';
  const logs: Array<{ source: string; text: string }> = [];
  const secrets: Record<string, string> = {
    'admin password': ADMIN_PASSWORD,
    'a wrong password tried': WRONG_PASSWORD,
    'proxy password': PROXY_PASSWORD,
    'proxy Basic credentials': Buffer.from(`${PROXY_USER}:${PROXY_PASSWORD}`).toString('base64'),
  };
  const record = (source: string, result: CliResult) => {
    expect(result.code, `${source}: ${result.stderr}`).toBe(0);
    logs.push({ source, text: result.stderr });
  };

  beforeAll(async () => {
    world = await World.start();
    await world.stop();
    world.env = DEBUG;
    await world.startCentral();
    const id = await world.createServerId('Log Hygiene');
    await world.addLicense(id);
    proxy = await new ConnectProxy({ username: PROXY_USER, password: PROXY_PASSWORD }).start();
    // world.localServer cannot give a password on standard input: init here, with one.
    const dataDir = join(world.root, 'hygiene');
    const init = await leaseholdWithInput(
      [
        'server',
        'init',
        '--data-dir',
        dataDir,
        '--id',
        id,
        '--central-url',
        'http://127.0.0.1',
        '--central-ports',
        `${world.ports.primary},${world.ports.fallback}`,
        '--vendor-keys',
        world.vendorKeysFile,
        '--plain-http',
        '--plain-http-central',
        '--admin-user',
        'root',
        '--admin-password-stdin',
        '--json',
      ],
      ADMIN_PASSWORD,
      DEBUG,
    );
    record('server init', init);
    logs.push({ source: 'server init (stdout)', text: init.stdout });
    const run = (args: string[]) => leaseholdWithInput(['server', ...args, '--data-dir', dataDir], '', DEBUG);
    record(
      'proxy set',
      await leaseholdWithInput(
        [
          'server',
          'proxy',
          'set',
          proxy.url,
          '--user',
          PROXY_USER,
          '--password-stdin',
          '--data-dir',
          dataDir,
          '--json',
        ],
        PROXY_PASSWORD,
        DEBUG,
      ),
    );
    const sync = await run(['sync', '--json']);
    record('server sync', sync);
    expect(proxy.tunnels.length).toBeGreaterThan(0);
    logs.push({ source: 'server status', text: (await run(['status', '--json'])).stdout });

    serving = await daemon(
      ['server', 'serve', '--data-dir', dataDir, '--port', '0', '--host', '127.0.0.1'],
      DEBUG,
    );
    // At debug level a log line can come before the ready line daemon() takes for it: find the latter.
    const url = await readyUrl(serving);
    const activated = await fetch(`${url}/v1/leases`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ components: ['Base'], user: 'ann', computer: 'pc-ann' }),
    });
    const { lease } = (await activated.json()) as { lease: { id: string } };
    leaseId = lease.id;
    await fetch(`${url}/v1/leases/${lease.id}/renew`, { method: 'POST' });
    const wrong = await fetch(`${url}/v1/admin/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'root', password: WRONG_PASSWORD }),
    });
    expect(wrong.status).toBe(401);
    const login = await fetch(`${url}/v1/admin/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'root', password: ADMIN_PASSWORD }),
    });
    expect(login.status).toBe(200);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const { csrfToken } = (await login.json()) as { csrfToken: string };
    secrets['session id'] = cookie.slice(cookie.indexOf('=') + 1);
    secrets['CSRF token'] = csrfToken;
    const session = { cookie, 'x-csrf-token': csrfToken };
    const created = await fetch(`${url}/v1/admin/tokens`, {
      method: 'POST',
      headers: { ...session, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'script' }),
    });
    expect(created.status).toBe(201);
    const { token } = (await created.json()) as { token: string };
    secrets['API token'] = token;
    const bearer = { authorization: `Bearer ${token}` };
    expect((await fetch(`${url}/v1/admin/status`, { headers: bearer })).status).toBe(200);
    expect((await fetch(`${url}/v1/admin/sync`, { method: 'POST', headers: bearer })).status).toBe(200);
    expect((await fetch(`${url}/v1/admin/proxy`, { headers: bearer })).status).toBe(200);
    await fetch(`${url}/v1/leases/${lease.id}`, { method: 'DELETE' });
    await fetch(`${url}/v1/admin/session`, { method: 'DELETE', headers: session });

    secrets['central admin token'] = readFileSync(join(world.centralDir, 'admin-token'), 'utf8').trim();
    const vendorShow = await world.vendor(['server-id', 'show', id, '--json']);
    logs.push({ source: 'central server-id show (stderr)', text: vendorShow.stderr });
    for (const [i, d] of privateKeyMaterial(dataDir).entries()) secrets[`local server private key ${i}`] = d;
    for (const [i, d] of privateKeyMaterial(world.centralDir).entries())
      secrets[`vendor private key ${i}`] = d;
  }, 180_000);

  afterAll(async () => {
    await serving?.stop();
    await world?.stop();
    await proxy?.stop();
  });

  it('logged the scenario at debug level (so the search below searched something)', () => {
    logs.push({ source: 'local server serve', text: serving.output() });
    logs.push({ source: 'central server serve', text: world.central.output() });
    const all = logs.map((l) => l.text).join('\n');
    expect(all).toContain('/v1/admin/session');
    expect(all).toContain('/v1/sync');
    // Request URLs are logged: a secret carried in one would be found.
    expect(all).toContain(leaseId);
    expect(Object.keys(secrets).filter((k) => k.includes('private key')).length).toBeGreaterThanOrEqual(4);
  });

  it('shows no password, session id, CSRF token, API token, admin token or private key in any of it', () => {
    const leaks: string[] = [];
    for (const [what, secret] of Object.entries(secrets)) {
      expect(secret.length, what).toBeGreaterThan(8);
      for (const log of logs) if (log.text.includes(secret)) leaks.push(`${what} in ${log.source}`);
    }
    expect(leaks).toEqual([]);
    expect(logs.map((l) => l.text).join('\n')).not.toMatch(/PRIVATE KEY-----/);
  });
});
