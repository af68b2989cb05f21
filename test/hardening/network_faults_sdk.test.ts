import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LeaseholdError, serializeVendorPublicKeys } from '@leasehold/protocol';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LeaseholdClient } from '../../packages/client/src/index.ts';
import { buildServerApp } from '../../packages/server/src/http/app.ts';
import { type LocalServer, openLocalServer } from '../../packages/server/src/localServer.ts';
import { syncedLocalServer } from '../../packages/server/src/test-support/localServer.ts';
import { license } from '../../packages/server/src/test-support/syncedServer.ts';
import { type Fault, FaultProxy } from '../support/faultProxy.ts';

/**
 * Network faults (L2; docs/security.md, Networks), application ↔ local server: the SDK talks to a
 * real local server through a fault-injecting TCP proxy. It times out with SERVER_UNREACHABLE within
 * its deadline; it never sends an activation twice (a second copy would hold a second seat); renewal
 * and release, which are safe to repeat, can be retried and end in the same state as one clean call.
 */
const TIMEOUT_MS = 1_000;

async function failure(promise: Promise<unknown>): Promise<LeaseholdError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof LeaseholdError) return error;
    throw error;
  }
  throw new Error('expected a failure, but the call succeeded');
}

describe('the SDK through a faulty network', () => {
  let server: LocalServer;
  let app: FastifyInstance;
  let proxy: FaultProxy;
  let client: LeaseholdClient;
  /** The vendor public key file the server was initialized with: the proxy changes the network, not the trust. */
  let vendorPublicKeys: string;
  let user = 0;

  const held = () => server.store.db.prepare('select count(*) as n from leases').get() as { n: number };
  const newClient = (timeoutMs = TIMEOUT_MS) =>
    new LeaseholdClient({
      url: `http://127.0.0.1:${proxy.port}`,
      vendorPublicKeys,
      user: `user-${++user}`,
      computer: 'pc',
      timeoutMs,
      releaseOnExit: false,
    });

  beforeAll(async () => {
    const synced = await syncedLocalServer([license({ components: [{ name: 'Base', seats: 20 }] })]);
    // The shortest lease there is (10 s), so that the SDK's own renewals happen within a test.
    synced.server.close();
    vendorPublicKeys = await serializeVendorPublicKeys(synced.vendorKeys);
    const configPath = join(synced.server.dataDir, 'server.json');
    const config = JSON.parse(readFileSync(configPath, 'utf8'));
    writeFileSync(configPath, JSON.stringify({ ...config, leaseSeconds: 10 }, null, 2));
    server = await openLocalServer(synced.server.dataDir, synced.clock);
    app = buildServerApp(server);
    await app.listen({ port: 0, host: '127.0.0.1' });
    proxy = await new FaultProxy({ port: (app.server.address() as { port: number }).port }).start();
  });
  /** Sets the fault; the pause lets the client see its pooled connection closed before the next call. */
  const fault = async (next: Fault) => {
    proxy.always(next);
    await new Promise((resolve) => setTimeout(resolve, 50));
  };

  beforeEach(async () => {
    server.store.db.exec('delete from leases; delete from seats;');
    await fault({ kind: 'pass' });
    client = newClient();
  });
  afterAll(async () => {
    await proxy?.stop();
    await app?.close();
    server?.close();
  });

  it('activates, renews and releases through latency', async () => {
    await fault({ kind: 'pass', latencyMs: 100 });
    const lease = await client.requestLease({ components: ['Base'] });
    await client.renewLease(lease.id);
    await client.releaseLease(lease.id);
    expect(held().n).toBe(0);
  });

  it('gives up on a silent (half-open) server with SERVER_UNREACHABLE within its timeout', async () => {
    await fault({ kind: 'halfOpen' });
    const started = performance.now();
    const error = await failure(client.requestLease({ components: ['Base'] }));
    expect(error.code).toBe('SERVER_UNREACHABLE');
    expect(error.message).toContain(`no answer within ${TIMEOUT_MS} ms`);
    expect(performance.now() - started).toBeLessThan(TIMEOUT_MS + 1_500);
    expect(held().n).toBe(0);
  });

  it('gives up on a crawling answer at its timeout, and gets it with time enough', async () => {
    await fault({ kind: 'slowRead', bytesPerTick: 40, tickMs: 100 });
    expect((await failure(newClient(300).requestLease({ components: ['Base'] }))).code).toBe(
      'SERVER_UNREACHABLE',
    );
    // The answer carries a lease token with the server's certificate (kilobytes): about 7 s at this pace.
    const patient = newClient(20_000);
    const lease = await patient.requestLease({ components: ['Base'] });
    expect(lease.components).toEqual(['Base']);
  }, 30_000);

  it('never sends an activation twice: an answer cut mid-stream leaves one lease, not two', async () => {
    await fault({ kind: 'resetMidResponse', afterBytes: 40 });
    const before = proxy.connections.length;
    const error = await failure(client.requestLease({ components: ['Base'] }));
    expect(error.code).toBe('SERVER_UNREACHABLE');
    // The server granted (and will let it expire); the SDK did not try again on another connection.
    expect(proxy.connections.length - before).toBe(1);
    expect(held().n).toBe(1);
  });

  it('drops and resets before the request are SERVER_UNREACHABLE, and nothing is held', async () => {
    for (const kind of ['drop', 'reset'] as const) {
      await fault({ kind });
      expect((await failure(client.requestLease({ components: ['Base'] }))).code, kind).toBe(
        'SERVER_UNREACHABLE',
      );
    }
    expect(held().n).toBe(0);
  });

  it('a renewal cut mid-answer can be sent again: one lease, renewed', async () => {
    const lease = await client.requestLease({ components: ['Base'] });
    await fault({ kind: 'resetMidResponse', afterBytes: 40 });
    expect((await failure(client.renewLease(lease.id))).code).toBe('SERVER_UNREACHABLE');
    await fault({ kind: 'pass' });
    const renewed = await client.renewLease(lease.id);
    expect(renewed.id).toBe(lease.id);
    expect(held().n).toBe(1);
  });

  it('a release cut mid-answer, sent again, says the lease is gone; closing treats that as done', async () => {
    const active = await client.activate({ components: ['Base'] });
    await fault({ kind: 'resetMidResponse', afterBytes: 40 });
    expect((await failure(client.releaseLease(active.id))).code).toBe('SERVER_UNREACHABLE');
    expect(held().n).toBe(0);
    await fault({ kind: 'pass' });
    expect((await failure(client.releaseLease(active.id))).code).toBe('LEASE_NOT_FOUND');
    await active.close();
    expect(active.state).toBe('closed');
  });

  it('keeps a self-renewing lease through a renewal cut mid-answer: it retries, one lease, renewed', async () => {
    const active = await client.activate({ components: ['Base'] });
    // The next connection (the first renewal's) is cut mid-answer; the ones after pass.
    const next = proxy.connections.length;
    proxy.plan = (n) => (n === next ? { kind: 'resetMidResponse', afterBytes: 40 } : { kind: 'pass' });
    proxy.disconnectAll();
    const renewed = new Promise((resolve) => active.once('renewed', resolve));
    await renewed;
    // The cut renewal, then the retry that got through on a new connection.
    expect(proxy.connections.slice(next, next + 2)).toEqual(['resetMidResponse', 'pass']);
    expect(active.state).toBe('active');
    expect(held().n).toBe(1);
    await active.close();
  }, 20_000);

  it('loses a self-renewing lease only when no renewal got through before its end (LEASE_EXPIRED)', async () => {
    const active = await client.activate({ components: ['Base'] });
    const started = performance.now();
    await fault({ kind: 'halfOpen' });
    const lost = await new Promise<LeaseholdError>((resolve) => active.once('lost', resolve));
    expect(lost.code).toBe('LEASE_EXPIRED');
    expect(lost.message).toContain('no answer within');
    // Not before the lease's 10 s, and not long after.
    expect(performance.now() - started).toBeGreaterThan(8_000);
    expect(performance.now() - started).toBeLessThan(14_000);
    expect(active.state).toBe('lost');
  }, 20_000);
});
