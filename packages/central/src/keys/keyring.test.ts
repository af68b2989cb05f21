import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  generatePartyKeys,
  LeaseholdError,
  parseVendorPublicKeys,
  serializePartyKeys,
  verifyVendorKeyAnnouncement,
  writeSecretFile,
} from '@leasehold/protocol';
import { afterAll, describe, expect, it } from 'vitest';
import { centralPaths } from '../config.ts';
import {
  parseVendorKeyring,
  presentKeyring,
  retireKey,
  rotateKeyring,
  serializeVendorKeyring,
  signingOf,
} from './keyring.ts';
import { fileVendorKeySource, loadVendorKeyring, saveVendorKeyring } from './vendorKeys.ts';

const T1 = new Date('2026-01-01T00:00:00Z');
const T2 = new Date('2026-02-01T00:00:00Z');
const initialKeyring = async () => parseVendorKeyring(serializePartyKeys(await generatePartyKeys()));
const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    if (error instanceof LeaseholdError) return error.code;
    throw error;
  }
  return 'ACCEPTED';
};

describe('the vendor keyring', () => {
  it('reads the key file `central init` writes as one active key, announcing nothing', async () => {
    const ring = await initialKeyring();
    expect(presentKeyring(ring).map((k) => k.status)).toEqual(['active']);
    expect((await signingOf(ring)).announcements).toEqual([]);
  });

  it('rotates: a new active key, announced by the old one, and the file keeps both', async () => {
    const before = await initialKeyring();
    const after = await rotateKeyring(before, T1);
    expect(after.active.kid).not.toBe(before.active.kid);
    expect(after.encryption.kid).toBe(before.encryption.kid);
    const { vendorKeys, announcements } = await signingOf(after);
    expect(vendorKeys.signing.kid).toBe(after.active.kid);
    const announced = await verifyVendorKeyAnnouncement(
      announcements[0] as string,
      new Map([[before.active.kid, before.active.publicKey]]),
    );
    expect(announced).toMatchObject({ kid: after.active.kid, announcedBy: before.active.kid });
    const reread = await parseVendorKeyring(serializeVendorKeyring(after));
    expect(presentKeyring(reread)).toEqual(presentKeyring(after));
    expect((await signingOf(reread)).announcements).toEqual(announcements);
  });

  it('retires a previous key: no announcement, no private key, kept on record', async () => {
    const before = await initialKeyring();
    const rotated = await rotateKeyring(before, T1);
    const retired = retireKey(rotated, before.active.kid, T2);
    expect((await signingOf(retired)).announcements).toEqual([]);
    expect(presentKeyring(retired).map((k) => [k.kid, k.status])).toEqual([
      [rotated.active.kid, 'active'],
      [before.active.kid, 'retired'],
    ]);
    const text = serializeVendorKeyring(retired);
    expect(JSON.parse(text).retired[0].jwk.d).toBeUndefined();
  });

  it('refuses to retire the active key, an unknown key or one retired already, changing nothing', async () => {
    const before = await initialKeyring();
    const rotated = await rotateKeyring(before, T1);
    const retired = retireKey(rotated, before.active.kid, T2);
    expect(codeOf(() => retireKey(rotated, rotated.active.kid, T2))).toBe('VENDOR_KEY_ACTIVE');
    expect(codeOf(() => retireKey(rotated, 'no-such-kid', T2))).toBe('VENDOR_KEY_UNKNOWN');
    expect(codeOf(() => retireKey(retired, before.active.kid, T2))).toBe('VENDOR_KEY_UNKNOWN');
    expect(presentKeyring(rotated).map((k) => k.status)).toEqual(['active', 'previous']);
  });

  it('caps the previous keys still announcing', async () => {
    let ring = await initialKeyring();
    for (let i = 0; i < 7; i++) ring = await rotateKeyring(ring, T1);
    await expect(rotateKeyring(ring, T2)).rejects.toMatchObject({ code: 'VENDOR_KEY_LIMIT' });
  });

  it('refuses a damaged key file with CONFIG_INVALID', async () => {
    for (const text of [
      'not json',
      '{}',
      JSON.stringify({ format: 'leasehold-vendor-keyring', formatVersion: 1 }),
    ]) {
      await expect(parseVendorKeyring(text)).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    }
  });
});

describe('the keyring in the data folder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'leasehold-keyring-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is saved 0600 with a public key file of every key in use, and a serving node picks it up at once', async () => {
    const paths = centralPaths(dir);
    const initial = await generatePartyKeys();
    writeSecretFile(paths.privateKeys, serializePartyKeys(initial));
    writeSecretFile(paths.publicKeys, JSON.stringify({ vendor: 'Example Software' }));
    const source = fileVendorKeySource(dir, await signingOf(await loadVendorKeyring(dir)));
    expect((await source.current()).vendorKeys.signing.kid).toBe(initial.signing.kid);

    const rotated = await rotateKeyring(await loadVendorKeyring(dir), T1);
    saveVendorKeyring(dir, rotated);
    expect(statSync(paths.privateKeys).mode & 0o777).toBe(0o600);
    const published = await parseVendorPublicKeys(readFileSync(paths.publicKeys, 'utf8'));
    expect([...published.signing.keys()].sort()).toEqual([initial.signing.kid, rotated.active.kid].sort());
    expect(JSON.parse(readFileSync(paths.publicKeys, 'utf8')).vendor).toBe('Example Software');

    const now = await source.current();
    expect(now.vendorKeys.signing.kid).toBe(rotated.active.kid);
    expect(now.announcements).toHaveLength(1);

    // A damaged file leaves the keys in use; once it reads well again it is used.
    const good = readFileSync(paths.privateKeys, 'utf8');
    writeSecretFile(paths.privateKeys, '{ half a file');
    expect((await source.current()).vendorKeys.signing.kid).toBe(rotated.active.kid);
    const again = await rotateKeyring(await parseVendorKeyring(good), T2);
    saveVendorKeyring(dir, again);
    expect((await source.current()).vendorKeys.signing.kid).toBe(again.active.kid);
  });
});
