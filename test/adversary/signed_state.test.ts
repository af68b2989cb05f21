import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifyCheckout } from '@leasehold/client';
import {
  CHECKOUT_TOKEN_TYPE,
  machineFingerprint,
  parsePartyKeys,
  signCheckoutToken,
} from '@leasehold/protocol';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { at, requestLicense } from '../support/clockOffsets.ts';
import { DAY_MS } from '../support/leasehold.ts';
import { type LocalServerHandle, World } from '../support/world.ts';

type Row = { version: number; document: string; certificate: string; issued_at: string };

/** What a customer does with the sqlite3 shell on the real server.db, the server stopped or not. */
function edit(server: LocalServerHandle, sql: (db: Database.Database) => void): void {
  const db = new Database(join(server.dataDir, 'server.db'));
  try {
    sql(db);
  } finally {
    db.close();
  }
}
const newest = (server: LocalServerHandle): Row => {
  const db = new Database(join(server.dataDir, 'server.db'), { readonly: true });
  try {
    return db.prepare('select * from allocations order by version desc limit 1').get() as Row;
  } finally {
    db.close();
  }
};
const generous = (document: string, version: number) => {
  const allocation = JSON.parse(document);
  return JSON.stringify({
    ...allocation,
    version,
    licenses: allocation.licenses.map((l: { components: Array<{ name: string }> }) => ({
      ...l,
      expiryDate: '2099-12-31',
      components: l.components.map((c) => ({ ...c, seats: 1000 })),
    })),
  });
};
const codes = (status: { messages: Array<{ code: string }> }) => status.messages.map((m) => m.code);

/**
 * Signed state at rest (docs/security.md): the customer owns server.db. Every edit of the
 * allocation, its time or its window makes the server refuse; none gains a seat or a day.
 */
