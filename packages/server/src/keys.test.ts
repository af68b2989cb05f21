import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatePartyKeys, serializeVendorPublicKeys } from '@leasehold/protocol';
import { afterAll, describe, expect, it } from 'vitest';
import { distrustRetiredVendorKeys, loadVendorPublicKeys, trustAnnouncedVendorKey } from './keys.ts';

describe('the vendor keys a local server trusts (S8)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'leasehold-vendor-keys-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const kidsInFile = () =>
    JSON.parse(readFileSync(join(dir, 'vendor-public-keys.json'), 'utf8'))
      .keys.filter((k: { use: string }) => k.use === 'sig')
      .map((k: { kid: string }) => k.kid);

  it('adds an announced key once, keeps the rest of the file, writes it 0600, and drops retired keys but never the signer', async () => {
    const installed = await generatePartyKeys();
    const [second, third] = [(await generatePartyKeys()).signing, (await generatePartyKeys()).signing];
    writeFileSync(
      join(dir, 'vendor-public-keys.json'),
      await serializeVendorPublicKeys(installed, 'Example Software'),
    );
    const vendor = await loadVendorPublicKeys(dir);

    trustAnnouncedVendorKey(vendor, second.kid, second.publicKey);
    trustAnnouncedVendorKey(vendor, second.kid, second.publicKey);
    expect(kidsInFile()).toEqual([installed.signing.kid, second.kid]);
    expect(statSync(join(dir, 'vendor-public-keys.json')).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(join(dir, 'vendor-public-keys.json'), 'utf8')).vendor).toBe(
      'Example Software',
    );
    const reloaded = await loadVendorPublicKeys(dir);
    expect([...reloaded.signing.keys()]).toEqual([installed.signing.kid, second.kid]);
    expect(reloaded.encryption.kid).toBe(installed.encryption.kid);

    // The signer of the response that says so is never dropped, nor a key never trusted.
    expect(distrustRetiredVendorKeys(vendor, [second.kid, third.kid], second.kid)).toEqual([]);
    expect(distrustRetiredVendorKeys(vendor, [installed.signing.kid, third.kid], second.kid)).toEqual([
      installed.signing.kid,
    ]);
    expect(kidsInFile()).toEqual([second.kid]);
    expect([...vendor.signing.keys()]).toEqual([second.kid]);
  });
});
