import { CompactSign } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  SERVER_KEY_CERTIFICATE_TYPE,
  type ServerKeyCertificate,
  SYNC_WINDOW_MS,
  signCheckoutToken,
  signServerKeyCertificate,
  verifyCheckoutToken,
} from './checkout.ts';
import { LeaseholdError } from './errors.ts';
import {
  announcementsOfCheckoutToken,
  findAnnouncedKey,
  signVendorKeyAnnouncement,
  trustWithAnnouncements,
  verifyVendorKeyAnnouncement,
} from './keyAnnouncement.ts';
import {
  generatePartyKeys,
  type KeyWithId,
  parseVendorPublicKeys,
  publicJwkOf,
  serializeVendorPublicKeys,
} from './keys.ts';
import { type Ed25519PublicJwk, SYNC_RESPONSE_TYPE, type SyncResponse } from './schemas.ts';
import { openSyncResponse, sealSyncResponse } from './sync.ts';

const AT = new Date('2026-05-01T00:00:00Z');
const signingKey = async () => (await generatePartyKeys()).signing;
const trust = (...keys: KeyWithId[]) => new Map(keys.map((k) => [k.kid, k.publicKey]));
const LICENSE_NUMBER = 'AAAAA-AAAAA-AAAAA-AAAAA-AAAAA-0000001';

/** A certificate of `server` for an allocation with one license (Base), for the sync window from AT. */
const certificateOf = (server: KeyWithId): ServerKeyCertificate => ({
  type: SERVER_KEY_CERTIFICATE_TYPE,
  licenseServerId: 'LS-AAAA-BBBB-CCCC',
  serverKeyId: server.kid,
  serverSigningKey: publicJwkOf(server.publicKey) as Ed25519PublicJwk,
  issuedAt: AT.toISOString(),
  notAfter: new Date(AT.getTime() + SYNC_WINDOW_MS).toISOString(),
  allocation: {
    licenseServerId: 'LS-AAAA-BBBB-CCCC',
    version: 1,
    issuedAt: AT.toISOString(),
    licenses: [
      {
        number: LICENSE_NUMBER,
        startDate: '2026-01-01',
        expiryDate: '2099-12-31',
        maxCheckoutHours: 720,
        components: [{ name: 'Base', seats: 3 }],
      },
    ],
  },
});

describe('vendor key announcements', () => {
  it('vouch for the announced key only when a trusted key signed them', async () => {
    const [old, next, impostor] = await Promise.all([signingKey(), signingKey(), signingKey()]);
    const byOld = await signVendorKeyAnnouncement(next, old, AT);
    expect((await verifyVendorKeyAnnouncement(byOld, trust(old)))?.kid).toBe(next.kid);
    expect(await verifyVendorKeyAnnouncement(byOld, trust(impostor))).toBeUndefined();
    // A key announcing itself proves nothing.
    expect(
      await verifyVendorKeyAnnouncement(await signVendorKeyAnnouncement(impostor, impostor, AT), trust(old)),
    ).toBeUndefined();
  });

  it('refuse an altered announcement, at any character', async () => {
    const [old, next] = await Promise.all([signingKey(), signingKey()]);
    const byOld = await signVendorKeyAnnouncement(next, old, AT);
    for (let i = 0; i < byOld.length; i += 7) {
      const c = byOld[i] === 'A' ? 'B' : 'A';
      const altered = `${byOld.slice(0, i)}${c}${byOld.slice(i + 1)}`;
      expect(await verifyVendorKeyAnnouncement(altered, trust(old)), `at ${i}`).toBeUndefined();
    }
  });

  it('find the key by kid, ignore junk, and follow chains for offline verification', async () => {
    const [k1, k2, k3] = await Promise.all([signingKey(), signingKey(), signingKey()]);
    const a12 = await signVendorKeyAnnouncement(k2, k1, AT);
    const a23 = await signVendorKeyAnnouncement(k3, k2, AT);
    expect((await findAnnouncedKey(k2.kid, ['junk', a12], trust(k1)))?.announcedBy).toBe(k1.kid);
    expect(await findAnnouncedKey(k3.kid, [a23], trust(k1))).toBeUndefined();
    expect(await findAnnouncedKey(k2.kid, 'not a list', trust(k1))).toBeUndefined();
    const chained = await trustWithAnnouncements(trust(k1), [a23, a12]);
    expect([...chained.keys()].sort()).toEqual([k1.kid, k2.kid, k3.kid].sort());
  });
});

