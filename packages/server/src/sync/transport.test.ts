import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { LeaseholdError } from '@leasehold/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort } from '../../../../test/support/leasehold.ts';
import { ConnectProxy } from '../../../../test/support/proxy.ts';
import { serverConfigSchema } from '../config.ts';
import { centralConnection } from './dispatcher.ts';
import { chooseProxy, type ProxyEnvironment } from './proxy.ts';
import { judgeFailure, OnlineTransport } from './transport.ts';

const config = serverConfigSchema.parse({
  formatVersion: 1,
  licenseServerId: 'LS-AAAA-BBBB-CCCC',
  centralUrl: 'http://127.0.0.1',
  plainHttp: true,
  plainHttpCentral: true,
  syncTimeoutSeconds: 1,
});

/** A loopback TCP server whose behaviour per connection a test chooses; it counts connections. */
async function fake(
  onConnection: (socket: Socket) => void,
): Promise<{ port: number; connections: () => number }> {
  let connections = 0;
  const server: Server = createServer((socket) => {
    connections += 1;
    socket.on('error', () => {});
    onConnection(socket);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, connections: () => connections };
}
const servers: Server[] = [];
const ANSWER = 'HTTP/1.1 200 OK\r\ncontent-type: application/jose\r\ncontent-length: 6\r\n\r\nsealed';

function transport(ports: number[], proxy?: ProxyEnvironment): OnlineTransport {
  return new OnlineTransport({
    centralUrl: config.centralUrl,
    ports,
    timeoutMs: 1000,
    connect: () => centralConnection(config, chooseProxy(undefined, proxy)),
  });
}

async function failure(promise: Promise<unknown>): Promise<LeaseholdError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof LeaseholdError) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

let answering: { port: number; connections: () => number };
let proxy: ConnectProxy;
let guarded: ConnectProxy;
beforeAll(async () => {
  answering = await fake((socket) => socket.once('data', () => socket.end(ANSWER)));
  proxy = await new ConnectProxy().start();
  guarded = await new ConnectProxy({ username: 'alice', password: 'hunter2' }).start();
});
afterAll(async () => {
  for (const server of servers) server.close();
  await Promise.all([proxy.stop(), guarded.stop()]);
});

describe('online sync on loopback: which failures move on to the next port', () => {
  it('moves on from a refused port and from a reset before the request went out', async () => {
    const resets = await fake((socket) => socket.resetAndDestroy());
    expect(await transport([await closedPort(), resets.port, answering.port]).exchange('x')).toBe('sealed');
  });

  it('says CENTRAL_TIMEOUT when the central server accepts and never answers, and stays there', async () => {
    const silent = await fake(() => {});
    const next = await fake((socket) => socket.once('data', () => socket.end(ANSWER)));
    const started = Date.now();
    const error = await failure(transport([silent.port, next.port]).exchange('x'));
    expect(error.code).toBe('CENTRAL_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(next.connections()).toBe(0);
  });

  it('says CENTRAL_UNAVAILABLE when the answer is cut off, and when the connection drops after the request', async () => {
    const cut = await fake((socket) =>
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/jose\r\ncontent-length: 1000\r\n\r\nabc');
        setTimeout(() => socket.destroy(), 20);
      }),
    );
    expect((await failure(transport([cut.port]).exchange('x'))).code).toBe('CENTRAL_UNAVAILABLE');
    const drops = await fake((socket) => socket.once('data', () => socket.resetAndDestroy()));
    const error = await failure(transport([drops.port, answering.port]).exchange('x'));
    expect(error.code).toBe('CENTRAL_UNAVAILABLE');
  });

  it('says PORTS_BLOCKED when no port accepts', async () => {
    const error = await failure(transport([await closedPort(), await closedPort()]).exchange('x'));
    expect(error.code).toBe('PORTS_BLOCKED');
    expect(error.message).toContain('ECONNREFUSED');
  });
});

