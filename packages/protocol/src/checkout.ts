import type { KeyObject } from 'node:crypto';
import { decodeProtectedHeader } from 'jose';
import { z } from 'zod';
import {
  type PublicKeyWithId,
  publicKeyWithId,
  signCompactEd25519,
  verifyCompactEd25519,
} from './compactJose.ts';
import { unexpectedHeaderName } from './envelope.ts';
import { LeaseholdError } from './errors.ts';
import type { KeyWithId } from './keys.ts';
import { ed25519PublicJwkSchema, licenseServerIdSchema } from './schemas.ts';

/**
 * L3: a checkout works with no contact, so the SDK verifies it offline along a chain it can trust
 * with only the vendor's public keys: the vendor signs a certificate for the local server's key
 * (delivered with every sync response), and the server signs the checkout token with that key.
 */
export const SERVER_KEY_CERTIFICATE_TYPE = 'leasehold.server-key-certificate';
export const CHECKOUT_TOKEN_TYPE = 'leasehold.checkout';

export const serverKeyCertificateSchema = z.strictObject({
  type: z.literal(SERVER_KEY_CERTIFICATE_TYPE),
  licenseServerId: licenseServerIdSchema,
  serverKeyId: z.string(),
  serverSigningKey: ed25519PublicJwkSchema,
  issuedAt: z.iso.datetime(),
});
export type ServerKeyCertificate = z.infer<typeof serverKeyCertificateSchema>;

export const checkoutTokenSchema = z.strictObject({
  type: z.literal(CHECKOUT_TOKEN_TYPE),
  checkoutId: z.string(),
  licenseServerId: licenseServerIdSchema,
  licenseNumber: z.string(),
  components: z.array(z.string()),
  user: z.string(),
  computer: z.string(),
  issuedAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
});
export type CheckoutToken = z.infer<typeof checkoutTokenSchema>;

/** A token with its certificate is a few kilobytes; far more is refused unread (L3; docs/security.md). */
export const MAX_CHECKOUT_TOKEN_BYTES = 256 * 1024;

// Header allowlists (L3; docs/security.md, Header hygiene): `lhc` carries the certificate, `lhk` the
// vendor key announcements; an embedded key, compression, `crit` or `b64` is refused before any key
// is looked up.
const TOKEN_HEADER_NAMES: ReadonlySet<string> = new Set(['alg', 'kid', 'typ', 'lhv', 'lhc']);
const CERTIFICATE_HEADER_NAMES: ReadonlySet<string> = new Set(['alg', 'kid', 'typ', 'lhv', 'lhk']);

const encoder = new TextEncoder();

async function signCompact(
  typ: string,
  payload: unknown,
  signer: KeyWithId,
  extra: Record<string, unknown> = {},
): Promise<string> {
  return signCompactEd25519(
    encoder.encode(JSON.stringify(payload)),
    { alg: 'EdDSA', kid: signer.kid, typ, lhv: 1, ...extra },
    signer.privateKey,
  );
}

export function signServerKeyCertificate(
  certificate: ServerKeyCertificate,
  vendorSigning: KeyWithId,
): Promise<string> {
  return signCompact(SERVER_KEY_CERTIFICATE_TYPE, certificate, vendorSigning);
}

/** The token carries the vendor's certificate of the server key in its header (`lhc`). */
export function signCheckoutToken(
  token: CheckoutToken,
  serverSigning: KeyWithId,
  certificate: string,
): Promise<string> {
  return signCompact(CHECKOUT_TOKEN_TYPE, token, serverSigning, { lhc: certificate });
}

type CompactHeader = { kid?: unknown; typ?: unknown; alg?: unknown; lhc?: unknown; lhv?: unknown };

/** Structure and header of a compact JWS, checked before any key is looked up. */
function headerOfCompact(compact: string, typ: string, allowed: ReadonlySet<string>): CompactHeader {
  const invalid = (why: string) => new LeaseholdError('CHECKOUT_TOKEN_INVALID', why);
  // Only canonical base64url: otherwise a changed last character can decode to the same bytes.
  const segments = compact.split('.');
  if (
    segments.length !== 3 ||
    segments.some((p) => Buffer.from(p, 'base64url').toString('base64url') !== p)
  ) {
    throw invalid('not a compact token');
  }
  let header: CompactHeader;
  try {
    header = decodeProtectedHeader(compact);
  } catch {
    throw invalid('not a token');
  }
  const unexpected = unexpectedHeaderName(header, allowed);
  if (unexpected !== undefined)
    throw invalid(`header parameter ${JSON.stringify(unexpected).slice(0, 40)} is not allowed (${typ})`);
  if (header.typ !== typ || header.alg !== 'EdDSA' || header.lhv !== 1 || typeof header.kid !== 'string')
    throw invalid(`not a ${typ}`);
  return header;
}

