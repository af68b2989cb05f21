import { readFileSync, statSync } from 'node:fs';
import { createServer, request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/leasehold.ts';
import { createLoopbackCertificates, type LocalCertificates } from './certificates.ts';

function get(port: number, host: string, ca?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path: '/', ...(ca ? { ca } : {}) }, (res) => {
      res.setEncoding('utf8');
      let body = '';
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('loopback certificates', () => {
  let certs: LocalCertificates;
  let server: ReturnType<typeof createServer>;
  let port: number;

  beforeAll(async () => {
    certs = await createLoopbackCertificates(tempDir('certs'), ['central', 'server']);
    const issued = certs.issued.server as { certFile: string; keyFile: string };
    server = createServer(
      { cert: readFileSync(issued.certFile), key: readFileSync(issued.keyFile) },
      (_q, s) => s.end('hello over TLS'),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('serves TLS that a client trusting only the CA accepts, for 127.0.0.1', async () => {
    await expect(get(port, '127.0.0.1', readFileSync(certs.caFile, 'utf8'))).resolves.toBe('hello over TLS');
  });

  it('is refused by a client that does not trust the CA', async () => {
    await expect(get(port, '127.0.0.1')).rejects.toThrow(/self[- ]signed|unable to verify|issuer/i);
  });

  it('does not leave the CA able to issue more: no CA key file, server keys 0600', () => {
    const issued = certs.issued.server as { keyFile: string };
    expect(statSync(issued.keyFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(certs.caFile, 'utf8')).not.toContain('PRIVATE KEY');
    expect(Object.keys(certs.issued)).toEqual(['central', 'server']);
  });
});
