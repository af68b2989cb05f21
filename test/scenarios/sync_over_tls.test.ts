import { readFileSync } from 'node:fs';
import { get } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedCertificate } from '../support/certificates.ts';
import { daemon, tempDir } from '../support/leasehold.ts';
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
});
