import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { LeaseholdClient } from '@leasehold/client';
import {
  certifyAllocation,
  type Ed25519PublicJwk,
  generatePartyKeys,
  LEASE_TOKEN_TYPE,
  leaseTokenSigner,
  parsePartyKeys,
  publicJwkOf,
} from '@leasehold/protocol';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Daemon, daemon } from '../support/leasehold.ts';
import { type LocalServerHandle, World } from '../support/world.ts';

type Handler = (body: Record<string, unknown>, url: string) => unknown | Promise<unknown>;

/** The attacker's license server: a few lines of node:http answering the client API with JSON. */
async function fakeServer(handler: Handler): Promise<{ url: string; server: Server }> {
  const server = createServer(async (request: IncomingMessage, response) => {
    let text = '';
    for await (const chunk of request) text += chunk;
    const answer = await handler(text ? JSON.parse(text) : {}, request.url ?? '');
    response.writeHead(request.url === '/v1/leases' ? 201 : 200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(answer));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const lease = (overrides: Record<string, unknown> = {}) => ({
  id: 'fake-lease-000000000001',
  kind: 'floating',
  licenseNumber: 'ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZZZ',
  components: ['Base', 'Enterprise'],
  user: 'mallory',
  computer: 'pc-1',
  grantedAt: new Date().toISOString(),
  expiresAt: new Date(Date.now() + 300_000).toISOString(),
  leaseSeconds: 300,
  renewAfterSeconds: 100,
  ...overrides,
});

/**
 * Signed floating grants (L2; docs/security.md): the application takes a lease only with a token
 * the vendor's keys vouch for, made out to its own request. A fake server, a replayed answer, an
 * edited answer and the customer's own "vendor" key all grant nothing.
 */
describe('an application pointed at a server that is not what the vendor certified', () => {
  let world: World;
  let local: LocalServerHandle;
  let serve: Daemon;
  let vendorKeys: string;
  const servers: Server[] = [];
  const client = (url: string) =>
    new LeaseholdClient({
      url,
      vendorPublicKeys: vendorKeys,
      user: 'mallory',
      computer: 'pc-1',
      releaseOnExit: false,
    });
  const refusal = (url: string) =>
    client(url)
      .requestLease({ components: ['Base'] })
      .then(
        () => 'GRANTED',
        (error: { code?: string; message: string }) => `${error.code}: ${error.message}`,
      );
  const fake = async (handler: Handler) => {
    const started = await fakeServer(handler);
    servers.push(started.server);
    return started.url;
  };

  beforeAll(async () => {
    world = await World.start();
    const id = await world.createServerId();
    await world.addLicense(id);
    local = await world.localServer(id);
    expect((await local.sync()).code).toBe(0);
    serve = await daemon([
      'server',
      'serve',
      '--data-dir',
      local.dataDir,
      '--port',
      '0',
      '--host',
      '127.0.0.1',
    ]);
    vendorKeys = readFileSync(world.vendorKeysFile, 'utf8');
  });
  afterAll(async () => {
    for (const server of servers) server.close();
    await serve?.stop();
    await world?.stop();
  });

  it('takes a lease from the real server, whose answers carry a token for its nonce', async () => {
    const granted = await client(serve.info.url).requestLease({ components: ['Base'] });
    expect(granted.kind).toBe('floating');
    expect((await client(serve.info.url).renewLease(granted.id)).id).toBe(granted.id);
  });

  it('takes nothing from a 15-line HTTP server that answers every request with a lease', async () => {
    const url = await fake(() => ({ lease: lease() }));
    expect(await refusal(url)).toMatch(/^LEASE_NOT_TRUSTED: .*no lease token/);
    const withJunk = await fake(() => ({ lease: lease(), leaseToken: 'eyJhbGciOiJub25lIn0.e30.' }));
    expect(await refusal(withJunk)).toMatch(/^LEASE_NOT_TRUSTED/);
  });

  it('takes nothing from a replayed answer of the real server, nor from one edited on the way', async () => {
    const real = await fetch(`${serve.info.url}/v1/leases`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        components: ['Base'],
        user: 'mallory',
        computer: 'pc-1',
        nonce: 'captured-nonce-00000001',
      }),
    });
    const captured = (await real.json()) as { lease: Record<string, unknown>; leaseToken: string };
    expect(typeof captured.leaseToken).toBe('string');
    expect(await refusal(await fake(() => captured))).toMatch(/another nonce/);
    // A proxy that forwards the request to the real server and lengthens the lease in its answer.
    const proxy = await fake(async (body, url) => {
      const forwarded = await fetch(`${serve.info.url}${url}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const answer = (await forwarded.json()) as typeof captured;
      return { ...answer, lease: { ...answer.lease, expiresAt: '2099-01-01T00:00:00.000Z' } };
    });
    expect(await refusal(proxy)).toMatch(/not the one its token signs/);
  });

  it("takes nothing signed with the server's own private key outside the vendor's certificate, or under the customer's own vendor key", async () => {
    const keys = await parsePartyKeys(
      readFileSync(join(local.dataDir, 'keys', 'server-private-keys.json'), 'utf8'),
    );
    const db = new Database(join(local.dataDir, 'server.db'), { readonly: true });
    const row = db
      .prepare('select certificate, document from allocations order by version desc limit 1')
      .get() as {
      certificate: string;
      document: string;
    };
    db.close();
    const allocation = JSON.parse(row.document);
    const mint =
      (certificate: string, claims: Record<string, unknown>) => (body: Record<string, unknown>) => {
        const granted = lease({
          licenseNumber: allocation.licenses[0].number,
          components: ['Base'],
          ...claims,
        });
        const token = leaseTokenSigner(
          keys.signing,
          certificate,
        )({
          type: LEASE_TOKEN_TYPE,
          leaseId: granted.id,
          licenseServerId: allocation.licenseServerId,
          licenseNumber: granted.licenseNumber,
          components: granted.components as string[],
          user: 'mallory',
          computer: 'pc-1',
          nonce: body.nonce as string,
          issuedAt: granted.grantedAt,
          expiresAt: granted.expiresAt,
        });
        return { lease: granted, leaseToken: token };
      };
    // The real certificate, with the nonce answered: a component and a license the vendor never sold.
    expect(await refusal(await fake(mint(row.certificate, { components: ['Base', 'Enterprise'] })))).toMatch(
      /outside the vendor's certificate/,
    );
    expect(
      await refusal(
        await fake(mint(row.certificate, { licenseNumber: 'ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZZZ' })),
      ),
    ).toMatch(/outside the vendor's certificate/);
    // A certificate of 1,000 seats signed by a key the customer made: the application does not know it.
    const own = await generatePartyKeys();
    const generous = {
      ...allocation,
      licenses: [{ ...allocation.licenses[0], components: [{ name: 'Base', seats: 1000 }] }],
    };
    const forged = certifyAllocation(
      generous,
      publicJwkOf(keys.signing.publicKey) as Ed25519PublicJwk,
      own.signing,
    );
    expect(await refusal(await fake(mint(forged, {})))).toMatch(/^LEASE_NOT_TRUSTED: .*unknown key/);
    // Inside the certificate the server key still signs: the residual docs/security.md names.
    expect(await refusal(await fake(mint(row.certificate, {})))).toBe('GRANTED');
  });
});
