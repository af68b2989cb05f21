import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { publicKeyWithId, signCompactEd25519 } from './compactJose.ts';
import { type ErrorCode, LeaseholdError } from './errors.ts';
import { ANNOUNCEMENTS_HEADER } from './keyAnnouncement.ts';
import type { KeyWithId } from './keys.ts';
import {
  type Allocation,
  allocationSchema,
  type Ed25519PublicJwk,
  ed25519PublicJwkSchema,
  licenseServerIdSchema,
  MAX_CERTIFICATE_BYTES,
} from './schemas.ts';
import { type CompactKind, headerOfCompact, verifySignedCompact } from './signedCompact.ts';

/**
 * The vendor's certificate of a local server's key (docs/security.md, The chain of trust): it names
 * the id, the key, and the whole allocation that key may sign for, up to `notAfter` (the end of the
 * sync window, S1). It is the local server's signed state at rest and the root every token an SDK
 * accepts is checked against: the server key the customer holds signs nothing the vendor did not
 * allocate, and nothing past the next required sync.
 */
export const SERVER_KEY_CERTIFICATE_TYPE = 'leasehold.server-key-certificate';
/** Version 1 certificates named no bounds; they are refused. */
export const SERVER_KEY_CERTIFICATE_VERSION = 2;

/** S1: a sync is enough for at most 366 days of 24 hours, counted from its signed issue time. */
export const SYNC_WINDOW_DAYS = 366;
export const SYNC_WINDOW_MS = SYNC_WINDOW_DAYS * 24 * 60 * 60 * 1000;

export const serverKeyCertificateSchema = z.strictObject({
  type: z.literal(SERVER_KEY_CERTIFICATE_TYPE),
  licenseServerId: licenseServerIdSchema,
  serverKeyId: z.string().min(1).max(100),
  serverSigningKey: ed25519PublicJwkSchema,
  issuedAt: z.iso.datetime(),
  /** S1: issue time + 366 days; the server issues nothing, and no token lasts, past it. */
  notAfter: z.iso.datetime(),
  allocation: allocationSchema,
});
export type ServerKeyCertificate = z.infer<typeof serverKeyCertificateSchema>;

const CERTIFICATE_HEADER_NAMES: ReadonlySet<string> = new Set([
  'alg',
  'kid',
  'typ',
  'lhv',
  ANNOUNCEMENTS_HEADER,
]);

export function certificateKind(code: ErrorCode): CompactKind {
  return {
    typ: SERVER_KEY_CERTIFICATE_TYPE,
    name: 'server key certificate',
    version: SERVER_KEY_CERTIFICATE_VERSION,
    allowed: CERTIFICATE_HEADER_NAMES,
    maxLength: MAX_CERTIFICATE_BYTES,
    code,
  };
}

/**
 * Signs a certificate with the vendor's current key; while keys rotate, with the announcements of that
 * key in its header, so an application shipped with an older vendor key still follows the chain
 * offline: shipped key → announcement → current key → certificate → server key → token.
 */
export function signServerKeyCertificate(
  certificate: ServerKeyCertificate,
  vendorSigning: KeyWithId,
  announcements: readonly string[] = [],
): string {
  return signCompactEd25519(
    Buffer.from(JSON.stringify(certificate)),
    {
      alg: 'EdDSA',
      kid: vendorSigning.kid,
      typ: SERVER_KEY_CERTIFICATE_TYPE,
      lhv: SERVER_KEY_CERTIFICATE_VERSION,
      ...(announcements.length ? { [ANNOUNCEMENTS_HEADER]: [...announcements] } : {}),
    },
    vendorSigning.privateKey,
  );
}

export interface VerifiedCertificate {
  payload: ServerKeyCertificate;
  /** The server key it certifies. */
  serverKey: { kid: string; publicKey: KeyObject };
  vendorKid: string;
}

/** The header of a certificate, checked (size, allowlist, version) before any key is looked up. */
export function certificateHeader(certificate: string, code: ErrorCode) {
  return headerOfCompact(certificate, certificateKind(code));
}

/**
 * Verifies a certificate with the vendor signing keys given: the signature, its shape, and that the
 * key it carries is the key it names. Synchronous: the local server verifies its stored state with it.
 */
