import {
  DAY_MS,
  ED25519_SMALL_ORDER_Y,
  ENVELOPE_VERSION,
  generatePartyKeys,
  ManualClock,
  openSyncResponse,
  type PartyKeys,
  parseVendorPublicKeys,
  SYNC_REQUEST_TYPE,
  type SyncRequest,
  seal,
  sealSyncRequest,
  serializeVendorPublicKeys,
  signCheckoutToken,
  type VendorPublicKeys,
  verifyCheckoutToken,
  verifyServerKeyCertificate,
} from '@leasehold/protocol';
import { CompactEncrypt, calculateJwkThumbprint } from 'jose';
import { describe, expect, it } from 'vitest';
import { clearBinding } from '../admin/bindings.ts';
import { addLicense, changeLicense, removeLicense } from '../admin/licenses.ts';
import {
  AUDIT_CHAIN_NOT_EXTENDING,
  createServerId,
  SERVER_STATE_ROLLBACK,
  setServerIdPolicy,
  showServerId,
} from '../admin/serverIds.ts';
import { backends, codeOf, useTestDatabase } from '../test-support/databases.ts';
import { fakeLocalServer } from '../test-support/localServers.ts';
import { handleSyncRequest, type SyncContext } from './handleSync.ts';

const license = (n: number, seats = 10) => ({
  number: `SYNCS-00000-00000-00000-00000-${String(n).padStart(7, '0')}`,
  startDate: '2026-01-01',
  expiryDate: '2026-12-31',
  components: [{ name: 'Base', seats }],
});