async function verifyCompact<S extends z.ZodType>(
  compact: string,
  typ: string,
  allowed: ReadonlySet<string>,
  key: (kid: string) => KeyObject | undefined,
  schema: S,
) {
  const invalid = (why: string) => new LeaseholdError('CHECKOUT_TOKEN_INVALID', why);
  const header = headerOfCompact(compact, typ, allowed);
  const verificationKey = key(header.kid as string);
  if (!verificationKey) throw invalid(`signed by an unknown key (${typ})`);
  let payload: Uint8Array;
  try {
    payload = verifyCompactEd25519(compact, verificationKey, { maxLength: MAX_CHECKOUT_TOKEN_BYTES }).payload;
  } catch {
    throw invalid(`the signature does not verify (${typ})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(payload));
  } catch {
    throw invalid(`malformed ${typ}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw invalid(`malformed ${typ}`);
  return { header, payload: parsed.data as z.infer<S> };
}

/** A checkout token's size and own header, checked before any key is looked up; its certificate. */
function tokenHeader(token: string): { compact: string; header: CompactHeader; certificate: string } {
  const compact = token.trim();
  if (compact.length > MAX_CHECKOUT_TOKEN_BYTES)
    throw new LeaseholdError('CHECKOUT_TOKEN_INVALID', 'larger than any checkout token');
  const header = headerOfCompact(compact, CHECKOUT_TOKEN_TYPE, TOKEN_HEADER_NAMES);
  if (typeof header.lhc !== 'string')
    throw new LeaseholdError('CHECKOUT_TOKEN_INVALID', 'no server key certificate');
  return { compact, header, certificate: header.lhc };
}

/**
 * The vendor key announcements a checkout token carries in its certificate's header, read only once
 * the token's size and both headers pass the checks verifyCheckoutToken makes (CHECKOUT_TOKEN_INVALID
 * otherwise): nothing of a token refused there is looked at, let alone trusted.
 */
export function checkoutTokenAnnouncements(token: string): unknown {
  const { certificate } = tokenHeader(token);
  const header = headerOfCompact(certificate, SERVER_KEY_CERTIFICATE_TYPE, CERTIFICATE_HEADER_NAMES);
  return (header as Record<string, unknown>).lhk ?? [];
}

export interface VerifyCheckoutOptions {
  vendorSigningKeys: ReadonlyMap<string, KeyObject>;
  now: Date;
  user?: string;
  computer?: string;
}

/** Verifies a checkout token offline: vendor key → server key certificate → token, then time and holder. */
export async function verifyCheckoutToken(
  token: string,
  options: VerifyCheckoutOptions,
): Promise<CheckoutToken> {
  // The token's own header is checked before the vendor key is looked up for its certificate.
  const { compact, certificate: signedCertificate } = tokenHeader(token);
  const certificate = await verifyCompact(
    signedCertificate,
    SERVER_KEY_CERTIFICATE_TYPE,
    CERTIFICATE_HEADER_NAMES,
    (kid) => options.vendorSigningKeys.get(kid),
    serverKeyCertificateSchema,
  );
  let serverKey: PublicKeyWithId;
  try {
    // Made once per server key and cached: every checkout of that server carries the same key.
    serverKey = publicKeyWithId(certificate.payload.serverSigningKey);
  } catch {
    throw new LeaseholdError('CHECKOUT_TOKEN_INVALID', 'the certificate carries a malformed key');
  }
  if (serverKey.kid !== certificate.payload.serverKeyId) {
    throw new LeaseholdError('CHECKOUT_TOKEN_INVALID', 'the certificate names another key');
  }
  const { payload } = await verifyCompact(
    compact,
    CHECKOUT_TOKEN_TYPE,
    TOKEN_HEADER_NAMES,
    (kid) => (kid === serverKey.kid ? serverKey.publicKey : undefined),
    checkoutTokenSchema,
  );
  if (payload.licenseServerId !== certificate.payload.licenseServerId) {
    throw new LeaseholdError(
      'CHECKOUT_TOKEN_INVALID',
      'the token and the certificate name different license servers',
    );
  }
  if (options.user !== undefined && payload.user !== options.user)
    throw new LeaseholdError('CHECKOUT_TOKEN_INVALID', 'checked out to another user');
  if (options.computer !== undefined && payload.computer !== options.computer) {
    throw new LeaseholdError('CHECKOUT_TOKEN_INVALID', 'checked out to another computer');
  }
  if (new Date(payload.expiresAt).getTime() <= options.now.getTime()) {
    throw new LeaseholdError('CHECKOUT_EXPIRED', `it ended at ${payload.expiresAt}`);
  }
  return payload;
}
