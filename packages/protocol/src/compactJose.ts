import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  type KeyObject,
  randomBytes,
  sign,
  verify,
} from 'node:crypto';
import { weakPublicKeyReason } from './keyHygiene.ts';

/**
 * The envelope's two JOSE forms, made and opened with node:crypto directly (S8; docs/performance.md,
 * Third fix): compact JWS with EdDSA over Ed25519 (RFC 7515, RFC 8037) and compact JWE with ECDH-ES
 * over X25519 and A256GCM (RFC 7516, RFC 7518 §4.6). Byte for byte the format jose writes and reads,
 * without jose's WebCrypto path (an async job and a key import per operation). Only these algorithms
 * exist here: anything else is refused, so no header can choose a weaker path.
 */

/** Why a compact message was refused; callers map it to their own error codes. */
export type CompactRefusal =
  | 'too-large'
  | 'malformed'
  | 'unsupported'
  | 'signature'
  | 'decryption'
  | 'weak-key';

export class CompactJoseError extends Error {
  readonly reason: CompactRefusal;

  constructor(reason: CompactRefusal, message: string) {
    super(message);
    this.reason = reason;
    this.name = 'CompactJoseError';
  }
}

export type ProtectedHeader = Record<string, unknown>;

export interface OpenLimits {
  /** Longest compact string looked at; longer ones are refused before they are split. */
  maxLength?: number;
}

/** The envelope's own limit (MAX_MESSAGE_BYTES); callers with smaller messages pass their own. */
export const DEFAULT_MAX_COMPACT_LENGTH = 32 * 1024 * 1024;

const refuse = (reason: CompactRefusal, message: string) => new CompactJoseError(reason, message);
const utf8 = new TextDecoder('utf-8', { fatal: true });

// Base64url has spare bits in a segment's last character, so two spellings can decode to the same
// bytes (RFC 4648 §3.5), and Node's decoder skips characters outside the alphabet and takes `+/=` too.
// Only the canonical spelling is accepted: every changed character is a refusal. (Re-encoding costs
// less than a character-class scan: ~20 µs against ~60 µs for a 46 kB part.)
export function decodeBase64urlStrict(segment: string): Buffer {
  const bytes = Buffer.from(segment, 'base64url');
  if (bytes.toString('base64url') !== segment) throw refuse('malformed', 'a part is not canonical base64url');
  return bytes;
}

const encodeJson = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

