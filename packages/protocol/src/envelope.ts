import type { KeyObject } from 'node:crypto';
import { decodeProtectedHeader } from 'jose';
import type { z } from 'zod';
import {
  decryptCompactEcdhEsA256Gcm,
  encryptCompactEcdhEsA256Gcm,
  signCompactEd25519,
  verifyCompactEd25519,
} from './compactJose.ts';
import { LeaseholdError } from './errors.ts';
import type { KeyWithId } from './keys.ts';
import { describeIssues } from './schemas.ts';

/**
 * The envelope (S8): a compact JWS (EdDSA over Ed25519) signed by the sender, inside a compact JWE
 * (ECDH-ES over X25519, A256GCM) encrypted to the recipient. Both headers carry the message type and
 * the envelope version `lhv`, and the outer and inner type must agree so a part cannot be re-wrapped
 * as another kind of message.
 */
export const ENVELOPE_VERSION = 1;
export const MAX_MESSAGE_BYTES = 32 * 1024 * 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface SealOptions {
  typ: string;
  payload: unknown;
  signer: KeyWithId;
  recipient: { kid: string; publicKey: KeyObject };
}

export async function seal({ typ, payload, signer, recipient }: SealOptions): Promise<string> {
  const jws = signCompactEd25519(
    encoder.encode(JSON.stringify(payload)),
    { alg: 'EdDSA', kid: signer.kid, typ, lhv: ENVELOPE_VERSION },
    signer.privateKey,
  );
  return encryptCompactEcdhEsA256Gcm(
    encoder.encode(jws),
    { alg: 'ECDH-ES', enc: 'A256GCM', kid: recipient.kid, typ, lhv: ENVELOPE_VERSION },
    recipient.publicKey,
  );
}

/** Says which key may have signed a message; `undefined` means the signer is not trusted. */
export type SignerResolver = (
  kid: string,
  unverifiedPayload: unknown,
) => Promise<KeyObject | undefined> | KeyObject | undefined;

export interface OpenOptions<S extends z.ZodType> {
  typ: string;
  message: string;
  /** The recipient's own decryption keys by key id. */
  decryptionKeys: ReadonlyMap<string, KeyObject>;
  resolveSigner: SignerResolver;
  schema: S;
}

export interface Opened<T> {
  payload: T;
  signerKid: string;
}

type Header = { typ?: unknown; lhv?: unknown; kid?: unknown; alg?: unknown; enc?: unknown };

/**
 * Message hygiene (S8; docs/security.md, Header hygiene): the only header parameters a Leasehold
 * envelope ever carries. Anything else — an embedded key (`jwk`, `jku`, `x5u`, `x5c`), compression
 * (`zip`), `crit` extensions, `b64` — is refused before any key is looked up, so no library default
 * can ever act on it.
 */
export const OUTER_HEADER_NAMES: ReadonlySet<string> = new Set(['alg', 'enc', 'kid', 'typ', 'lhv', 'epk']);
export const INNER_HEADER_NAMES: ReadonlySet<string> = new Set(['alg', 'kid', 'typ', 'lhv']);

// Base64url has spare bits in a segment's last character: two spellings can decode to the same
// bytes. Only the canonical one is accepted, so that every changed character is a refused message.
function isCanonical(segment: string): boolean {
  return Buffer.from(segment, 'base64url').toString('base64url') === segment;
}

function headerOf(compact: string, parts: number): Header {
  const segments = compact.split('.');
  if (segments.length !== parts) throw new LeaseholdError('MESSAGE_MALFORMED');
  if (!segments.every(isCanonical))
    throw new LeaseholdError('MESSAGE_MALFORMED', 'a part is not canonical base64url');
  try {
    return decodeProtectedHeader(compact) as Header;
  } catch {
    throw new LeaseholdError('MESSAGE_MALFORMED');
  }
}

