import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadVendorKeys } from '@leasehold/central';
import {
  generatePartyKeys,
  openSyncRequest,
  type PartyKeys,
  parsePartyKeys,
  SYNC_RESPONSE_TYPE,
  type SyncResponse,
  sealSyncResponse,
  signVendorKeyAnnouncement,
} from '@leasehold/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Daemon, daemon, leasehold, stableStatus } from '../support/leasehold.ts';
import { SyncRelay } from '../support/relay.ts';
import { type LocalServerHandle, World } from '../support/world.ts';

// S8: the vendor rotates its signing key. A local server installed with the old key learns the new
// one from a response that carries its announcement signed by the old key, keeps it, and keeps
// syncing once the old key is retired; a key nobody trusted announced is refused.

const trustedKids = (server: LocalServerHandle) =>
  JSON.parse(readFileSync(join(server.dataDir, 'vendor-public-keys.json'), 'utf8'))
    .keys.filter((k: { use: string }) => k.use === 'sig')
    .map((k: { kid: string }) => k.kid)
    .sort();

describe('vendor key rotation: announce, learn, retire (S8)', () => {
  let world: World;
  let relay: SyncRelay;
  let early: LocalServerHandle;
  let late: LocalServerHandle;
  let local: Daemon | undefined;
  let firstKid: string;
  let secondKid: string;
  let firstKeyFile: string;
  let tokenFile: string;
  let firstPrivateKeys: string;

  beforeAll(async () => {
    world = await World.start();
    relay = await new SyncRelay(world.ports.primary).start();
    const id = await world.createServerId('Early Customer');
    await world.addLicense(id, '--max-checkout-hours', '24');
    const lateId = await world.createServerId('Late Customer');
    await world.addLicense(lateId);
    // Both installed with the key file as it was before any rotation; only `early` syncs meanwhile.
    early = await world.localServer(id, { name: 'early', ports: [relay.port] });
    late = await world.localServer(lateId, { name: 'late' });
    firstKeyFile = join(world.root, 'vendor-public-keys-first.json');
    writeFileSync(firstKeyFile, readFileSync(world.vendorKeysFile));
    // Kept to play a leaked key later: retiring deletes it from the vendor's keyring.
    firstPrivateKeys = readFileSync(join(world.centralDir, 'keys', 'vendor-private-keys.json'), 'utf8');
  }, 180_000);
  afterAll(async () => {
    await local?.stop();
    await relay?.stop();
    await world?.stop();
  });

  it('starts with one active key, which the first sync uses', async () => {
    const listed = await world.vendor(['keys', 'list', '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.json.keys).toHaveLength(1);
    expect(listed.json.keys[0]).toMatchObject({ status: 'active' });
    firstKid = listed.json.keys[0].kid;
    const sync = await early.sync();
    expect(sync.code, sync.stderr).toBe(0);
    expect(sync.json.learnedVendorKeyId).toBeUndefined();
    expect(trustedKids(early)).toEqual([firstKid]);
  });

  it('rotates: the next sync is signed by the new key, which the server learns and keeps (0600)', async () => {
    const rotated = await world.vendor(['keys', 'rotate', '--json']);
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(rotated.json.previousKeyId).toBe(firstKid);
    secondKid = rotated.json.activeKeyId;
    expect(secondKid).not.toBe(firstKid);
    const published = JSON.parse(readFileSync(world.vendorKeysFile, 'utf8'));
    expect(published.keys.map((k: { kid: string }) => k.kid)).toEqual(
      expect.arrayContaining([firstKid, secondKid]),
    );

    // `early` is bound and has not synced since: it may not know the new key yet.
    const before = await world.vendor(['keys', 'list', '--json']);
    expect(before.json.notSyncedSinceRotation.count).toBe(1);

    const sync = await early.sync();
    expect(sync.code, sync.stderr).toBe(0);
    expect(sync.json.learnedVendorKeyId).toBe(secondKid);
    expect((await world.vendor(['keys', 'list', '--json'])).json.notSyncedSinceRotation.count).toBe(0);
    expect(trustedKids(early)).toEqual([firstKid, secondKid].sort());
    const file = join(early.dataDir, 'vendor-public-keys.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // The response really was signed by the new key.
    const again = await early.sync();
    expect(again.code, again.stderr).toBe(0);
    expect(again.json.learnedVendorKeyId).toBeUndefined();
    expect((await early.status()).allocationVersion).toBe(3);
  });

  it('issues checkouts that an application shipped with only the first key verifies offline', async () => {
    local = await daemon([
      'server',
      'serve',
      '--data-dir',
      early.dataDir,
      '--port',
      '0',
      '--host',
      '127.0.0.1',
    ]);
    const checkout = await leasehold([
      'client',
      'checkout',
      '--url',
      local.info.url,
      // The application as shipped before the rotation: only the first key.
      '--vendor-keys',
      firstKeyFile,
      '--user',
      'ann',
      '--computer',
      'ann-pc',
      '--hours',
      '2',
      '--json',
    ]);
    expect(checkout.code, checkout.stderr).toBe(0);
    tokenFile = join(world.root, 'checkout.token');
    writeFileSync(tokenFile, checkout.json.checkout.token);
    for (const keys of [firstKeyFile, world.vendorKeysFile]) {
      const shown = await leasehold([
        'client',
        'show',
        '--token',
        `@${tokenFile}`,
        '--vendor-keys',
        keys,
        '--json',
      ]);
      expect(shown.code, `${keys}: ${shown.stderr}`).toBe(0);
      expect(shown.json.checkout).toMatchObject({ user: 'ann', computer: 'ann-pc' });
    }
    // A floating lease's token, too, verifies with only the first key, through the announcement.
    const flags = [
      '--url',
      local.info.url,
      '--vendor-keys',
      firstKeyFile,
      '--user',
      'bob',
      '--computer',
      'bob-pc',
      '--json',
    ];
    const activated = await leasehold(['client', 'activate', ...flags]);
    expect(activated.code, activated.stderr).toBe(0);
    const released = await leasehold(['client', 'release', activated.json.lease.id, ...flags]);
    expect(released.code, released.stderr).toBe(0);
  });

  it('retires the first key; the server that learned the new one keeps syncing', async () => {
    const retired = await world.vendor(['keys', 'retire', firstKid, '--json']);
    expect(retired.code, retired.stderr).toBe(0);
    const listed = await world.vendor(['keys', 'list', '--json']);
    expect(listed.json.keys.map((k: { kid: string; status: string }) => [k.kid, k.status])).toEqual([
      [secondKid, 'active'],
      [firstKid, 'retired'],
    ]);
    const sync = await early.sync();
    expect(sync.code, sync.stderr).toBe(0);
    expect((await early.status()).allocationVersion).toBe(4);
    // The response tells the server that the first key is retired: it stops trusting it.
    expect(sync.json.retiredVendorKeyIds).toEqual([firstKid]);
    expect(trustedKids(early)).toEqual([secondKid]);
    // The checkout made before the retirement still verifies with the key file shipped now.
    const shown = await leasehold([
      'client',
      'show',
      '--token',
      `@${tokenFile}`,
      '--vendor-keys',
      world.vendorKeysFile,
      '--json',
    ]);
    expect(shown.code, shown.stderr).toBe(0);
    // Retiring twice, or retiring the active key, is refused.
    expect((await world.vendor(['keys', 'retire', firstKid, '--json'])).json.error.code).toBe(
      'VENDOR_KEY_UNKNOWN',
    );
    expect((await world.vendor(['keys', 'retire', secondKid, '--json'])).json.error.code).toBe(
      'VENDOR_KEY_ACTIVE',
    );
  });

  it('refuses, with SIGNER_UNKNOWN and nothing changed, a server that never learned the new key before the retirement', async () => {
    const before = stableStatus(await late.status());
    const sync = await late.sync();
    expect(sync.code).not.toBe(0);
    expect(sync.json.error.code).toBe('SIGNER_UNKNOWN');
    expect(sync.json.error.message).toContain('vendor-public-keys.json');
    expect(stableStatus(await late.status())).toEqual(before);
    expect(trustedKids(late)).toEqual([firstKid]);
  });

  /** Answers the next sync through the relay with a response signed by `signing`, vendor-correct otherwise. */
  async function forgeWith(signing: PartyKeys['signing'], announcements?: string[]) {
    const vendorKeys = await loadVendorKeys(world.centralDir);
    relay.tamper = async (request) => {
      const opened = await openSyncRequest(request, vendorKeys);
      const now = new Date().toISOString();
      const response: SyncResponse = {
        type: SYNC_RESPONSE_TYPE,
        formatVersion: 1,
        licenseServerId: opened.request.licenseServerId,
        requestId: opened.request.requestId,
        serverKeyId: opened.serverSigningKid,
        issuedAt: now,
        allocation: {
          licenseServerId: opened.request.licenseServerId,
          version: 1000,
          issuedAt: now,
          licenses: [],
        },
        serverKeyCertificate: 'x.y.z',
        ...(announcements ? { vendorKeyAnnouncements: announcements } : {}),
      };
      return { body: await sealSyncResponse(response, { ...vendorKeys, signing }, opened.serverEncryption) };
    };
  }

  async function expectRefused(code: string) {
    const before = stableStatus(await early.status());
    const sync = await early.sync();
    relay.tamper = undefined;
    expect(sync.code).not.toBe(0);
    expect(sync.json.error.code).toBe(code);
    expect(stableStatus(await early.status())).toEqual(before);
    expect(trustedKids(early)).toEqual([secondKid]);
  }

  it('refuses a response signed by a key no trusted key announced, even one that announces itself', async () => {
    const impostor = (await generatePartyKeys()).signing;
    await forgeWith(impostor, [await signVendorKeyAnnouncement(impostor, impostor, new Date())]);
    await expectRefused('SIGNER_UNKNOWN');
  });

  it('refuses a response signed by the retired key, as if it had leaked', async () => {
    const first = await parsePartyKeys(firstPrivateKeys);
    expect(first.signing.kid).toBe(firstKid);
    await forgeWith(first.signing);
    await expectRefused('SIGNER_UNKNOWN');
  });
});