function parseHeader(segment: string): ProtectedHeader {
  let header: unknown;
  try {
    header = JSON.parse(utf8.decode(decodeBase64urlStrict(segment)));
  } catch (error) {
    if (error instanceof CompactJoseError) throw error;
    throw refuse('malformed', 'the protected header is not JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    throw refuse('malformed', 'the protected header is not a JSON object');
  return header as ProtectedHeader;
}

function split(compact: string, parts: number, limits: OpenLimits | undefined): string[] {
  if (typeof compact !== 'string') throw refuse('malformed', 'not a string');
  if (compact.length > (limits?.maxLength ?? DEFAULT_MAX_COMPACT_LENGTH))
    throw refuse('too-large', 'longer than any message accepted here');
  // At most one part more than expected is split off: a string of dots costs no array of millions.
  const segments = compact.split('.', parts + 1);
  if (segments.length !== parts) throw refuse('malformed', `not ${parts} parts`);
  return segments;
}

// Extensions this module does not implement: `crit` must be refused when not understood (RFC 7515
// §4.1.11), `b64` changes what is signed (RFC 7797), `zip` would inflate before authentication.
function refuseExtensions(header: ProtectedHeader): void {
  for (const name of ['crit', 'b64', 'zip']) {
    if (name in header) throw refuse('unsupported', `header parameter ${name} is not supported`);
  }
}

function requireKey(key: KeyObject, type: 'public' | 'private', curve: 'ed25519' | 'x25519'): void {
  if (key?.type !== type || key.asymmetricKeyType !== curve)
    throw new TypeError(`expected an ${curve} ${type} key`);
}

// --- JWS: EdDSA (Ed25519) -------------------------------------------------------------------------

export function signCompactEd25519(payload: Uint8Array, protectedHeader: object, key: KeyObject): string {
  requireKey(key, 'private', 'ed25519');
  const header = protectedHeader as ProtectedHeader;
  if (header.alg !== 'EdDSA') throw new TypeError('the header must say alg EdDSA');
  refuseExtensions(header);
  const payloadBytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const signingInput = `${encodeJson(header)}.${payloadBytes.toString('base64url')}`;
  return `${signingInput}.${sign(null, Buffer.from(signingInput, 'latin1'), key).toString('base64url')}`;
}

export function verifyCompactEd25519(
  jws: string,
  key: KeyObject,
  limits?: OpenLimits,
): { header: ProtectedHeader; payload: Uint8Array } {
  requireKey(key, 'public', 'ed25519');
  const [h, p, s] = split(jws, 3, limits) as [string, string, string];
  const header = parseHeader(h);
  if (header.alg !== 'EdDSA') throw refuse('unsupported', 'not an EdDSA signature');
  refuseExtensions(header);
  const payload = decodeBase64urlStrict(p);
  const signature = decodeBase64urlStrict(s);
  // The signing input is the ASCII of the first two parts as received (RFC 7515 §5.2).
  const signingInput = Buffer.from(jws.slice(0, h.length + 1 + p.length), 'latin1');
  if (signature.length !== 64 || !verify(null, signingInput, key, signature))
    throw refuse('signature', 'the signature does not verify');
  return { header, payload: new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength) };
}

// --- JWE: ECDH-ES (X25519) + A256GCM ---------------------------------------------------------------

/**
 * The Concat KDF of NIST SP 800-56A as RFC 7518 §4.6.2 profiles it for JOSE: SHA-256 over
 * round counter ‖ Z ‖ AlgorithmID ‖ PartyUInfo ‖ PartyVInfo ‖ SuppPubInfo, each info field
 * length-prefixed (32-bit big endian), SuppPubInfo the key length in bits, SuppPrivInfo empty.
 */
export function concatKdf(
  sharedSecret: Uint8Array,
  algorithmId: string,
  keyBits: number,
  partyUInfo: Uint8Array,
  partyVInfo: Uint8Array,
): Buffer {
  const uint32 = (n: number) => {
    const bytes = Buffer.alloc(4);
    bytes.writeUInt32BE(n);
    return bytes;
  };
  const lengthPrefixed = (bytes: Uint8Array) => [uint32(bytes.length), bytes];
  const rounds = Math.ceil(keyBits / 256);
  const output: Buffer[] = [];
  for (let round = 1; round <= rounds; round++) {
    const hash = createHash('sha256').update(uint32(round)).update(sharedSecret);
    for (const part of [
      ...lengthPrefixed(Buffer.from(algorithmId, 'ascii')),
      ...lengthPrefixed(partyUInfo),
      ...lengthPrefixed(partyVInfo),
      uint32(keyBits),
    ])
      hash.update(part);
    output.push(hash.digest());
  }
  return Buffer.concat(output).subarray(0, keyBits / 8);
}

const EMPTY = Buffer.alloc(0);
const IV_BYTES = 12;
const TAG_BYTES = 16;
// RFC 7748 §6.1: a low-order public key gives the all-zero secret; OpenSSL refuses it, and so do we.
const isAllZero = (bytes: Uint8Array) => bytes.every((b) => b === 0);

function partyInfo(header: ProtectedHeader, name: 'apu' | 'apv'): Buffer {
  const value = header[name];
  if (value === undefined) return EMPTY;
  if (typeof value !== 'string') throw refuse('malformed', `${name} is not a string`);
  return decodeBase64urlStrict(value);
}

function contentKey(privateKey: KeyObject, publicKey: KeyObject, header: ProtectedHeader): Buffer {
  let sharedSecret: Buffer;
  try {
    sharedSecret = diffieHellman({ privateKey, publicKey });
  } catch {
    throw refuse('decryption', 'no key agreement with this key');
  }
  if (isAllZero(sharedSecret)) throw refuse('decryption', 'no key agreement with this key');
  const apu = partyInfo(header, 'apu');
  const apv = partyInfo(header, 'apv');
  // As jose does: equal party infos would not tell the parties apart (both present and the same).
  if ('apu' in header && 'apv' in header && apu.equals(apv))
    throw refuse('malformed', 'apu and apv must differ');
  return concatKdf(sharedSecret, 'A256GCM', 256, apu, apv);
}

// PKCS #8 headers of an Ed25519 / X25519 private key (RFC 8410), before its 32 bytes.
const PKCS8_PREFIX = {
  ed25519: Buffer.from('302e020100300506032b657004220420', 'hex'),
  x25519: Buffer.from('302e020100300506032b656e04220420', 'hex'),
} as const;

/**
 * A new Ed25519 or X25519 private key: 32 random bytes (RFC 8032 §5.1.5, RFC 7748 §6.1), imported.
 * Not generateKeyPairSync: on Node 20, exporting a key whose generation job the garbage collector
 * finalizes at that moment deadlocks the process (the job's destructor takes the key's lock that
 * the export holds); it hung a test worker in CI, and encryption exports a fresh key on every seal.
 */
export function newPrivateKey(type: 'ed25519' | 'x25519'): KeyObject {
  return createPrivateKey({
    key: Buffer.concat([PKCS8_PREFIX[type], randomBytes(32)]),
    format: 'der',
    type: 'pkcs8',
  });
}

export function encryptCompactEcdhEsA256Gcm(
  plaintext: Uint8Array,
  protectedHeader: object,
  recipient: KeyObject,
): string {
  requireKey(recipient, 'public', 'x25519');
  const given = protectedHeader as ProtectedHeader;
  if (given.alg !== 'ECDH-ES' || given.enc !== 'A256GCM')
    throw new TypeError('the header must say alg ECDH-ES and enc A256GCM');
  if ('epk' in given) throw new TypeError('the ephemeral key is made here');
  refuseExtensions(given);
  const ephemeral = newPrivateKey('x25519');
  const epk = { crv: 'X25519', kty: 'OKP', x: createPublicKey(ephemeral).export({ format: 'jwk' }).x };
  const header = { ...given, epk };
  const key = contentKey(ephemeral, recipient, header);
  const encodedHeader = encodeJson(header);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  // The AAD is the ASCII of the encoded protected header (RFC 7516 §5.1 step 14).
  cipher.setAAD(Buffer.from(encodedHeader, 'latin1'));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const tag = cipher.getAuthTag();
  return `${encodedHeader}..${iv.toString('base64url')}.${ciphertext.toString('base64url')}.${tag.toString('base64url')}`;
}

function ephemeralPublicKey(epk: unknown): KeyObject {
  if (typeof epk !== 'object' || epk === null || Array.isArray(epk))
    throw refuse('malformed', 'no ephemeral public key');
  const { kty, crv, x, ...others } = epk as Record<string, unknown>;
  if (kty !== 'OKP' || crv !== 'X25519' || Object.keys(others).length > 0 || typeof x !== 'string')
    throw refuse('unsupported', 'the ephemeral key is not a bare X25519 public key');
  if (decodeBase64urlStrict(x).length !== 32) throw refuse('malformed', 'the ephemeral key is not 32 bytes');
  try {
    return createPublicKey({ key: { kty, crv, x }, format: 'jwk' });
  } catch {
    throw refuse('malformed', 'the ephemeral key is not a key');
  }
}

export function decryptCompactEcdhEsA256Gcm(
  jwe: string,
  key: KeyObject,
  limits?: OpenLimits,
): { header: ProtectedHeader; plaintext: Uint8Array } {
  requireKey(key, 'private', 'x25519');
  const [h, encryptedKey, i, c, t] = split(jwe, 5, limits) as [string, string, string, string, string];
  const header = parseHeader(h);
  if (header.alg !== 'ECDH-ES' || header.enc !== 'A256GCM')
    throw refuse('unsupported', 'not ECDH-ES with A256GCM');
  refuseExtensions(header);
  // Direct key agreement: the encrypted key is the empty octet sequence (RFC 7518 §4.6).
  if (encryptedKey !== '') throw refuse('malformed', 'ECDH-ES carries no encrypted key');
  const iv = decodeBase64urlStrict(i);
  const ciphertext = decodeBase64urlStrict(c);
  const tag = decodeBase64urlStrict(t);
  // A shorter tag would be accepted by GCM as a truncated one: only the full 128 bits are.
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES)
    throw refuse('malformed', 'the IV or the tag has the wrong length');
  const contentEncryptionKey = contentKey(key, ephemeralPublicKey(header.epk), header);
  const decipher = createDecipheriv('aes-256-gcm', contentEncryptionKey, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(h, 'latin1'));
  decipher.setAuthTag(tag);
  let plaintext: Buffer;
  try {
    plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw refuse('decryption', 'the message was altered or is for another key');
  }
  return { header, plaintext: new Uint8Array(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength) };
}

