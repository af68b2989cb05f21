import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import { z } from 'zod';
import { newPrivateKey } from './compactJose.ts';
import { LeaseholdError } from './errors.ts';
import {
  describeIssues,
  type Ed25519PublicJwk,
  ed25519PublicJwkSchema,
  type X25519PublicJwk,
  x25519PublicJwkSchema,
} from './schemas.ts';

/** A private key with its key id (the RFC 7638 thumbprint of its public JWK). */
export interface KeyWithId {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** The key pairs a party holds: Ed25519 to sign what it sends, X25519 to open what it receives. */
export interface PartyKeys {
  signing: KeyWithId;
  encryption: KeyWithId;
}

export function publicJwkOf(key: KeyObject): Ed25519PublicJwk | X25519PublicJwk {
  const jwk = (key.type === 'private' ? createPublicKey(key) : key).export({ format: 'jwk' });
  return { kty: 'OKP', crv: jwk.crv as 'Ed25519', x: String(jwk.x) };
}

export async function keyIdOf(key: KeyObject): Promise<string> {
  return calculateJwkThumbprint(publicJwkOf(key), 'sha256');
}

async function withId(privateKey: KeyObject): Promise<KeyWithId> {
  const publicKey = createPublicKey(privateKey);
  return { kid: await keyIdOf(publicKey), privateKey, publicKey };
}

export async function generatePartyKeys(): Promise<PartyKeys> {
  const signing = newPrivateKey('ed25519');
  const encryption = newPrivateKey('x25519');
  return { signing: await withId(signing), encryption: await withId(encryption) };
}

const privateJwkSchema = z.object({
  kty: z.literal('OKP'),
  crv: z.enum(['Ed25519', 'X25519']),
  x: z.string(),
  d: z.string(),
});
const partyKeysFileSchema = z.strictObject({
  format: z.literal('leasehold-private-keys'),
  formatVersion: z.literal(1),
  signing: privateJwkSchema,
  encryption: privateJwkSchema,
});

/** Serializes private keys for the 0600 key file. Never log or send the result. */
export function serializePartyKeys(keys: PartyKeys): string {
  const jwk = (k: KeyObject) => k.export({ format: 'jwk' });
  return `${JSON.stringify(
    {
      format: 'leasehold-private-keys',
      formatVersion: 1,
      signing: jwk(keys.signing.privateKey),
      encryption: jwk(keys.encryption.privateKey),
    },
    null,
    2,
  )}\n`;
}

export async function parsePartyKeys(text: string): Promise<PartyKeys> {
  let parsed: z.infer<typeof partyKeysFileSchema>;
  try {
    parsed = partyKeysFileSchema.parse(JSON.parse(text));
  } catch {
    throw new LeaseholdError('CONFIG_INVALID', 'the private key file is damaged');
  }
  if (parsed.signing.crv !== 'Ed25519' || parsed.encryption.crv !== 'X25519') {
    throw new LeaseholdError('CONFIG_INVALID', 'the private key file holds keys of the wrong kind');
  }
  return {
    signing: await withId(createPrivateKey({ key: parsed.signing, format: 'jwk' })),
    encryption: await withId(createPrivateKey({ key: parsed.encryption, format: 'jwk' })),
  };
}

/** The vendor's public keys as a local server is installed with them (S8). */
export interface VendorPublicKeys {
  /** Every vendor signing key the server trusts, by key id (several while a key is rotated). */
  signing: Map<string, KeyObject>;
  /** The vendor key that requests are encrypted to. */
  encryption: { kid: string; publicKey: KeyObject };
}

const vendorKeyEntrySchema = z.discriminatedUnion('use', [
  z.strictObject({ use: z.literal('sig'), kid: z.string(), jwk: ed25519PublicJwkSchema }),
  z.strictObject({ use: z.literal('enc'), kid: z.string(), jwk: x25519PublicJwkSchema }),
]);
const vendorKeysFileSchema = z.strictObject({
  format: z.literal('leasehold-vendor-public-keys'),
  formatVersion: z.literal(1),
  vendor: z.string().max(200).optional(),
  keys: z.array(vendorKeyEntrySchema).min(2).max(20),
});

export async function serializeVendorPublicKeys(keys: PartyKeys, vendor?: string): Promise<string> {
  const doc = {
    format: 'leasehold-vendor-public-keys',
    formatVersion: 1,
    ...(vendor ? { vendor } : {}),
    keys: [
      { use: 'sig', kid: keys.signing.kid, jwk: publicJwkOf(keys.signing.publicKey) },
      { use: 'enc', kid: keys.encryption.kid, jwk: publicJwkOf(keys.encryption.publicKey) },
    ],
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

export async function parseVendorPublicKeys(text: string): Promise<VendorPublicKeys> {
  let doc: z.infer<typeof vendorKeysFileSchema>;
  try {
    const result = vendorKeysFileSchema.safeParse(JSON.parse(text));
    if (!result.success) {
      throw new LeaseholdError(
        'CONFIG_INVALID',
        `vendor public key file: ${describeIssues(result.error).join('; ')}`,
      );
    }
    doc = result.data;
  } catch (error) {
    if (error instanceof LeaseholdError) throw error;
    throw new LeaseholdError('CONFIG_INVALID', 'the vendor public key file is not JSON');
  }
  const signing = new Map<string, KeyObject>();
  let encryption: VendorPublicKeys['encryption'] | undefined;
  for (const entry of doc.keys) {
    const publicKey = createPublicKey({ key: entry.jwk, format: 'jwk' });
    // The kid is recomputed, never taken on trust, so a file cannot pair one kid with another key.
    if ((await keyIdOf(publicKey)) !== entry.kid) {
      throw new LeaseholdError(
        'CONFIG_INVALID',
        `vendor public key file: key id ${entry.kid} does not match its key`,
      );
    }
    if (entry.use === 'sig') signing.set(entry.kid, publicKey);
    else encryption = { kid: entry.kid, publicKey };
  }
  if (signing.size === 0 || !encryption) {
    throw new LeaseholdError(
      'CONFIG_INVALID',
      'the vendor public key file needs a signing and an encryption key',
    );
  }
  return { signing, encryption };
}

export function publicKeyFromJwk(jwk: Ed25519PublicJwk | X25519PublicJwk): KeyObject {
  return createPublicKey({ key: jwk, format: 'jwk' });
}
