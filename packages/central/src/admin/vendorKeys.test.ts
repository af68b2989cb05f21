import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  generatePartyKeys,
  ManualClock,
  serializePartyKeys,
  serializeVendorPublicKeys,
  writeFileAtomic,
  writeSecretFile,
} from '@leasehold/protocol';
import { afterAll, describe, expect, it } from 'vitest';
import { listAudit } from '../audit.ts';
import { centralPaths } from '../config.ts';
import { backends, codeOf, useTestDatabase } from '../test-support/databases.ts';
import { createServerId } from './serverIds.ts';
import { listVendorKeys, retireVendorKey, rotateVendorKey } from './vendorKeys.ts';

describe.each(backends)('vendor key operations on $name', (backend) => {
  const dir = mkdtempSync(join(tmpdir(), 'leasehold-vendor-keys-'));
  const clock = new ManualClock('2026-04-01T10:00:00Z');
  const database = useTestDatabase(backend, async () => {
    const keys = await generatePartyKeys();
    writeSecretFile(centralPaths(dir).privateKeys, serializePartyKeys(keys));
    writeFileAtomic(centralPaths(dir).publicKeys, await serializeVendorPublicKeys(keys));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const ctx = () => ({ db: database().store.db, clock, actor: 'admin-api:keys' });
  const keyActions = async () =>
    (await listAudit(database().store.db)).filter((e) => e.action.startsWith('vendor-key.'));

  it('rotates three times at once without losing a key, one audit row each', async () => {
    expect((await listVendorKeys(ctx(), { dataDir: dir })).notSyncedSinceRotation.count).toBe(0);
    const [first] = (await listVendorKeys(ctx(), { dataDir: dir })).keys;
    const rotated = await Promise.all([1, 2, 3].map(() => rotateVendorKey(ctx(), { dataDir: dir })));
    const listed = (await listVendorKeys(ctx(), { dataDir: dir })).keys;
    expect(listed.map((k) => k.status)).toEqual(['active', 'previous', 'previous', 'previous']);
    expect(new Set(listed.map((k) => k.kid)).size).toBe(4);
    expect(listed.map((k) => k.kid)).toEqual(
      expect.arrayContaining([first?.kid, ...rotated.map((r) => r.activeKeyId)]),
    );
    const audit = await keyActions();
    expect(audit.map((e) => [e.action, e.actor])).toEqual([
      ['vendor-key.rotated', 'admin-api:keys'],
      ['vendor-key.rotated', 'admin-api:keys'],
      ['vendor-key.rotated', 'admin-api:keys'],
    ]);
  });

  it('names the bound ids with no answered sync since the active key was made', async () => {
    const db = database().store.db;
    const bind = async (id: string, syncedAt?: string) => {
      await createServerId(ctx(), { id });
      await db
        .insertInto('bindings')
        .values({
          license_server_id: id,
          signing_kid: `kid-${id}`,
          signing_jwk: '{}',
          encryption_jwk: '{}',
          bound_at: new Date('2026-03-01T00:00:00Z'),
          last_sync_count: 1,
        })
        .execute();
      if (syncedAt) {
        await db
          .insertInto('sync_log')
          .values({
            license_server_id: id,
            request_id: `r-${id}`,
            at: new Date(syncedAt),
            method: 'online',
            source_address: null,
            signing_kid: `kid-${id}`,
            outcome: 'ok',
            allocation_version: 1,
            allocation_revision: 0,
            flags: null,
          })
          .execute();
      }
    };
    // The active key was made at 10:00 (the rotations above).
    await bind('LS-KEYS-0000-000A', '2026-04-01T09:00:00Z');
    await bind('LS-KEYS-0000-000B', '2026-04-01T11:00:00Z');
    await bind('LS-KEYS-0000-000C');
    await createServerId(ctx(), { id: 'LS-KEYS-0000-000D' }); // not bound: nothing to learn yet
    expect((await listVendorKeys(ctx(), { dataDir: dir })).notSyncedSinceRotation).toEqual({
      count: 2,
      licenseServerIds: ['LS-KEYS-0000-000A', 'LS-KEYS-0000-000C'],
    });
  });

  it('refuses to change keys given by the environment, or to retire an unknown key, writing nothing', async () => {
    const file = readFileSync(centralPaths(dir).privateKeys, 'utf8');
    const before = await keyActions();
    const fromEnvironment = { dataDir: dir, privateKeysText: file };
    expect(await codeOf(rotateVendorKey(ctx(), fromEnvironment))).toBe('VENDOR_KEYS_FROM_ENVIRONMENT');
    expect(await codeOf(retireVendorKey(ctx(), fromEnvironment, 'x'))).toBe('VENDOR_KEYS_FROM_ENVIRONMENT');
    expect(await codeOf(retireVendorKey(ctx(), { dataDir: dir }, 'no-such-key'))).toBe('VENDOR_KEY_UNKNOWN');
    expect(readFileSync(centralPaths(dir).privateKeys, 'utf8')).toBe(file);
    expect(await keyActions()).toEqual(before);
    // Listing works from the environment's text as from the file.
    expect(await listVendorKeys(ctx(), fromEnvironment)).toEqual(
      await listVendorKeys(ctx(), { dataDir: dir }),
    );
  });
});