// --- Keys and key ids ------------------------------------------------------------------------------

export type OkpCurve = 'Ed25519' | 'X25519';

/** The RFC 7638 thumbprint (SHA-256) of an OKP public key: its required members in lexical order. */
export function okpThumbprint(crv: OkpCurve, x: string): string {
  return createHash('sha256').update(`{"crv":"${crv}","kty":"OKP","x":"${x}"}`).digest('base64url');
}

const CURVES: Record<string, OkpCurve> = { ed25519: 'Ed25519', x25519: 'X25519' };

/** A key the sender's JWK names, with its key id; one per distinct key, made once. */
export interface PublicKeyWithId {
  kid: string;
  publicKey: KeyObject;
}

const keyIds = new WeakMap<KeyObject, string>();

/** The key id of a key this process holds (its own keys, the vendor's), computed once per KeyObject. */
export function keyIdOfKeyObject(key: KeyObject): string {
  let kid = keyIds.get(key);
  if (kid === undefined) {
    const crv = CURVES[key.asymmetricKeyType ?? ''];
    if (!crv) throw new TypeError('expected an Ed25519 or X25519 key');
    const publicKey = key.type === 'private' ? createPublicKey(key) : key;
    kid = okpThumbprint(crv, String(publicKey.export({ format: 'jwk' }).x));
    keyIds.set(key, kid);
  }
  return kid;
}

