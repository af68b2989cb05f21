import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import {
  describeIssues,
  ed25519PublicJwkSchema,
  type KeyWithId,
  keyIdOf,
  LeaseholdError,
  newPrivateKey,
  type PartyKeys,
  publicJwkOf,
  signVendorKeyAnnouncement,
} from '@leasehold/protocol';
import { z } from 'zod';

/**
 * The vendor's keys over time (S8, docs/key-rotation.md). One signing key is `active`: it signs
 * every response and certificate. Keys rotated out are `previous`: they no longer sign responses,
 * only the announcement of the active key, so local servers that know only them learn the active
 * one. A `retired` key is announced by nobody and used for nothing; its private half is deleted,
 * only its public key is kept for the record. The encryption key does not rotate.
 */
export interface ActiveKey extends KeyWithId {
  createdAt: string | null;
}
export interface PreviousKey extends ActiveKey {
  rotatedAt: string;
}
export interface RetiredKey {
  kid: string;
  publicKey: KeyObject;
  createdAt: string | null;
  retiredAt: string;
}
export interface VendorKeyring {
  encryption: KeyWithId;
  active: ActiveKey;
  previous: PreviousKey[];
  retired: RetiredKey[];
}

const privateJwk = (crv: 'Ed25519' | 'X25519') =>
  z.strictObject({ kty: z.literal('OKP'), crv: z.literal(crv), x: z.string(), d: z.string() });
const when = z.iso.datetime().nullable();

/** `leasehold-private-keys` (what `central init` writes) is a keyring with one active key. */
const initialFileSchema = z.strictObject({
  format: z.literal('leasehold-private-keys'),
  formatVersion: z.literal(1),
  signing: privateJwk('Ed25519'),
  encryption: privateJwk('X25519'),
});
const keyringFileSchema = z.strictObject({
  format: z.literal('leasehold-vendor-keyring'),
  formatVersion: z.literal(1),
  encryption: privateJwk('X25519'),
  active: z.strictObject({ jwk: privateJwk('Ed25519'), createdAt: when }),
  previous: z
    .array(z.strictObject({ jwk: privateJwk('Ed25519'), createdAt: when, rotatedAt: z.iso.datetime() }))
    .max(7),
  retired: z.array(
    z.strictObject({
      kid: z.string(),
      jwk: ed25519PublicJwkSchema,
      createdAt: when,
      retiredAt: z.iso.datetime(),
    }),
  ),
});

async function withId(jwk: z.infer<ReturnType<typeof privateJwk>>): Promise<KeyWithId> {
  const privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
  const publicKey = createPublicKey(privateKey);
  return { kid: await keyIdOf(publicKey), privateKey, publicKey };
}

const damaged = (why: string) => new LeaseholdError('CONFIG_INVALID', `the vendor key file ${why}`);

/** Reads the vendor key file (either format). Never log the text. */
export async function parseVendorKeyring(text: string): Promise<VendorKeyring> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw damaged('is not JSON');
  }
  const initial = initialFileSchema.safeParse(json);
  if (initial.success) {
    return {
      encryption: await withId(initial.data.encryption),
      active: { ...(await withId(initial.data.signing)), createdAt: null },
      previous: [],
      retired: [],
    };
  }
  const parsed = keyringFileSchema.safeParse(json);
  if (!parsed.success) throw damaged(`is damaged: ${describeIssues(parsed.error).slice(0, 3).join('; ')}`);
  const doc = parsed.data;
  return {
    encryption: await withId(doc.encryption),
    active: { ...(await withId(doc.active.jwk)), createdAt: doc.active.createdAt },
    previous: await Promise.all(
      doc.previous.map(async (p) => ({
        ...(await withId(p.jwk)),
        createdAt: p.createdAt,
        rotatedAt: p.rotatedAt,
      })),
    ),
    retired: doc.retired.map((r) => ({
      kid: r.kid,
      publicKey: createPublicKey({ key: r.jwk, format: 'jwk' }),
      createdAt: r.createdAt,
      retiredAt: r.retiredAt,
    })),
  };
}

