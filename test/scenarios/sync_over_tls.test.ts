import { readFileSync, writeFileSync } from 'node:fs';
import { get } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoopbackCertificates } from '../../packages/cli/src/certificates.ts';
import { selfSignedCertificate } from '../support/certificates.ts';
import { daemon, leasehold, leaseholdProcess, tempDir } from '../support/leasehold.ts';
import { World } from '../support/world.ts';

function healthOverHttps(url: string, ca: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(`${url}/healthz`, { ca }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    }).on('error', reject);
  });
}

describe('sync and the client port over HTTPS (S5, S9, L0)', () => {
  let world: World;
  let id: string;
  const certs = selfSignedCertificate(tempDir('tls'));

  beforeAll(async () => {
    world = await World.start({ initArgs: ['--tls-cert', certs.cert, '--tls-key', certs.key] });
    id = await world.createServerId();
    await world.addLicense(id);
  });
  afterAll(() => world?.stop());

  it('refuses a central server whose certificate is not trusted with TLS_FAILED', async () => {
    const server = await world.localServer(id, { name: 'untrusting', centralUrl: 'https://127.0.0.1' });
    const sync = await server.sync();
    expect(sync.json.error.code).toBe('TLS_FAILED');
    expect(sync.stderr).toContain('check the proxy');
    expect((await server.status()).synchronized).toBe(false);
  });

  it('syncs over HTTPS when the certificate is trusted, and serves clients over HTTPS', async () => {
    const server = await world.localServer(id, {
      name: 'trusting',
      centralUrl: 'https://127.0.0.1',
      initArgs: ['--central-ca', certs.cert, '--tls-cert', certs.cert, '--tls-key', certs.key],
    });
    const sync = await server.sync();
    expect(sync.code, sync.stderr).toBe(0);
    const serve = await daemon([
      'server',
      'serve',
      '--data-dir',
      server.dataDir,
      '--port',
      '0',
      '--host',
      '127.0.0.1',
    ]);
    try {
      expect(serve.info.url).toMatch(/^https:\/\//);
      expect(await healthOverHttps(serve.info.url, readFileSync(certs.cert, 'utf8'))).toBe(200);
    } finally {
      await serve.stop();
    }
  });

  it('refuses --tls-cert without --tls-key', async () => {
    const init = await world
      .localServer(id, { name: 'half', initArgs: ['--tls-cert', certs.cert] })
      .catch((e: Error) => e);
    expect(String(init)).toContain('INVALID_INPUT');
  });

  describe('plain HTTP only when the administrator asks for it (S5, L0)', () => {
    const init = (name: string, centralUrl: string, ...flags: string[]) =>
      leasehold([
        'server',
        'init',
        '--data-dir',
        `${world.root}/${name}`,
        '--id',
        id,
        '--central-url',
        centralUrl,
        '--vendor-keys',
        world.vendorKeysFile,
        ...flags,
        '--json',
      ]);

    it('refuses a client port without a certificate unless --plain-http, and creates nothing', async () => {
      const refused = await init('no-tls', 'https://127.0.0.1');
      expect(refused.code).not.toBe(0);
      expect(refused.json.error.code).toBe('INVALID_INPUT');
      expect(refused.json.error.message).toContain('--plain-http');
      const status = await leasehold(['server', 'status', '--data-dir', `${world.root}/no-tls`, '--json']);
      expect(status.json.error.code).toBe('NOT_INITIALIZED');
      expect((await init('no-tls', 'https://127.0.0.1', '--plain-http')).code).toBe(0);
    });

    it('refuses an http:// central URL unless --plain-http-central', async () => {
      const refused = await init('http-central', 'http://127.0.0.1', '--plain-http');
      expect(refused.json.error.code).toBe('INVALID_INPUT');
      expect(refused.json.error.message).toContain('--plain-http-central');
      expect(
        (await init('http-central', 'http://127.0.0.1', '--plain-http', '--plain-http-central')).code,
      ).toBe(0);
    });

    it('refuses to serve from a server.json that lost its choice, naming the fix', async () => {
      const made = await init('edited', 'https://127.0.0.1', '--plain-http');
      expect(made.code).toBe(0);
      const file = `${world.root}/edited/server.json`;
      const config = JSON.parse(readFileSync(file, 'utf8'));
      delete config.plainHttp;
      writeFileSync(file, JSON.stringify(config));
      const status = await leasehold(['server', 'status', '--data-dir', `${world.root}/edited`, '--json']);
      expect(status.json.error.code).toBe('CONFIG_INVALID');
      expect(status.json.error.message).toContain('--plain-http');
    });
  });

  it('serves applications over HTTPS under a generated loopback CA, which the SDK trusts via NODE_EXTRA_CA_CERTS', async () => {
    const dir = tempDir('loopback-ca');
    const ca = await createLoopbackCertificates(dir, ['server']);
    const tls = ca.issued.server as { certFile: string; keyFile: string };
    const fresh = await world.createServerId();
    await world.addLicense(fresh);
    const server = await world.localServer(fresh, {
      name: 'ca-issued',
      centralUrl: 'https://127.0.0.1',
      initArgs: ['--central-ca', certs.cert, '--tls-cert', tls.certFile, '--tls-key', tls.keyFile],
    });
    expect((await server.sync()).code).toBe(0);
    const serve = await daemon([
      'server',
      'serve',
      '--data-dir',
      server.dataDir,
      '--port',
      '0',
      '--host',
      '127.0.0.1',
    ]);
    try {
      const flags = [
        '--url',
        serve.info.url,
        '--vendor-keys',
        world.vendorKeysFile,
        '--user',
        'ann',
        '--computer',
        'ws1',
        '--json',
      ];
      const untrusted = await leasehold(['client', 'activate', '--component', 'Base', ...flags]);
      expect(untrusted.json.error.code).toBe('SERVER_UNREACHABLE');
      // Node reads NODE_EXTRA_CA_CERTS once, at its start: this one runs as its own process.
      const trusted = await leaseholdProcess(['client', 'activate', '--component', 'Base', ...flags], {
        NODE_EXTRA_CA_CERTS: ca.caFile,
      });
      expect(trusted.code, trusted.stderr).toBe(0);
      expect(trusted.json.lease.components).toEqual(['Base']);
    } finally {
      await serve.stop();
    }
  });
});