// A local server sends the same two public keys on every sync; the central server meets a few
// hundred thousand of them. Bounded, oldest out first: a flood of new keys costs only its own imports.
const MAX_CACHED_KEYS = 10_000;
const publicKeys = new Map<string, PublicKeyWithId>();

/** The KeyObject and key id of an OKP public JWK from the wire (already checked by its schema). */
export function publicKeyWithId(jwk: { crv: OkpCurve; x: string }): PublicKeyWithId {
  const cacheKey = `${jwk.crv}.${jwk.x}`;
  let entry = publicKeys.get(cacheKey);
  if (entry === undefined) {
    // One spelling per key: a non-canonical x would give the same key a second key id.
    const raw = decodeBase64urlStrict(jwk.x);
    if (raw.length !== 32) throw refuse('malformed', 'the key is not 32 bytes');
    // Checked once per key, when it is first made: small-order and non-canonical keys never get a key id.
    const weak = weakPublicKeyReason(jwk.crv, raw);
    if (weak) throw refuse('weak-key', weak);
    const publicKey = createPublicKey({ key: { kty: 'OKP', crv: jwk.crv, x: jwk.x }, format: 'jwk' });
    if (publicKey.asymmetricKeyType !== jwk.crv.toLowerCase()) throw new TypeError('not an OKP key');
    entry = { kid: okpThumbprint(jwk.crv, jwk.x), publicKey };
    if (publicKeys.size >= MAX_CACHED_KEYS) publicKeys.delete(publicKeys.keys().next().value as string);
    publicKeys.set(cacheKey, entry);
  }
  return entry;
}