describe('online sync through an HTTP CONNECT proxy', () => {
  it('tunnels to the central host and port', async () => {
    const before = proxy.tunnels.length;
    expect(await transport([answering.port], { httpsProxy: proxy.url }).exchange('x')).toBe('sealed');
    expect(proxy.tunnels.slice(before)).toEqual([`127.0.0.1:${answering.port}`]);
  });

  it('sends Basic credentials, and says PROXY_AUTH_REQUIRED (not the password) when they are wrong', async () => {
    const good = `http://alice:hunter2@127.0.0.1:${guarded.port}`;
    expect(await transport([answering.port], { httpsProxy: good }).exchange('x')).toBe('sealed');
    const bad = `http://alice:wrong-pw@127.0.0.1:${guarded.port}`;
    const error = await failure(transport([answering.port], { httpsProxy: bad }).exchange('x'));
    expect(error.code).toBe('PROXY_AUTH_REQUIRED');
    expect(error.message).toContain('alice:****@');
    expect(error.message).not.toContain('wrong-pw');
  });

  it('says PROXY_UNREACHABLE when the proxy is down, without trying the next port', async () => {
    const down = `http://127.0.0.1:${await closedPort()}`;
    const error = await failure(
      transport([answering.port, answering.port], { httpsProxy: down }).exchange('x'),
    );
    expect(error.code).toBe('PROXY_UNREACHABLE');
  });

  it('moves on to the next port when the proxy cannot open a tunnel to one, PORTS_BLOCKED when to none', async () => {
    const closed = await closedPort();
    expect(await transport([closed, answering.port], { httpsProxy: proxy.url }).exchange('x')).toBe('sealed');
    const error = await failure(transport([closed, closed], { httpsProxy: proxy.url }).exchange('x'));
    expect(error.code).toBe('PORTS_BLOCKED');
    expect(error.message).toContain('proxy answered 502');
  });

  it('takes a proxy that leaves CONNECT unanswered for a blocked port, within the timeout', async () => {
    const stalling = await fake(() => {});
    const started = Date.now();
    const env = { httpsProxy: `http://127.0.0.1:${stalling.port}` };
    const error = await failure(transport([answering.port], env).exchange('x'));
    expect(error.code).toBe('PORTS_BLOCKED');
    expect(error.message).toContain('proxy opened no tunnel in time');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('goes direct for a host in NO_PROXY', async () => {
    const before = proxy.connects.length;
    const env = { httpsProxy: proxy.url, noProxy: '127.0.0.1' };
    expect(await transport([answering.port], env).exchange('x')).toBe('sealed');
    expect(proxy.connects.length).toBe(before);
  });
});

describe('judging a failure', () => {
  const context = { host: 'central:443', timeoutMs: 1000 };
  const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });

  it('treats a reset before the request went out as a blocked port, after it as final', () => {
    expect(judgeFailure(reset, { ...context, sent: false }).kind).toBe('next-port');
    const after = judgeFailure(reset, { ...context, sent: true });
    expect(after.kind === 'final' && after.error.code).toBe('CENTRAL_UNAVAILABLE');
  });

  it('reads the status of a refused tunnel from undici’s message', () => {
    const refused = Object.assign(new Error('Proxy response (407) !== 200 when HTTP Tunneling'), {
      code: 'UND_ERR_ABORTED',
    });
    const judged = judgeFailure(refused, { ...context, sent: false, proxy: 'http://proxy:3128' });
    expect(judged.kind === 'final' && judged.error.code).toBe('PROXY_AUTH_REQUIRED');
  });
});

// An HTTP server (not a raw socket) that answers nothing keeps the test honest about undici's own
// headers timeout rather than a socket quirk.
describe('the timeout is syncTimeoutSeconds', () => {
  it('gives up on a silent HTTP server after about that long', async () => {
    const hanging = createHttpServer(() => {});
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    const started = Date.now();
    const error = await failure(transport([(hanging.address() as AddressInfo).port]).exchange('x'));
    expect(error.code).toBe('CENTRAL_TIMEOUT');
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    hanging.closeAllConnections();
    hanging.close();
  });
});
