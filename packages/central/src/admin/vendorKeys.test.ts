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
    const [first] = await listVendorKeys(ctx(), { dataDir: dir });
    const rotated = await Promise.all([1, 2, 3].map(() => rotateVendorKey(ctx(), { dataDir: dir })));
    const listed = await listVendorKeys(ctx(), { dataDir: dir });
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