describe('a sync response signed by a rotated key', () => {
  const response = (serverKid: string): SyncResponse => ({
    type: SYNC_RESPONSE_TYPE,
    formatVersion: 1,
    licenseServerId: 'LS-AAAA-BBBB-CCCC',
    requestId: 'request-0123456789abcdef',
    serverKeyId: serverKid,
    issuedAt: AT.toISOString(),
    allocation: {
      licenseServerId: 'LS-AAAA-BBBB-CCCC',
      version: 1,
      issuedAt: AT.toISOString(),
      licenses: [],
    },
    serverKeyCertificate: 'x.y.z',
  });

  it('opens when a key the server trusts announced the signer, and says which key it learned', async () => {
    const [oldVendor, server, next] = await Promise.all([
      generatePartyKeys(),
      generatePartyKeys(),
      signingKey(),
    ]);
    const installed = await parseVendorPublicKeys(await serializeVendorPublicKeys(oldVendor));
    const announcement = await signVendorKeyAnnouncement(next, oldVendor.signing, AT);
    const rotated = { signing: next, encryption: oldVendor.encryption };
    const sealed = await sealSyncResponse(
      { ...response(server.signing.kid), vendorKeyAnnouncements: [announcement] },
      rotated,
      server.encryption,
    );
    const opened = await openSyncResponse(sealed, server, installed);
    expect(opened.vendorKid).toBe(next.kid);
    expect(opened.learnedVendorKey?.kid).toBe(next.kid);
    expect(installed.signing.has(next.kid)).toBe(false); // opening learns nothing by itself
  });

  it('is refused with SIGNER_UNKNOWN when the signer was never announced by a trusted key', async () => {
    const [oldVendor, server, impostor] = await Promise.all([
      generatePartyKeys(),
      generatePartyKeys(),
      signingKey(),
    ]);
    const installed = await parseVendorPublicKeys(await serializeVendorPublicKeys(oldVendor));
    const selfAnnounced = await signVendorKeyAnnouncement(impostor, impostor, AT);
    for (const announcements of [undefined, [selfAnnounced]]) {
      const sealed = await sealSyncResponse(
        {
          ...response(server.signing.kid),
          ...(announcements ? { vendorKeyAnnouncements: announcements } : {}),
        },
        { signing: impostor, encryption: oldVendor.encryption },
        server.encryption,
      );
      const error = await openSyncResponse(sealed, server, installed).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LeaseholdError);
      expect((error as LeaseholdError).code).toBe('SIGNER_UNKNOWN');
    }
  });
});

describe('offline checkout verification across a rotation', () => {
  it('follows shipped key → announcement → new key → certificate → server key → token', async () => {
    const [oldKey, newKey, server] = await Promise.all([signingKey(), signingKey(), generatePartyKeys()]);
    const certificate = signServerKeyCertificate(certificateOf(server.signing), newKey, [
      await signVendorKeyAnnouncement(newKey, oldKey, AT),
    ]);
    const token = await signCheckoutToken(
      {
        type: 'leasehold.checkout',
        checkoutId: 'c1',
        licenseServerId: 'LS-AAAA-BBBB-CCCC',
        licenseNumber: LICENSE_NUMBER,
        components: ['Base'],
        user: 'u',
        computer: 'c',
        issuedAt: AT.toISOString(),
        expiresAt: '2026-05-02T00:00:00Z',
      },
      server.signing,
      certificate,
    );
    const now = new Date('2026-05-01T01:00:00Z');
    // Without the announcement an application that ships only the old key cannot follow the chain.
    await expect(verifyCheckoutToken(token, { vendorSigningKeys: trust(oldKey), now })).rejects.toThrow();
    const trusted = await trustWithAnnouncements(trust(oldKey), announcementsOfCheckoutToken(token));
    expect((await verifyCheckoutToken(token, { vendorSigningKeys: trusted, now })).checkoutId).toBe('c1');
    const stranger = await trustWithAnnouncements(
      trust(await signingKey()),
      announcementsOfCheckoutToken(token),
    );
    await expect(verifyCheckoutToken(token, { vendorSigningKeys: stranger, now })).rejects.toThrow(
      /unknown key/,
    );
  });
});

describe('server key certificates through node:crypto', () => {
  it('are the bytes jose would have signed (Ed25519 is deterministic), announcements included', async () => {
    const [vendor, older, server] = await Promise.all([signingKey(), signingKey(), generatePartyKeys()]);
    const payload = certificateOf(server.signing);
    const announcement = await signVendorKeyAnnouncement(vendor, older, AT);
    for (const announcements of [[], [announcement]]) {
      const ours = signServerKeyCertificate(payload, vendor, announcements);
      const jose = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
        .setProtectedHeader({
          alg: 'EdDSA',
          kid: vendor.kid,
          typ: SERVER_KEY_CERTIFICATE_TYPE,
          lhv: 2,
          ...(announcements.length ? { lhk: announcements } : {}),
        })
        .sign(vendor.privateKey);
      expect(ours).toBe(jose);
    }
  });
});
