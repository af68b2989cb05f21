import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedCertificate } from '../support/certificates.ts';
import { type CliResult, closedPort, DAY_MS, stableStatus, tempDir } from '../support/leasehold.ts';
import { ConnectProxy } from '../support/proxy.ts';
import { type LocalServerHandle, World } from '../support/world.ts';

/** `step → status[ CODE]` for every step of a `diagnose --json` run. */
function statuses(result: CliResult): Record<string, string> {
  const steps: Array<{ step: string; status: string; code?: string }> = result.json.steps;
  return Object.fromEntries(steps.map((s) => [s.step, s.code ? `${s.status} ${s.code}` : s.status]));
}
const stepOf = (result: CliResult, step: string) =>
  (result.json.steps as Array<{ step: string; detail: string; fix?: string }>).find((s) => s.step === step);
const diagnose = (server: LocalServerHandle, env: NodeJS.ProcessEnv = {}) =>
  server.run(['diagnose', '--json'], env);

describe('`leasehold server diagnose` checks each link to the central server, changing nothing (S9)', () => {
  let world: World;
  let id: string;
  let bound: LocalServerHandle;
  const history = async () => (await world.vendor(['server-id', 'show', id, '--json'])).json;

  beforeAll(async () => {
    world = await World.start();
    id = await world.createServerId();
    await world.addLicense(id);
    bound = await world.localServer(id, { name: 'bound' });
    const sync = await bound.sync();
    if (sync.code !== 0) throw new Error(sync.stderr);
  });
  afterAll(() => world?.stop());

  it('passes every step for a bound server, and neither side changes', async () => {
    const before = await history();
    const localBefore = stableStatus(await bound.status());
    const result = await diagnose(bound);
    expect(result.code, result.stderr).toBe(0);
    expect(statuses(result)).toEqual({
      dns: 'skipped',
      [`tcp:${world.ports.primary}`]: 'passed',
      [`tcp:${world.ports.fallback}`]: 'passed',
      tls: 'skipped',
      protocol: 'passed',
      clock: 'passed',
      binding: 'passed',
    });
    expect(stepOf(result, 'binding')?.detail).toContain(
      `bound to this server's key ${bound.serverKeyId.slice(0, 12)}`,
    );
    expect(await history()).toEqual(before);
    expect(stableStatus(await bound.status())).toEqual(localBefore);

    const human = await bound.run(['diagnose']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/passed\s+protocol/);
    expect(human.stdout).toContain('every step passed');
  });

  it('fails the binding step with SERVER_ID_IN_USE for a server with other keys, and binds nothing', async () => {
    const other = await world.localServer(id, { name: 'reinstalled' });
    const before = await history();
    const result = await diagnose(other);
    expect(result.code).not.toBe(0);
    expect(statuses(result).binding).toBe('failed SERVER_ID_IN_USE');
    expect(stepOf(result, 'binding')?.fix).toContain('ask the vendor to clear the binding');
    expect(result.stderr).toContain('binding (SERVER_ID_IN_USE)');
    const after = await history();
    expect(after.syncHistory).toHaveLength(before.syncHistory.length);
    expect(after).toEqual(before);
    expect(after.binding.serverKeyId).toBe(bound.serverKeyId);
  });

  it('fails the binding step with SERVER_ID_UNKNOWN for an id the central server does not know', async () => {
    const stranger = await world.localServer('LS-ZZZZ-ZZZZ-ZZZ0', { name: 'stranger' });
    const result = await diagnose(stranger);
    expect(result.code).not.toBe(0);
    expect(statuses(result)).toMatchObject({ protocol: 'passed', binding: 'failed SERVER_ID_UNKNOWN' });
    expect(stepOf(result, 'binding')?.fix).toContain('check the id against what your vendor sent');
  });

  it('fails both ports with PORTS_BLOCKED when neither can be reached, and skips the later steps', async () => {
    const [a, b] = [await closedPort(), await closedPort()];
    const blocked = await world.localServer(id, { name: 'blocked', ports: [a, b] });
    const result = await diagnose(blocked);
    expect(result.code).not.toBe(0);
    expect(statuses(result)).toEqual({
      dns: 'skipped',
      [`tcp:${a}`]: 'failed PORTS_BLOCKED',
      [`tcp:${b}`]: 'failed PORTS_BLOCKED',
      tls: 'skipped',
      protocol: 'skipped',
      clock: 'skipped',
      binding: 'skipped',
    });
    expect(stepOf(result, `tcp:${a}`)?.fix).toContain('open outbound TCP 443 or 8080');
    expect(stepOf(result, 'binding')?.detail).toContain('no port of the central server can be reached');
  });

  it('fails the DNS step with DNS_FAILED for a host that does not resolve', async () => {
    const lost = await world.localServer(id, { name: 'lost', centralUrl: 'https://central.invalid' });
    const result = await diagnose(lost);
    expect(result.code).not.toBe(0);
    expect(statuses(result).dns).toBe('failed DNS_FAILED');
    expect(stepOf(result, 'dns')?.detail).toContain('central.invalid cannot be resolved');
    const later = (result.json.steps as Array<{ status: string }>).slice(1);
    expect(later.every((s) => s.status === 'skipped')).toBe(true);
  });

  it('fails the clock step with CLOCK_SKEW when this clock is days off, and still checks the binding', async () => {
    const result = await diagnose(bound, { LEASEHOLD_CLOCK_OFFSET_MS: String(-2 * DAY_MS) });
    expect(result.code).not.toBe(0);
    expect(statuses(result)).toMatchObject({ clock: 'failed CLOCK_SKEW', binding: 'passed' });
    expect(stepOf(result, 'clock')?.fix).toContain('check NTP');
  });

  describe('through a proxy (S7)', () => {
    let proxied: LocalServerHandle;
    let proxy: ConnectProxy;
    let locked: ConnectProxy;

    beforeAll(async () => {
      // An id of its own, not bound yet: the binding step passes without a sync.
      proxied = await world.localServer(await world.createServerId(), { name: 'proxied' });
      proxy = await new ConnectProxy().start();
      locked = await new ConnectProxy({ username: 'alice', password: 'secret' }).start();
    });
    afterAll(async () => {
      await proxy?.stop();
      await locked?.stop();
    });

    it('reaches each port through the proxy and reports it', async () => {
      expect((await proxied.run(['proxy', 'set', proxy.url])).code).toBe(0);
      const result = await diagnose(proxied);
      expect(result.code, result.stderr).toBe(0);
      expect(result.json.proxy).toBe(proxy.url);
      expect(stepOf(result, `tcp:${world.ports.primary}`)?.detail).toContain('through the proxy');
      expect(proxy.tunnels).toContain(`127.0.0.1:${world.ports.primary}`);
    });

    it('fails with PROXY_AUTH_REQUIRED when the proxy wants credentials', async () => {
      expect((await proxied.run(['proxy', 'set', locked.url])).code).toBe(0);
      const result = await diagnose(proxied);
      expect(statuses(result)[`tcp:${world.ports.primary}`]).toBe('failed PROXY_AUTH_REQUIRED');
      expect(statuses(result)[`tcp:${world.ports.fallback}`]).toBe('skipped');
      expect(statuses(result).binding).toBe('skipped');
    });

    it('fails with PROXY_UNREACHABLE when nothing listens at the proxy address', async () => {
      expect((await proxied.run(['proxy', 'set', `http://127.0.0.1:${await closedPort()}`])).code).toBe(0);
      const result = await diagnose(proxied);
      expect(statuses(result)[`tcp:${world.ports.primary}`]).toBe('failed PROXY_UNREACHABLE');
      expect(stepOf(result, `tcp:${world.ports.primary}`)?.fix).toContain('check the proxy address');
    });
  });
});

