import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, createServer as createTcpServer } from 'node:net';
import {
  centralHello,
  DAY_MS,
  type Ed25519PublicJwk,
  FORMAT_VERSION,
  generatePartyKeys,
  ManualClock,
  openSyncProbe,
  type PartyKeys,
  parseVendorPublicKeys,
  publicJwkOf,
  SYNC_PROBE_TYPE,
  sealSyncProbe,
  serializeVendorPublicKeys,
  type X25519PublicJwk,
} from '@leasehold/protocol';
import { Agent } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type DiagnoseInput, runDiagnosis } from './runner.ts';

const ID = 'LS-AAAA-BBBB-CCCC';

/** A stand-in central server on loopback: real HTTP, answers chosen per test, probes really opened. */
class FakeCentral {
  server!: Server;
  port = 0;
  hello: (res: ServerResponse) => void = (res) => json(res, 200, centralHello(new Date()));
  boundKid: string | undefined;
  known = true;
  probes = 0;

  private readonly vendorKeys: PartyKeys;

  constructor(vendorKeys: PartyKeys) {
    this.vendorKeys = vendorKeys;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.#handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async #handle(req: IncomingMessage, res: ServerResponse) {
    if (req.url === '/v1/hello') return this.hello(res);
    let body = '';
    for await (const chunk of req) body += chunk;
    this.probes++;
    const { probe, serverSigningKid } = await openSyncProbe(body, this.vendorKeys);
    if (!this.known) return json(res, 404, { error: { code: 'SERVER_ID_UNKNOWN', message: 'unknown' } });
    const binding = !this.boundKid
      ? 'none'
      : this.boundKid === serverSigningKid
        ? 'this-server'
        : 'another-server';
    json(res, 200, { licenseServerId: probe.licenseServerId, binding });
  }

  stop() {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(resolve));
  }
}

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createTcpServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