describe('the customer edits the signed state in server.db', () => {
  let world: World;
  let server: LocalServerHandle;
  let id: string;

  beforeAll(async () => {
    world = await World.start();
    id = await world.createServerId();
    await world.addLicense(id, '--max-checkout-hours', '24');
    server = await world.localServer(id);
    expect((await server.sync()).code).toBe(0);
  });
  afterAll(() => world?.stop());

  it('refuses to issue from a forged allocation row (version 99, 1,000 seats, 2099) and a sync in 2099, and one sync undoes it', async () => {
    const real = newest(server);
    edit(server, (db) => {
      db.prepare(
        'insert into allocations (version, issued_at, received_at, method, document, certificate) values (99, ?, ?, ?, ?, ?)',
      ).run(
        real.issued_at,
        '2099-01-01T00:00:00.000Z',
        'online',
        generous(real.document, 99),
        real.certificate,
      );
      db.prepare(
        "insert or replace into meta (key, value) values ('sync.lastAt', '2099-01-01T00:00:00.000Z')",
      ).run();
    });
    const refused = await requestLicense(server, 0);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('LOCAL_STATE_INVALID');
    expect(refused.body.error.message).toContain('allocation version 99');
    const status = await server.status();
    expect(status).toMatchObject({ synchronized: false, licenses: [] });
    expect(codes(status)).toContain('LOCAL_STATE_INVALID');

    // The way back is the one the message names; the vendor sees the version that was claimed.
    const synced = await server.sync();
    expect(synced.code, synced.stderr).toBe(0);
    const after = await server.status();
    expect(after.synchronized).toBe(true);
    expect(after.licenses[0].components).toEqual([{ name: 'Base', seats: 10 }]);
    expect((await requestLicense(server, 0)).status).toBe(201);
    const shown = await world.vendor(['server-id', 'show', id, '--json']);
    expect(shown.json.syncHistory[0].flags).toContain('SERVER_STATE_FORK');
    const audit = await server.run(['audit', '--action', 'state.discarded']);
    expect(audit.stdout).toContain('allocation version(s) 99 did not verify');
  });

  it('refuses a certificate whose payload was re-encoded with more seats, and a certificate-less row', async () => {
    const real = newest(server);
    const [header, payload, signature] = real.certificate.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    claims.allocation.licenses[0].components[0].seats = 1000;
    const altered = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    edit(server, (db) =>
      db.prepare('update allocations set certificate = ? where version = ?').run(altered, real.version),
    );
    expect((await requestLicense(server, 0)).body.error.code).toBe('LOCAL_STATE_INVALID');
    edit(server, (db) =>
      db.prepare('update allocations set certificate = null where version = ?').run(real.version),
    );
    const refused = await requestLicense(server, 0);
    expect(refused.body.error.code).toBe('LOCAL_STATE_INVALID');
    expect(refused.body.error.message).toContain('without its vendor certificate');
    expect((await server.sync()).code).toBe(0);
    expect((await requestLicense(server, 0)).status).toBe(201);
  });

  it('counts the 366 days from the signed time, whatever the rows say: day 366 refuses with every time moved to 2099', async () => {
    edit(server, (db) => {
      db.prepare(
        "update allocations set received_at = '2099-01-01T00:00:00.000Z', issued_at = '2099-01-01T00:00:00.000Z'",
      ).run();
      db.prepare(
        "insert or replace into meta (key, value) values ('sync.lastAt', '2099-01-01T00:00:00.000Z')",
      ).run();
    });
    expect((await requestLicense(server, 365 * DAY_MS)).status).toBe(201);
    const late = await requestLicense(server, 366 * DAY_MS + 60_000);
    expect(late.body.error.code).toBe('NOT_SYNCHRONIZED');
    const status = await server.status(at(366 * DAY_MS + 60_000));
    expect(status).toMatchObject({ synchronized: false, daysRemaining: 0 });
  });

  it("signs nothing the vendor did not allocate with the server's own key: a minted checkout is refused offline", async () => {
    const keys = await parsePartyKeys(
      readFileSync(join(server.dataDir, 'keys', 'server-private-keys.json'), 'utf8'),
    );
    const certificate = newest(server).certificate;
    const vendorKeys = readFileSync(world.vendorKeysFile, 'utf8');
    const license = (await server.status()).licenses[0].number as string;
    const now = new Date();
    const onPc1 = { machineId: 'machine-of-pc-1' };
    const token = (claims: Record<string, unknown>) =>
      signCheckoutToken(
        {
          type: CHECKOUT_TOKEN_TYPE,
          checkoutId: 'minted-1',
          licenseServerId: id,
          licenseNumber: license,
          components: ['Base'],
          user: 'mallory',
          computer: 'pc-1',
          machine: machineFingerprint('machine-of-pc-1', 'default'),
          issuedAt: now.toISOString(),
          expiresAt: new Date(now.getTime() + 3_600_000).toISOString(),
          ...claims,
        },
        keys.signing,
        certificate,
      );
    const attacks: Array<[string, Record<string, unknown>]> = [
      ['a license the vendor never sold', { licenseNumber: 'ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZZZ' }],
      ['components the license lacks', { components: ['Enterprise', 'AnythingAtAll'] }],
      ['an end in 9999', { expiresAt: '9999-12-31T23:59:59.000Z' }],
      [
        'longer than the license lends (24 hours)',
        { expiresAt: new Date(now.getTime() + 25 * 3_600_000).toISOString() },
      ],
    ];
    for (const [what, claims] of attacks) {
      await expect(verifyCheckout(await token(claims), vendorKeys, onPc1), what).rejects.toMatchObject({
        code: 'CHECKOUT_TOKEN_INVALID',
        message: expect.stringContaining("outside the vendor's certificate"),
      });
    }
    // Inside the bounds the key still signs (docs/security.md says what that leaves open).
    expect((await verifyCheckout(await token({}), vendorKeys, onPc1)).licenseNumber).toBe(license);
  });
});