/** The first header parameter not on the allowlist, if any. */
export function unexpectedHeaderName(header: object, allowed: ReadonlySet<string>): string | undefined {
  return Object.keys(header).find((name) => !allowed.has(name));
}

const shown = (value: unknown) => String(JSON.stringify(value)).slice(0, 60);

// The version first: a later envelope version may well carry other header parameters.
function checkHeader(header: Header, typ: string, allowed: ReadonlySet<string>): void {
  if (header.lhv !== ENVELOPE_VERSION) {
    throw new LeaseholdError(
      'PROTOCOL_VERSION_UNSUPPORTED',
      `envelope version ${shown(header.lhv)}, this program knows ${ENVELOPE_VERSION}`,
    );
  }
  const unexpected = unexpectedHeaderName(header, allowed);
  if (unexpected !== undefined)
    throw new LeaseholdError('MESSAGE_MALFORMED', `header parameter ${shown(unexpected)} is not allowed`);
  if (header.typ !== typ)
    throw new LeaseholdError('MESSAGE_TYPE_UNEXPECTED', `expected ${typ}, got ${shown(header.typ)}`);
}

/** Decrypts, verifies and validates a message. Anything unsigned, foreign, altered or unknown throws. */
export async function open<S extends z.ZodType>(options: OpenOptions<S>): Promise<Opened<z.infer<S>>> {
  const message = options.message.trim();
  if (message.length > MAX_MESSAGE_BYTES) throw new LeaseholdError('MESSAGE_TOO_LARGE');
  if (!/^[A-Za-z0-9_.-]+$/.test(message)) throw new LeaseholdError('MESSAGE_MALFORMED');

  const outer = headerOf(message, 5);
  checkHeader(outer, options.typ, OUTER_HEADER_NAMES);
  if (outer.alg !== 'ECDH-ES' || outer.enc !== 'A256GCM')
    throw new LeaseholdError('MESSAGE_MALFORMED', 'unexpected algorithms');
  const decryptionKey = typeof outer.kid === 'string' ? options.decryptionKeys.get(outer.kid) : undefined;
  if (!decryptionKey) throw new LeaseholdError('MESSAGE_NOT_FOR_RECIPIENT');

  let jws: string;
  try {
    const { plaintext } = decryptCompactEcdhEsA256Gcm(message, decryptionKey, {
      maxLength: MAX_MESSAGE_BYTES,
    });
    jws = decoder.decode(plaintext);
  } catch {
    throw new LeaseholdError('MESSAGE_TAMPERED');
  }

  const inner = headerOf(jws, 3);
  checkHeader(inner, options.typ, INNER_HEADER_NAMES);
  if (inner.alg !== 'EdDSA' || typeof inner.kid !== 'string')
    throw new LeaseholdError('SIGNATURE_INVALID', 'not an EdDSA signature');
  let unverified: unknown;
  try {
    unverified = JSON.parse(Buffer.from(jws.split('.')[1] ?? '', 'base64url').toString('utf8'));
  } catch {
    throw new LeaseholdError('MESSAGE_MALFORMED');
  }
  const signerKey = await options.resolveSigner(inner.kid, unverified);
  if (!signerKey) throw new LeaseholdError('SIGNER_UNKNOWN');
  let verifiedBytes: Uint8Array;
  try {
    verifiedBytes = verifyCompactEd25519(jws, signerKey, { maxLength: MAX_MESSAGE_BYTES }).payload;
  } catch {
    throw new LeaseholdError('SIGNATURE_INVALID');
  }
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(verifiedBytes));
  } catch {
    throw new LeaseholdError('MESSAGE_MALFORMED');
  }
  const parsed = options.schema.safeParse(json);
  if (!parsed.success) {
    throw new LeaseholdError('MESSAGE_MALFORMED', describeIssues(parsed.error).slice(0, 5).join('; '));
  }
  return { payload: parsed.data, signerKid: inner.kid };
}