describe('running the diagnosis against a central server on loopback', async () => {
  const vendorKeys = await generatePartyKeys();
  const vendor = await parseVendorPublicKeys(await serializeVendorPublicKeys(vendorKeys));
  const keys = await generatePartyKeys();
  const central = new FakeCentral(vendorKeys);
  const clock = new ManualClock();
  const dispatcher = new Agent();
  let closed: number;

  beforeAll(async () => {
    await central.start();
    closed = await closedPort();
  });
  beforeEach(() => {
    central.hello = (res) => json(res, 200, centralHello(new Date()));
    central.boundKid = keys.signing.kid;
    central.known = true;
    central.probes = 0;
    clock.set(Date.now());
  });
  afterAll(async () => {
    await central.stop();
    await dispatcher.close();
  });

  const diagnose = (overrides: Partial<DiagnoseInput> = {}) =>
    runDiagnosis({
      licenseServerId: ID,
      serverKeyId: keys.signing.kid,
      centralUrl: 'http://127.0.0.1',
      ports: [central.port],
      dispatcher,
      clock,
      connectTimeoutMs: 2_000,
      answerTimeoutMs: 2_000,
      sealProbe: () =>
        sealSyncProbe(
          {
            type: SYNC_PROBE_TYPE,
            formatVersion: FORMAT_VERSION,
            licenseServerId: ID,
            requestId: 'abcdefghijklmnopqrstuv',
            createdAt: clock.now().toISOString(),
            serverKeys: {
              signing: publicJwkOf(keys.signing.publicKey) as Ed25519PublicJwk,
              encryption: publicJwkOf(keys.encryption.publicKey) as X25519PublicJwk,
            },
          },
          keys,
          vendor,
        ),
      ...overrides,
    });
  const statuses = (d: Awaited<ReturnType<typeof diagnose>>) =>
    Object.fromEntries(d.steps.map((s) => [s.step, s.code ? `${s.status} ${s.code}` : s.status]));

  it('passes every step for a bound server (DNS skipped for an IP, TLS for http://)', async () => {
    const d = await diagnose();
    expect(d.ok).toBe(true);
    expect(statuses(d)).toEqual({
      dns: 'skipped',
      [`tcp:${central.port}`]: 'passed',
      tls: 'skipped',
      protocol: 'passed',
      clock: 'passed',
      binding: 'passed',
    });
    expect(d.steps.find((s) => s.step === 'binding')?.detail).toContain("bound to this server's key");
  });

  it('resolves a host name, and fails with DNS_FAILED (the rest skipped) when it does not resolve', async () => {
    const resolved = await diagnose({ centralUrl: 'http://central.test', lookup: async () => ['127.0.0.1'] });
    expect(resolved.steps[0]).toMatchObject({
      step: 'dns',
      status: 'passed',
      detail: 'central.test resolves to 127.0.0.1',
    });

    const lookup = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    };
    const d = await diagnose({ centralUrl: 'https://central.invalid', lookup });
    expect(d.ok).toBe(false);
    expect(d.steps[0]).toMatchObject({ step: 'dns', status: 'failed', code: 'DNS_FAILED' });
    expect(d.steps[0]?.fix).toContain('check DNS');
    expect(
      d.steps.slice(1).every((s) => s.status === 'skipped' && s.detail.includes('does not resolve')),
    ).toBe(true);
  });

  it('fails every port with PORTS_BLOCKED when none takes a connection, and skips what needs one', async () => {
    const other = await closedPort();
    const d = await diagnose({ ports: [closed, other] });
    expect(statuses(d)).toEqual({
      dns: 'skipped',
      [`tcp:${closed}`]: 'failed PORTS_BLOCKED',
      [`tcp:${other}`]: 'failed PORTS_BLOCKED',
      tls: 'skipped',
      protocol: 'skipped',
      clock: 'skipped',
      binding: 'skipped',
    });
    expect(d.steps[1]?.detail).toContain('connection refused');
  });

  it('fails a blocked port without a code when another port works, and goes on over that one', async () => {
    const d = await diagnose({ ports: [closed, central.port] });
    expect(d.ok).toBe(false);
    const blocked = d.steps.find((s) => s.step === `tcp:${closed}`);
    expect(blocked).toMatchObject({ status: 'failed' });
    expect(blocked?.code).toBeUndefined();
    expect(blocked?.fix).toContain(`Open outbound TCP ${closed}`);
    expect(d.steps.find((s) => s.step === 'binding')?.status).toBe('passed');
  });

  it('fails the protocol step with PROTOCOL_VERSION_UNSUPPORTED for an unknown version, still judging the clock', async () => {
    central.hello = (res) => json(res, 200, { ...centralHello(new Date()), protocolVersions: [2] });
    const d = await diagnose();
    expect(statuses(d)).toMatchObject({
      protocol: 'failed PROTOCOL_VERSION_UNSUPPORTED',
      clock: 'passed',
      binding: 'skipped',
    });
    expect(central.probes).toBe(0);
  });

  it('says a server without /v1/hello is an older Leasehold, and anything else is not the central server', async () => {
    central.hello = (res) => json(res, 404, { error: { code: 'NOT_FOUND', message: 'No such route' } });
    expect(statuses(await diagnose()).protocol).toBe('failed PROTOCOL_VERSION_UNSUPPORTED');
    central.hello = (res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<h1>It works</h1>');
    const d = await diagnose();
    expect(statuses(d).protocol).toBe('failed CENTRAL_UNAVAILABLE');
    expect(d.steps.find((s) => s.step === 'protocol')?.detail).toContain('check the central URL');
  });

  it('reports CENTRAL_TIMEOUT when the central server takes the connection and never answers', async () => {
    central.hello = () => {};
    const d = await diagnose({ answerTimeoutMs: 300 });
    expect(statuses(d).protocol).toBe('failed CENTRAL_TIMEOUT');
  });

  it('fails the clock step with CLOCK_SKEW beyond a day, and still checks the binding', async () => {
    clock.set(Date.now() - 2 * DAY_MS);
    const d = await diagnose();
    expect(statuses(d)).toMatchObject({ clock: 'failed CLOCK_SKEW', binding: 'passed' });
    expect(d.steps.find((s) => s.step === 'clock')?.detail).toMatch(/48(\.0)? h behind/);
    clock.set(Date.now() - DAY_MS + 60_000);
    expect(statuses(await diagnose()).clock).toBe('passed');
  });

  it('maps the binding to SERVER_ID_IN_USE, SERVER_ID_UNKNOWN, or passes an id not bound yet', async () => {
    central.boundKid = 'another-key';
    expect(statuses(await diagnose()).binding).toBe('failed SERVER_ID_IN_USE');
    central.known = false;
    const unknown = await diagnose();
    expect(statuses(unknown).binding).toBe('failed SERVER_ID_UNKNOWN');
    expect(unknown.steps.find((s) => s.step === 'binding')?.fix).toContain('check the id');
    central.known = true;
    central.boundKid = undefined;
    const none = await diagnose();
    expect(none.ok).toBe(true);
    expect(none.steps.find((s) => s.step === 'binding')?.detail).toContain('the next sync binds it');
  });
});