/** The keyring file's text, for the 0600 file. Never log or send it. */
export function serializeVendorKeyring(ring: VendorKeyring): string {
  const jwk = (k: KeyObject) => k.export({ format: 'jwk' });
  const doc = {
    format: 'leasehold-vendor-keyring',
    formatVersion: 1,
    encryption: jwk(ring.encryption.privateKey),
    active: { jwk: jwk(ring.active.privateKey), createdAt: ring.active.createdAt },
    previous: ring.previous.map((p) => ({
      jwk: jwk(p.privateKey),
      createdAt: p.createdAt,
      rotatedAt: p.rotatedAt,
    })),
    retired: ring.retired.map((r) => ({
      kid: r.kid,
      jwk: publicJwkOf(r.publicKey),
      createdAt: r.createdAt,
      retiredAt: r.retiredAt,
    })),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** A new active key; the one it replaces keeps vouching for it until it is retired. */
export async function rotateKeyring(ring: VendorKeyring, now: Date): Promise<VendorKeyring> {
  if (ring.previous.length >= 7) {
    throw new LeaseholdError(
      'VENDOR_KEY_LIMIT',
      `${ring.previous.length} previous keys are still announcing`,
    );
  }
  const privateKey = newPrivateKey('ed25519');
  const publicKey = createPublicKey(privateKey);
  const active: ActiveKey = {
    kid: await keyIdOf(publicKey),
    privateKey,
    publicKey,
    createdAt: now.toISOString(),
  };
  return {
    ...ring,
    active,
    previous: [{ ...ring.active, rotatedAt: now.toISOString() }, ...ring.previous],
  };
}

/** Stops using a previous key: it announces nothing more, and its private half is dropped. */
export function retireKey(ring: VendorKeyring, kid: string, now: Date): VendorKeyring {
  if (kid === ring.active.kid) throw new LeaseholdError('VENDOR_KEY_ACTIVE', kid);
  const key = ring.previous.find((p) => p.kid === kid);
  if (!key) {
    const retired = ring.retired.find((r) => r.kid === kid);
    throw new LeaseholdError(
      'VENDOR_KEY_UNKNOWN',
      retired ? `${kid} was retired at ${retired.retiredAt}` : `no vendor signing key ${kid}`,
    );
  }
  return {
    ...ring,
    previous: ring.previous.filter((p) => p.kid !== kid),
    retired: [
      ...ring.retired,
      { kid, publicKey: key.publicKey, createdAt: key.createdAt, retiredAt: now.toISOString() },
    ],
  };
}

/** What signs answers now: the active key, and the announcements of it by every previous key. */
export interface VendorSigning {
  vendorKeys: PartyKeys;
  announcements: readonly string[];
  /** Told to local servers so they stop trusting these keys (the newest 50). */
  retiredKeyIds: readonly string[];
}

export async function signingOf(ring: VendorKeyring): Promise<VendorSigning> {
  // Dated by the key's creation so that the same keyring always gives the same announcements.
  const at = new Date(ring.active.createdAt ?? 0);
  return {
    vendorKeys: { signing: ring.active, encryption: ring.encryption },
    announcements: await Promise.all(ring.previous.map((p) => signVendorKeyAnnouncement(ring.active, p, at))),
    retiredKeyIds: ring.retired.slice(-50).map((r) => r.kid),
  };
}

/** The vendor public key file a new local server or application is shipped with: every key still in use. */
export function vendorPublicKeyFile(ring: VendorKeyring, vendor?: string): string {
  const sig = (k: KeyWithId) => ({ use: 'sig', kid: k.kid, jwk: publicJwkOf(k.publicKey) });
  const doc = {
    format: 'leasehold-vendor-public-keys',
    formatVersion: 1,
    ...(vendor ? { vendor } : {}),
    keys: [
      sig(ring.active),
      ...ring.previous.map(sig),
      { use: 'enc', kid: ring.encryption.kid, jwk: publicJwkOf(ring.encryption.publicKey) },
    ],
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** The keys as the vendor sees them (`central keys list`): never a private key. */
export function presentKeyring(ring: VendorKeyring) {
  return [
    {
      kid: ring.active.kid,
      status: 'active',
      createdAt: ring.active.createdAt,
      rotatedAt: null,
      retiredAt: null,
    },
    ...ring.previous.map((p) => ({
      kid: p.kid,
      status: 'previous',
      createdAt: p.createdAt,
      rotatedAt: p.rotatedAt,
      retiredAt: null,
    })),
    ...ring.retired.map((r) => ({
      kid: r.kid,
      status: 'retired',
      createdAt: r.createdAt,
      rotatedAt: null,
      retiredAt: r.retiredAt,
    })),
  ];
}
