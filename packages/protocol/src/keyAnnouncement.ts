import type { KeyObject } from 'node:crypto';
import { CompactSign, compactVerify, decodeProtectedHeader } from 'jose';
import { z } from 'zod';
import { type KeyWithId, keyIdOf, publicJwkOf, publicKeyFromJwk } from './keys.ts';
import { announcementsSchema, ed25519PublicJwkSchema } from './schemas.ts';

/**
 * Vendor key rotation (S8). A new vendor signing key is trusted only when a key already trusted
 * vouches for it: the old key signs an announcement naming the new key, and sync responses (and
 * server key certificates) signed by the new key carry that announcement. A key a message brings
 * along without such a statement is never trusted.
 */
export const VENDOR_KEY_ANNOUNCEMENT_TYPE = 'leasehold.vendor-key-announcement';
/** Header of a server key certificate that holds the announcements of the key that signed it. */
export const ANNOUNCEMENTS_HEADER = 'lhk';

export const vendorKeyAnnouncementSchema = z.strictObject({
  type: z.literal(VENDOR_KEY_ANNOUNCEMENT_TYPE),
  formatVersion: z.literal(1),
  kid: z.string().min(1).max(100),
  key: ed25519PublicJwkSchema,
  announcedAt: z.iso.datetime(),
});
export type VendorKeyAnnouncement = z.infer<typeof vendorKeyAnnouncementSchema>;

/** The old key (`by`) states that `announced` is a vendor signing key from now on. */
export async function signVendorKeyAnnouncement(
  announced: KeyWithId,
  by: KeyWithId,
  at: Date,
): Promise<string> {
  const payload: VendorKeyAnnouncement = {
    type: VENDOR_KEY_ANNOUNCEMENT_TYPE,
    formatVersion: 1,
    kid: announced.kid,
    key: publicJwkOf(announced.publicKey) as VendorKeyAnnouncement['key'],
    announcedAt: at.toISOString(),
  };
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'EdDSA', kid: by.kid, typ: VENDOR_KEY_ANNOUNCEMENT_TYPE, lhv: 1 })
    .sign(by.privateKey);
}

export interface AnnouncedKey {
  kid: string;
  publicKey: KeyObject;
  /** The trusted key that signed the announcement. */
  announcedBy: string;
}

const isCanonical = (part: string) => Buffer.from(part, 'base64url').toString('base64url') === part;

/** The key an announcement names, when a trusted key signed it; otherwise undefined (never throws). */
export async function verifyVendorKeyAnnouncement(
  compact: string,
  trusted: ReadonlyMap<string, KeyObject>,
): Promise<AnnouncedKey | undefined> {
  try {
    const parts = compact.split('.');
    if (parts.length !== 3 || !parts.every(isCanonical)) return undefined;
    const header = decodeProtectedHeader(compact);
    if (header.typ !== VENDOR_KEY_ANNOUNCEMENT_TYPE || header.alg !== 'EdDSA') return undefined;
    const signer = typeof header.kid === 'string' ? trusted.get(header.kid) : undefined;
    if (!signer) return undefined;
    const { payload } = await compactVerify(compact, signer, { algorithms: ['EdDSA'] });
    const parsed = vendorKeyAnnouncementSchema.safeParse(JSON.parse(new TextDecoder().decode(payload)));
    if (!parsed.success) return undefined;
    const publicKey = publicKeyFromJwk(parsed.data.key);
    // The kid is recomputed: an announcement cannot pair a kid with another key.
    if ((await keyIdOf(publicKey)) !== parsed.data.kid) return undefined;
    return { kid: parsed.data.kid, publicKey, announcedBy: header.kid as string };
  } catch {
    return undefined;
  }
}

/** The announced key with this kid, vouched for by a trusted key; undefined when there is none. */
export async function findAnnouncedKey(
  kid: string,
  announcements: unknown,
  trusted: ReadonlyMap<string, KeyObject>,
): Promise<AnnouncedKey | undefined> {
  const list = announcementsSchema.safeParse(announcements);
  if (!list.success) return undefined;
  for (const compact of list.data) {
    const announced = await verifyVendorKeyAnnouncement(compact, trusted);
    if (announced?.kid === kid) return announced;
  }
  return undefined;
}

/**
 * The trusted keys plus every key the announcements vouch for, following chains (an announcement
 * signed by a key that another announcement vouches for). Used for offline checkout verification.
 */
export async function trustWithAnnouncements(
  trusted: ReadonlyMap<string, KeyObject>,
  announcements: unknown,
): Promise<Map<string, KeyObject>> {
  const result = new Map(trusted);
  const list = announcementsSchema.safeParse(announcements);
  if (!list.success) return result;
  let learned = true;
  while (learned) {
    learned = false;
    for (const compact of list.data) {
      const announced = await verifyVendorKeyAnnouncement(compact, result);
      if (announced && !result.has(announced.kid)) {
        result.set(announced.kid, announced.publicKey);
        learned = true;
      }
    }
  }
  return result;
}

/** The announcements a server key certificate carries in its header (none when absent or unreadable). */
export function announcementsOfCertificate(certificate: string): unknown {
  try {
    return (decodeProtectedHeader(certificate) as Record<string, unknown>)[ANNOUNCEMENTS_HEADER] ?? [];
  } catch {
    return [];
  }
}

/** The announcements in the certificate a checkout token carries (`lhc`); none when unreadable. */
export function announcementsOfCheckoutToken(token: string): unknown {
  try {
    const certificate = (decodeProtectedHeader(token.trim()) as { lhc?: unknown }).lhc;
    return typeof certificate === 'string' ? announcementsOfCertificate(certificate) : [];
  } catch {
    return []; // verifyCheckoutToken says what is wrong with the token
  }
}