export function verifyServerKeyCertificate(
  certificate: string,
  vendorSigningKeys: ReadonlyMap<string, KeyObject>,
  code: ErrorCode,
): VerifiedCertificate {
  const { header, payload } = verifySignedCompact(
    certificate,
    certificateKind(code),
    (kid) => vendorSigningKeys.get(kid),
    serverKeyCertificateSchema,
  );
  let serverKey: { kid: string; publicKey: KeyObject };
  try {
    serverKey = publicKeyWithId(payload.serverSigningKey);
  } catch {
    throw new LeaseholdError(code, 'the certificate carries a malformed or weak key');
  }
  if (serverKey.kid !== payload.serverKeyId)
    throw new LeaseholdError(code, 'the certificate names another key');
  if (payload.allocation.licenseServerId !== payload.licenseServerId)
    throw new LeaseholdError(code, 'the certificate names two license server ids');
  if (Date.parse(payload.notAfter) <= Date.parse(payload.issuedAt))
    throw new LeaseholdError(code, 'the certificate ends before it starts');
  return { payload, serverKey, vendorKid: header.kid as string };
}

/** The last moment a license may be used: the end of its expiry day (UTC), as the server counts it. */
export function licenseEndMs(license: { expiryDate: string }): number {
  return Date.parse(`${license.expiryDate}T23:59:59.999Z`);
}

export interface TokenClaims {
  licenseServerId: string;
  licenseNumber: string;
  components: readonly string[];
  issuedAt: string;
  expiresAt: string;
}

/** Clocks of two machines differ; a token may be dated this much before its certificate. */
const ISSUED_BEFORE_CERTIFICATE_MS = 24 * 60 * 60 * 1000;

/**
 * Why a token signed by the certified key is outside what the vendor allocated, or undefined: the
 * license is listed, its components included, it ends by the license's end and the certificate's,
 * and a checkout lasts no longer than the license allows.
 */
export function outsideCertificate(
  claims: TokenClaims,
  certificate: ServerKeyCertificate,
  kind: 'lease' | 'checkout',
): string | undefined {
  if (claims.licenseServerId !== certificate.licenseServerId)
    return 'the token and the certificate name different license servers';
  const license = certificate.allocation.licenses.find((l) => l.number === claims.licenseNumber);
  if (!license) return `license ${claims.licenseNumber} is not in the vendor's certificate`;
  const licensed = new Set(license.components.map((c) => c.name));
  const missing = claims.components.filter((c) => !licensed.has(c));
  if (missing.length) return `license ${license.number} does not include ${missing.join(', ')}`;
  const issued = Date.parse(claims.issuedAt);
  const expires = Date.parse(claims.expiresAt);
  if (issued < Date.parse(certificate.issuedAt) - ISSUED_BEFORE_CERTIFICATE_MS)
    return 'the token is dated before its certificate';
  if (issued < Date.parse(`${license.startDate}T00:00:00.000Z`))
    return `license ${license.number} starts on ${license.startDate}`;
  if (expires > Date.parse(certificate.notAfter))
    return `it runs past the end of the server's sync window (${certificate.notAfter})`;
  if (expires > licenseEndMs(license))
    return `it runs past the end of license ${license.number} (${license.expiryDate})`;
  if (kind === 'checkout' && expires - issued > license.maxCheckoutHours * 3_600_000)
    return `it lasts longer than license ${license.number} allows a checkout (${license.maxCheckoutHours} hours)`;
  return undefined;
}

/**
 * The certificate the central signs for each sync response: the allocation, for the server key the
 * request carried, valid for the sync window from the allocation's issue time (S1).
 */
export function certifyAllocation(
  allocation: Allocation,
  serverSigningKey: Ed25519PublicJwk,
  vendorSigning: KeyWithId,
  announcements: readonly string[] = [],
): string {
  return signServerKeyCertificate(
    {
      type: SERVER_KEY_CERTIFICATE_TYPE,
      licenseServerId: allocation.licenseServerId,
      serverKeyId: publicKeyWithId(serverSigningKey).kid,
      serverSigningKey,
      issuedAt: allocation.issuedAt,
      notAfter: new Date(Date.parse(allocation.issuedAt) + SYNC_WINDOW_MS).toISOString(),
      allocation,
    },
    vendorSigning,
    announcements,
  );
}