describe('`leasehold server diagnose` over HTTPS: trust and name of the certificate (S9)', () => {
  let world: World;
  let id: string;
  const certs = selfSignedCertificate(tempDir('diagnose-tls'));

  beforeAll(async () => {
    world = await World.start({ initArgs: ['--tls-cert', certs.cert, '--tls-key', certs.key] });
    id = await world.createServerId();
    await world.addLicense(id);
  });
  afterAll(() => world?.stop());

  it('fails the TLS step with TLS_FAILED for a certificate this server does not trust', async () => {
    const untrusting = await world.localServer(id, { name: 'untrusting', centralUrl: 'https://127.0.0.1' });
    const result = await diagnose(untrusting);
    expect(result.code).not.toBe(0);
    expect(statuses(result)).toMatchObject({
      [`tcp:${world.ports.primary}`]: 'passed',
      tls: 'failed TLS_FAILED',
      protocol: 'skipped',
      binding: 'skipped',
    });
    expect(stepOf(result, 'tls')?.detail).toContain('self-signed');
    expect(stepOf(result, 'tls')?.fix).toContain('--central-ca');
  });

  it('passes the TLS step with the CA trusted, and names a certificate made for another name', async () => {
    const trusting = await world.localServer(id, {
      name: 'trusting',
      centralUrl: 'https://127.0.0.1',
      initArgs: ['--central-ca', certs.cert],
    });
    const result = await diagnose(trusting);
    expect(result.code, result.stderr).toBe(0);
    expect(statuses(result)).toMatchObject({ tls: 'passed', protocol: 'passed', binding: 'passed' });
    expect(stepOf(result, 'tls')?.detail).toContain(certs.cert);

    const byName = await world.localServer(id, {
      name: 'by-name',
      centralUrl: 'https://localhost',
      initArgs: ['--central-ca', certs.cert],
    });
    const mismatch = await diagnose(byName);
    expect(statuses(mismatch)).toMatchObject({ dns: 'passed', tls: 'failed TLS_FAILED' });
    expect(stepOf(mismatch, 'tls')?.detail).toContain('not for localhost');
  });
});
