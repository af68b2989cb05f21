import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LeaseholdError } from '@leasehold/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeaseholdClient } from './client.ts';
import { LeaseholdClientError } from './errors.ts';
import { normalizeServerUrl } from './http.ts';

// The network-failure paths, against real sockets: a port nobody listens on, a server that never
// answers, and a gateway page. Answers of a real Leasehold server: test/scenarios/client_sdk.test.ts.

function listen(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
    ),
  );
}

async function closedPortUrl(): Promise<string> {
  const { server, url } = await listen(() => {});
  await new Promise((resolve) => server.close(resolve));
  return url;
}

// Never reached: these servers fail before any lease token is read.
const vendorPublicKeys = '{"keys": []}';
const client = (url: string, timeoutMs = 2_000) =>
  new LeaseholdClient({
    url,
    vendorPublicKeys,
    user: 'ann',
    computer: 'ws-1',
    timeoutMs,
    releaseOnExit: false,
  });

describe('when no Leasehold server answers', () => {
  let hanging: Server;
  let hangingUrl: string;
  let gateway: Server;
  let gatewayUrl: string;
  let notLeasehold: Server;
  let notLeaseholdUrl: string;

  beforeAll(async () => {
    ({ server: hanging, url: hangingUrl } = await listen(() => {}));
    ({ server: gateway, url: gatewayUrl } = await listen((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' }).end('<h1>Bad Gateway</h1>');
    }));
    ({ server: notLeasehold, url: notLeaseholdUrl } = await listen((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not Found</h1>');
    }));
  });
  afterAll(() => {
    for (const server of [hanging, gateway, notLeasehold]) server.closeAllConnections();
    for (const server of [hanging, gateway, notLeasehold]) server.close();
  });

  it('reports a refused connection as SERVER_UNREACHABLE, naming the URL and what to check', async () => {
    const url = await closedPortUrl();
    const error = await client(url)
      .activate({ components: ['Base'] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LeaseholdClientError);
    expect(error).toMatchObject({ code: 'SERVER_UNREACHABLE' });
    expect((error as Error).message).toContain(url);
    expect((error as Error).message).toContain('ECONNREFUSED');
    expect((error as Error).message).toContain('check the URL');
  });

  it('gives up on a server that does not answer within timeoutMs', async () => {
    const started = Date.now();
    await expect(client(hangingUrl, 300).renewLease('lease-0123456789abcdef')).rejects.toMatchObject({
      code: 'SERVER_UNREACHABLE',
      message: expect.stringContaining('no answer within 300 ms'),
    });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("treats a gateway's error page as no answer", async () => {
    await expect(client(gatewayUrl).checkout({ components: ['Base'], hours: 1 })).rejects.toMatchObject({
      code: 'SERVER_UNREACHABLE',
      message: expect.stringContaining('HTTP 502'),
    });
  });

  it('refuses an answer that is not from a Leasehold server with MESSAGE_MALFORMED', async () => {
    const error = await client(notLeaseholdUrl)
      .releaseLease('lease-0123456789abcdef')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LeaseholdError);
    expect(error).toMatchObject({ code: 'MESSAGE_MALFORMED' });
  });

  it('refuses a URL that is not one at construction', () => {
    expect(() => normalizeServerUrl('licenses.example.com')).toThrow(/https:\/\//);
    expect(() => normalizeServerUrl('ftp://licenses.example.com')).toThrow(/https:\/\//);
    expect(normalizeServerUrl('https://licenses.example.com/')).toBe('https://licenses.example.com');
    expect(normalizeServerUrl('https://example.com/licensing/')).toBe('https://example.com/licensing');
  });
});