describe.each(backends)('answering sync requests on $name', (backend) => {
  let ctx: SyncContext;
  let vendorKeys: PartyKeys;
  let vendor: VendorPublicKeys;
  const clock = new ManualClock('2026-03-01T10:00:00Z');
  const admin = () => ({ db: ctx.db, clock, actor: 'test-vendor' });

  useTestDatabase(backend, async (database) => {
    vendorKeys = await generatePartyKeys();
    vendor = await parseVendorPublicKeys(await serializeVendorPublicKeys(vendorKeys));
    ctx = { db: database.store.db, clock, vendorKeys };
  });

  const localServer = (id: string) =>
    fakeLocalServer(id, {
      clock,
      vendor,
      send: (sealed) => handleSyncRequest(ctx, sealed, { method: 'online', sourceAddress: '192.0.2.7' }),
    });

  const newId = async (input: object = {}) => createServerId(admin(), input);
  const bindingOf = (id: string) =>
    ctx.db.selectFrom('bindings').selectAll().where('license_server_id', '=', id).executeTakeFirst();
  const syncLogOf = (id: string) =>
    ctx.db.selectFrom('sync_log').selectAll().where('license_server_id', '=', id).orderBy('id').execute();
  const auditActionsOf = async (id: string) => {
    const rows = await ctx.db.selectFrom('audit_log').select('action').where('license_server_id', '=', id);
    return (await rows.orderBy('id').execute()).map((r) => r.action);
  };

  it('refuses an id it does not know with SERVER_ID_UNKNOWN and binds nothing', async () => {
    const server = await localServer('LS-ZZZZ-ZZZZ-ZZZZ');
    expect(await codeOf(server.sync())).toBe('SERVER_ID_UNKNOWN');
    expect(await bindingOf('LS-ZZZZ-ZZZZ-ZZZZ')).toBeUndefined();
  });

  it('binds the id to the key of its first sync and answers with a response only that server can open', async () => {
    const { id } = await newId();
    const server = await localServer(id);
    const answer = await server.send(await server.seal());
    const { response } = await openSyncResponse(answer, server.keys, vendor);
    expect(response).toMatchObject({ licenseServerId: id, serverKeyId: server.keys.signing.kid });
    expect(response.allocation).toMatchObject({ licenseServerId: id, version: 1, licenses: [] });
    const stranger = await generatePartyKeys();
    expect(await codeOf(openSyncResponse(answer, stranger, vendor))).toBe('RESPONSE_NOT_FOR_THIS_SERVER');

    const binding = await bindingOf(id);
    expect(binding).toMatchObject({ signing_kid: server.keys.signing.kid, last_sync_count: 1 });
    expect(binding?.bound_at.toISOString()).toBe('2026-03-01T10:00:00.000Z');
    expect(await auditActionsOf(id)).toEqual(['server-id.created', 'binding.created']);
    const log = await syncLogOf(id);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({
      outcome: 'ok',
      method: 'online',
      source_address: '192.0.2.7',
      signing_kid: server.keys.signing.kid,
      allocation_version: 1,
      allocation_revision: 0,
      flags: null,
    });
  });

  it('answers with the request id it answers and a vendor certificate of the server key that checkouts chain to', async () => {
    const { id } = await newId();
    await addLicense(admin(), id, { ...license(1), maxCheckoutHours: 48 });
    const server = await localServer(id);
    const request = server.request();
    const answer = await server.send(await server.seal(request));
    const { response, vendorKid } = await openSyncResponse(answer, server.keys, vendor);
    expect(response.requestId).toBe(request.requestId);
    expect(vendorKid).toBe(vendorKeys.signing.kid);
    const token = {
      type: 'leasehold.checkout' as const,
      checkoutId: 'c1',
      licenseServerId: id,
      licenseNumber: license(1).number,
      components: ['Base'],
      user: 'ada',
      computer: 'pc1',
      issuedAt: '2026-03-01T10:00:00.000Z',
      expiresAt: '2026-03-02T10:00:00.000Z',
    };
    const signed = await signCheckoutToken(token, server.keys.signing, response.serverKeyCertificate);
    const trusting = { vendorSigningKeys: vendor.signing, now: clock.now() };
    expect(await verifyCheckoutToken(signed, trusting)).toEqual(token);
    // The certificate bounds what the server key signs: the allocation, and 366 days from now.
    const certificate = verifyServerKeyCertificate(
      response.serverKeyCertificate,
      vendor.signing,
      'INVALID_INPUT',
    );
    expect(certificate.payload.allocation).toEqual(response.allocation);
    expect(Date.parse(certificate.payload.notAfter) - clock.now().getTime()).toBe(366 * DAY_MS);
    const unallocated = { ...token, licenseNumber: license(2).number };
    const forged = await signCheckoutToken(unallocated, server.keys.signing, response.serverKeyCertificate);
    expect(await codeOf(verifyCheckoutToken(forged, trusting))).toBe('CHECKOUT_TOKEN_INVALID');
  });

  it('refuses another key with SERVER_ID_IN_USE, keeps the binding and logs the refusal', async () => {
    const { id } = await newId();
    const first = await localServer(id);
    await first.sync();
    const before = await bindingOf(id);
    const second = await localServer(id);
    expect(await codeOf(second.sync())).toBe('SERVER_ID_IN_USE');
    expect(await bindingOf(id)).toEqual(before);
    const log = await syncLogOf(id);
    expect(log.map((l) => [l.outcome, l.signing_kid])).toEqual([
      ['ok', first.keys.signing.kid],
      ['SERVER_ID_IN_USE', second.keys.signing.kid],
    ]);
    expect(log[1]?.allocation_version).toBeNull();
    expect((await first.sync()).allocation.version).toBe(2);
  });

  it('binds the next key to sync after the binding is cleared, and then refuses the first', async () => {
    const { id } = await newId();
    const first = await localServer(id);
    const second = await localServer(id);
    await first.sync();
    expect(await codeOf(clearBinding(admin(), id, { reason: 'x' }))).toBe('INVALID_INPUT');
    const cleared = await clearBinding(admin(), id, { reason: 'server reinstalled' });
    expect(cleared).toMatchObject({ cleared: true, serverKeyId: first.keys.signing.kid });
    expect(await bindingOf(id)).toBeUndefined();
    expect(await codeOf(clearBinding(admin(), id, { reason: 'again' }))).toBe('BINDING_NOT_FOUND');

    expect((await second.sync()).serverKeyId).toBe(second.keys.signing.kid);
    expect((await bindingOf(id))?.signing_kid).toBe(second.keys.signing.kid);
    expect(await codeOf(first.sync())).toBe('SERVER_ID_IN_USE');
    expect(await auditActionsOf(id)).toEqual([
      'server-id.created',
      'binding.created',
      'binding.cleared',
      'binding.created',
    ]);
    expect(await codeOf(clearBinding(admin(), 'LS-ZZZZ-ZZZZ-ZZZZ', { reason: 'none' }))).toBe(
      'SERVER_ID_UNKNOWN',
    );
  });

  it('refuses the same request a second time with REQUEST_REPLAYED and changes nothing', async () => {
    const { id } = await newId();
    const server = await localServer(id);
    const sealed = await server.seal();
    await server.send(sealed);
    const row = () =>
      ctx.db.selectFrom('license_server_ids').selectAll().where('id', '=', id).executeTakeFirst();
    const before = await row();
    expect(await codeOf(server.send(sealed))).toBe('REQUEST_REPLAYED');
    expect(await row()).toEqual(before);
    expect((await syncLogOf(id)).map((l) => l.outcome)).toEqual(['ok', 'REQUEST_REPLAYED']);
    const twice = await server.seal();
    const codes = await Promise.all([codeOf(server.send(twice)), codeOf(server.send(twice))]);
    expect(codes.sort()).toEqual(['ACCEPTED', 'REQUEST_REPLAYED']);
  });

  it('gives every response a higher allocation version than the one before', async () => {
    const { id } = await newId();
    const server = await localServer(id);
    const versions: number[] = [];
    for (let i = 0; i < 4; i++) versions.push((await server.sync()).allocation.version);
    await addLicense(admin(), id, license(100));
    versions.push((await server.sync()).allocation.version);
    expect(versions).toEqual([1, 2, 3, 4, 5]);
  });

  it('delivers exactly the licenses the id holds now, after adds, changes and removals', async () => {
    const { id } = await newId();
    const other = await newId();
    await addLicense(admin(), other.id, license(10));
    const server = await localServer(id);
    const a = await addLicense(admin(), id, license(11));
    const b = await addLicense(admin(), id, license(12));
    expect((await server.sync()).allocation.licenses).toEqual([a, b]);

    const changedA = await changeLicense(admin(), id, a.number, { components: [{ name: 'Base', seats: 3 }] });
    await removeLicense(admin(), id, b.number);
    const c = await addLicense(admin(), id, license(13));
    const response = await server.sync();
    expect(response.allocation.licenses).toEqual([changedA, c]);
    expect(response.allocation.issuedAt).toBe(clock.now().toISOString());
    expect((await syncLogOf(id)).map((l) => l.allocation_revision)).toEqual([2, 5]);
  });

  it('answers a sync count lower than before but flags SERVER_STATE_ROLLBACK in the sync log and the vendor view', async () => {
    const { id } = await newId();
    const server = await localServer(id);
    await server.sync({ syncCount: 5 });
    expect((await showServerId(admin(), id)).serverStateRollback).toBeNull();
    const response = await server.sync({ syncCount: 3 });
    expect(response.allocation.version).toBe(2);
    await server.sync({ syncCount: 6 });
    expect((await syncLogOf(id)).map((l) => l.flags)).toEqual([null, 'SERVER_STATE_ROLLBACK', null]);
    expect((await bindingOf(id))?.last_sync_count).toBe(6);
    const shown = await showServerId(admin(), id);
    expect(shown.syncHistory.map((h) => h.flags)).toEqual([[], ['SERVER_STATE_ROLLBACK'], []]);
    expect(shown.serverStateRollback).toEqual({ count: 1, lastAt: clock.now().toISOString() });
  });

  it('flags SERVER_STATE_FORK when a copy of the data folder syncs in turns with the original', async () => {
    const { id } = await newId();
    const server = await localServer(id);
    await server.sync({ syncCount: 0, allocationVersion: 0 }); // binds; both copies then hold version 1
    await server.sync({ syncCount: 1, allocationVersion: 1 }); // the original: gets 2
    await server.sync({ syncCount: 1, allocationVersion: 1 }); // the copy: looks like a retried sync, gets 3
    await server.sync({ syncCount: 2, allocationVersion: 2 }); // the original: gets 4
    await server.sync({ syncCount: 2, allocationVersion: 3 }); // the copy: count 2 claimed another version
    expect((await syncLogOf(id)).map((l) => l.flags)).toEqual([null, null, null, null, 'SERVER_STATE_FORK']);
    const shown = await showServerId(admin(), id);
    expect(shown.serverStateFork).toEqual({ count: 1, lastAt: clock.now().toISOString() });
    expect(shown.serverStateRollback).toBeNull();
    expect(shown.syncHistory[0]?.flags).toEqual(['SERVER_STATE_FORK']);
  });

  it('flags SERVER_STATE_FORK for a claimed allocation version the central never issued, at binding too', async () => {
    const { id } = await newId();
    const server = await localServer(id);
    await server.sync({ syncCount: 0, allocationVersion: 7 });
    await server.sync({ syncCount: 1, allocationVersion: 1 });
    await server.sync({ syncCount: 2, allocationVersion: 40 });
    expect((await syncLogOf(id)).map((l) => l.flags)).toEqual([
      'SERVER_STATE_FORK',
      null,
      'SERVER_STATE_FORK',
    ]);
    expect((await showServerId(admin(), id)).serverStateFork?.count).toBe(2);
  });

  it('does not flag a sync retried after its answer was lost, nor the syncs of one server', async () => {
    const { id } = await newId();
    const server = await localServer(id);
    await server.sync({ syncCount: 0, allocationVersion: 0 });
    await server.sync({ syncCount: 1, allocationVersion: 1 }); // answered 2, and the answer was lost
    await server.sync({ syncCount: 1, allocationVersion: 1 }); // the same request again (a new id)
    await server.sync({ syncCount: 2, allocationVersion: 3 });
    expect((await syncLogOf(id)).map((l) => l.flags)).toEqual([null, null, null, null]);
    expect((await showServerId(admin(), id)).serverStateFork).toBeNull();
  });

  it('flags AUDIT_CHAIN_NOT_EXTENDING when the entry the last sync reported is gone or changed, and keeps each head', async () => {
    const { id } = await newId();
    const server = await localServer(id);
    const point = (n: number, hash = `hash-${n}`) => ({ id: n, hash });
    let count = 0;
    const sync = (audit: SyncRequest['audit']) =>
      server.sync({ syncCount: count, allocationVersion: count++, ...(audit ? { audit } : {}) });
    await sync({ head: point(10) }); // binds, keeps head 10
    await sync({ head: point(20), anchored: [point(10)] }); // extends it
    // The answer to this one is lost: the next request reports both heads it sent.
    await sync({ head: point(30), anchored: [point(20)] });
    await sync({ head: point(40), anchored: [point(20), point(30)] });
    // Someone recomputed the chain: entry 40 reads otherwise now.
    await sync({ head: point(50), anchored: [point(40, 'recomputed')] });
    // The tail was cut: the entry is gone (a local server sends '' for it).
    await sync({ head: point(45), anchored: [point(50, '')] });
    // An audit head that is no longer reported at all.
    await sync(undefined);
    const flags = (await syncLogOf(id)).map((l) => l.flags);
    expect(flags).toEqual([
      null,
      null,
      null,
      null,
      AUDIT_CHAIN_NOT_EXTENDING,
      AUDIT_CHAIN_NOT_EXTENDING,
      AUDIT_CHAIN_NOT_EXTENDING,
    ]);
    const shown = await showServerId(admin(), id);
    expect(shown.auditChainNotExtending?.count).toBe(3);
    expect(shown.binding?.auditHead).toBeNull();
  });

  it('refuses a sync that would be flagged with SERVER_STATE_REFUSED when the vendor set the policy, changing nothing', async () => {
    const { id } = await newId();
    const server = await localServer(id);
    await server.sync({ syncCount: 0, allocationVersion: 0 });
    await server.sync({ syncCount: 1, allocationVersion: 1 });
    expect(await setServerIdPolicy(admin(), id, { refuseFlagged: true })).toEqual({
      licenseServerId: id,
      refuseFlagged: true,
    });
    const before = await showServerId(admin(), id);
    // A restored backup: its count goes back.
    expect(await codeOf(server.sync({ syncCount: 0, allocationVersion: 1 }))).toBe('SERVER_STATE_REFUSED');
    const after = await showServerId(admin(), id);
    expect(after.lastAllocationVersion).toBe(before.lastAllocationVersion);
    expect(after.binding?.lastSyncCount).toBe(before.binding?.lastSyncCount);
    const [last] = await syncLogOf(id).then((log) => log.slice(-1));
    expect(last).toMatchObject({
      outcome: 'SERVER_STATE_REFUSED',
      flags: SERVER_STATE_ROLLBACK,
      allocation_version: null,
    });
    // The server itself, syncing as usual, is still answered; the vendor can turn the policy off.
    expect((await server.sync({ syncCount: 2, allocationVersion: 2 })).allocation.version).toBe(3);
    await setServerIdPolicy(admin(), id, { refuseFlagged: false });
    expect((await server.sync({ syncCount: 0, allocationVersion: 3 })).allocation.version).toBe(4);
    expect(await codeOf(setServerIdPolicy(admin(), id, { refuseFlagged: 'yes' }))).toBe('INVALID_INPUT');
    expect(await codeOf(setServerIdPolicy(admin(), 'LS-ZZZZ-ZZZZ-ZZZZ', { refuseFlagged: true }))).toBe(
      'SERVER_ID_UNKNOWN',
    );
  });

  it('refuses a first sync that claims a version never issued, under the policy, and binds nothing', async () => {
    const { id } = await newId();
    await setServerIdPolicy(admin(), id, { refuseFlagged: true });
    const server = await localServer(id);
    expect(await codeOf(server.sync({ syncCount: 0, allocationVersion: 7 }))).toBe('SERVER_STATE_REFUSED');
    expect((await showServerId(admin(), id)).binding).toBeNull();
  });

  it('refuses a request made more than a day ahead of its clock with CLOCK_SKEW, logged, and answers an old one', async () => {
    const { id } = await newId();
    const server = await localServer(id);
    const ahead = new Date(clock.now().getTime() + 2 * 86_400_000).toISOString();
    expect(await codeOf(server.sync({ createdAt: ahead }))).toBe('CLOCK_SKEW');
    expect(await bindingOf(id)).toBeUndefined();
    expect((await syncLogOf(id)).map((l) => l.outcome)).toEqual(['CLOCK_SKEW']);
    // A request file carried for three weeks is the post, not a clock: answered.
    const old = new Date(clock.now().getTime() - 21 * 86_400_000).toISOString();
    expect((await server.sync({ createdAt: old })).allocation.version).toBe(1);
  });

  it('refuses a request not signed by the key it carries and binds nothing', async () => {
    const { id } = await newId();
    const server = await localServer(id);
    const impostor = await generatePartyKeys();
    const otherKey = await sealSyncRequest(server.request(), impostor, vendor);
    expect(await codeOf(server.send(otherKey))).toBe('SIGNER_UNKNOWN');
    // The impostor names the carried key's id but signs with its own private key.
    const forged = await seal({
      typ: SYNC_REQUEST_TYPE,
      payload: server.request(),
      signer: { ...impostor.signing, kid: server.keys.signing.kid },
      recipient: vendor.encryption,
    });
    expect(await codeOf(server.send(forged))).toBe('SIGNATURE_INVALID');
    expect(await bindingOf(id)).toBeUndefined();
  });

  it('refuses a small-order signing key, under which anyone can forge, with SERVER_KEY_WEAK and binds nothing', async () => {
    const { id } = await newId();
    const server = await localServer(id);
    // The identity point as the signing key: the signature R = identity, S = 0 verifies for any message.
    const identity = Buffer.from(ED25519_SMALL_ORDER_Y[0] as string, 'hex');
    const x = identity.toString('base64url');
    const payload = server.request({
      serverKeys: {
        signing: { kty: 'OKP', crv: 'Ed25519', x },
        encryption: server.request().serverKeys.encryption,
      },
    });
    const kid = await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x });
    const header = { alg: 'EdDSA', kid, typ: SYNC_REQUEST_TYPE, lhv: ENVELOPE_VERSION };
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const forgedSignature = Buffer.concat([identity, Buffer.alloc(32)]).toString('base64url');
    const jws = `${part(header)}.${part(payload)}.${forgedSignature}`;
    const sealed = await new CompactEncrypt(Buffer.from(jws))
      .setProtectedHeader({
        alg: 'ECDH-ES',
        enc: 'A256GCM',
        kid: vendor.encryption.kid,
        typ: SYNC_REQUEST_TYPE,
        lhv: ENVELOPE_VERSION,
      })
      .encrypt(vendor.encryption.publicKey);
    expect(await codeOf(server.send(sealed))).toBe('SERVER_KEY_WEAK');
    expect(await bindingOf(id)).toBeUndefined();
  });

  it('refuses a small-order encryption key with SERVER_KEY_WEAK (no 500 while sealing to it) and binds nothing', async () => {
    const { id } = await newId();
    const server = await localServer(id);
    for (const hex of ['00'.repeat(32), `01${'00'.repeat(31)}`]) {
      const weak = {
        kty: 'OKP' as const,
        crv: 'X25519' as const,
        x: Buffer.from(hex, 'hex').toString('base64url'),
      };
      const request = server.request({ serverKeys: { ...server.request().serverKeys, encryption: weak } });
      expect(await codeOf(server.send(await server.seal(request)))).toBe('SERVER_KEY_WEAK');
    }
    expect(await bindingOf(id)).toBeUndefined();
    // The same server with its own keys is still welcome.
    expect(await codeOf(server.sync())).toBe('ACCEPTED');
  });

  it('refuses a request encrypted to another vendor with MESSAGE_NOT_FOR_RECIPIENT', async () => {
    const { id } = await newId();
    const server = await localServer(id);
    const otherVendorKeys = await generatePartyKeys();
    const otherVendor = await parseVendorPublicKeys(await serializeVendorPublicKeys(otherVendorKeys));
    const sealed = await sealSyncRequest(server.request(), server.keys, otherVendor);
    expect(await codeOf(server.send(sealed))).toBe('MESSAGE_NOT_FOR_RECIPIENT');
    expect(await bindingOf(id)).toBeUndefined();
  });

  it('binds exactly one of several servers racing to make the first sync of one id', async () => {
    for (let round = 0; round < 5; round++) {
      const { id } = await newId();
      const servers = await Promise.all([1, 2, 3].map(() => localServer(id)));
      const sealed = await Promise.all(servers.map((s) => s.seal()));
      const codes = await Promise.all(servers.map((s, i) => codeOf(s.send(sealed[i] as string))));
      expect([...codes].sort(), `round ${round}`).toEqual([
        'ACCEPTED',
        'SERVER_ID_IN_USE',
        'SERVER_ID_IN_USE',
      ]);
      const winner = servers[codes.indexOf('ACCEPTED')];
      expect((await bindingOf(id))?.signing_kid).toBe(winner?.keys.signing.kid);
      expect((await auditActionsOf(id)).filter((a) => a === 'binding.created')).toHaveLength(1);
    }
  });
});
