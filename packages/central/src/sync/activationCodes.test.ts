import {
  generatePartyKeys,
  ManualClock,
  parseVendorPublicKeys,
  serializeVendorPublicKeys,
  type VendorPublicKeys,
} from '@leasehold/protocol';
import { describe, expect, it } from 'vitest';
import { clearBinding } from '../admin/bindings.ts';
import { createServerId, hashActivationCode } from '../admin/serverIds.ts';
import { backends, codeOf, useTestDatabase } from '../test-support/databases.ts';
import { fakeLocalServer } from '../test-support/localServers.ts';
import { handleSyncRequest, type SyncContext } from './handleSync.ts';

/** S3: the one-time activation code an id may be issued with, checked on the first sync. */
describe.each(backends)('activation codes on $name', (backend) => {
  let ctx: SyncContext;
  let vendor: VendorPublicKeys;
  const clock = new ManualClock('2026-03-01T10:00:00Z');
  const admin = () => ({ db: ctx.db, clock, actor: 'test-vendor' });

  useTestDatabase(backend, async (database) => {
    const vendorKeys = await generatePartyKeys();
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

  it('requires the activation code on the first sync of an id issued with one, and only then', async () => {
    const { id, activationCode } = await newId({ activationCode: true });
    const server = await localServer(id);
    expect(await codeOf(server.sync())).toBe('ACTIVATION_CODE_REQUIRED');
    expect(await codeOf(server.sync({ activationCode: 'not-the-code' }))).toBe('ACTIVATION_CODE_INVALID');
    expect(await bindingOf(id)).toBeUndefined();
    expect((await server.sync({ activationCode: ` ${activationCode} ` })).allocation.version).toBe(1);
    expect((await bindingOf(id))?.signing_kid).toBe(server.keys.signing.kid);
    expect((await server.sync()).allocation.version).toBe(2);
    const log = (await syncLogOf(id)).map((l) => l.outcome);
    expect(log).toEqual(['ACTIVATION_CODE_REQUIRED', 'ACTIVATION_CODE_INVALID', 'ok', 'ok']);
    // Someone else who has the code is still refused once the id is bound.
    const other = await localServer(id);
    expect(await codeOf(other.sync({ activationCode }))).toBe('SERVER_ID_IN_USE');
  });

  it('never accepts a used activation code again: clearing the binding issues a new one-time code', async () => {
    const { id, activationCode } = await newId({ activationCode: true });
    const first = await localServer(id);
    await first.sync({ activationCode });
    const usedHash = hashActivationCode(activationCode as string);

    const cleared = await clearBinding(admin(), id, { reason: 'customer moved the server' });
    expect(cleared).toMatchObject({ cleared: true, newActivationCode: true });
    const fresh = cleared.activationCode as string;
    expect(fresh).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    expect(fresh).not.toBe(activationCode);
    const row = await ctx.db
      .selectFrom('license_server_ids')
      .select('activation_code_hash')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row.activation_code_hash).toBe(hashActivationCode(fresh));
    const audit = await ctx.db.selectFrom('audit_log').select('details').where('license_server_id', '=', id);
    expect(JSON.stringify(await audit.execute())).not.toContain(fresh);

    // Neither the server that used the old code nor a new one can bind with it, though nothing is bound.
    const second = await localServer(id);
    expect(await codeOf(second.sync({ activationCode }))).toBe('ACTIVATION_CODE_USED');
    expect(await codeOf(first.sync({ activationCode }))).toBe('ACTIVATION_CODE_USED');
    expect(await codeOf(second.sync())).toBe('ACTIVATION_CODE_REQUIRED');
    expect(await bindingOf(id)).toBeUndefined();
    expect((await second.sync({ activationCode: fresh })).serverKeyId).toBe(second.keys.signing.kid);

    // The new code is used up in turn: after the next clearing only the third code binds.
    const third = (await clearBinding(admin(), id, { reason: 'again' })).activationCode as string;
    expect(await codeOf(first.sync({ activationCode: fresh }))).toBe('ACTIVATION_CODE_USED');
    expect((await first.sync({ activationCode: third })).serverKeyId).toBe(first.keys.signing.kid);
    const used = await ctx.db
      .selectFrom('used_activation_codes')
      .select('code_hash')
      .where('license_server_id', '=', id)
      .orderBy('used_at')
      .execute();
    expect(used.map((u) => u.code_hash).sort()).toEqual(
      [usedHash, hashActivationCode(fresh), hashActivationCode(third)].sort(),
    );
    expect((await syncLogOf(id)).map((l) => l.outcome)).toEqual([
      'ok',
      'ACTIVATION_CODE_USED',
      'ACTIVATION_CODE_USED',
      'ACTIVATION_CODE_REQUIRED',
      'ok',
      'ACTIVATION_CODE_USED',
      'ok',
    ]);
  });

  it('issues no activation code when clearing the binding of an id that never had one', async () => {
    const { id } = await newId();
    await (await localServer(id)).sync();
    const cleared = await clearBinding(admin(), id, { reason: 'reinstalled' });
    expect(cleared).toMatchObject({ newActivationCode: false });
    expect(cleared).not.toHaveProperty('activationCode');
    expect((await (await localServer(id)).sync()).allocation.licenseServerId).toBe(id);
  });
});
