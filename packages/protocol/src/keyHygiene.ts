import { createPublicKey, diffieHellman } from 'node:crypto';
import { newPrivateKey } from './compactJose.ts';

// 2^255 - 19, the field both curves are defined over.
const P = 2n ** 255n - 19n;

/**
 * The Ed25519 points of small order (1, 2, 4 and 8), as their canonical encodings without the sign
 * bit of x: the identity, y = -1, y = 0 (two points) and the four points of order 8 (two y values).
 * keyHygiene.test.ts derives each from the curve equation, so the list cannot hide a typo.
 */
export const ED25519_SMALL_ORDER_Y = [
  '0100000000000000000000000000000000000000000000000000000000000000',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '0000000000000000000000000000000000000000000000000000000000000000',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
];

// A throwaway X25519 private key for the order check: its scalar is a multiple of 8 (clamped), so
// its product with a point of order 1, 2, 4 or 8 is the neutral element.
// Made on first use: compactJose (which makes it) imports this module.
let probe: ReturnType<typeof newPrivateKey> | undefined;

function littleEndian(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i] as number);
  return n;
}

/** An X25519 public key of small order: X25519 with it gives an all-zero secret, which OpenSSL refuses to return. */
function smallOrderX25519(raw: Uint8Array): boolean {
  const publicKey = createPublicKey({
    key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(raw).toString('base64url') },
    format: 'jwk',
  });
  try {
    probe ??= newPrivateKey('x25519');
    return diffieHellman({ privateKey: probe, publicKey }).every((byte) => byte === 0);
  } catch {
    return true;
  }
}

/**
 * Why a party's public key (its raw 32 bytes) must not be bound or used, or undefined when it is
 * fit. Under a small-order Ed25519 key anyone can forge signatures (the identity accepts R =
 * identity, S = 0 for every message); a non-canonical encoding is a second spelling of a key; a
 * small-order X25519 key makes every shared secret zero. Keys that are not points at all fail
 * where they are used (no signature verifies under them).
 */
export function weakPublicKeyReason(curve: 'Ed25519' | 'X25519', raw: Uint8Array): string | undefined {
  if (raw.length !== 32) return 'it is not 32 bytes';
  const top = raw[31] as number;
  if (curve === 'X25519') {
    if ((top & 0x80) !== 0 || littleEndian(raw) >= P) return 'its encoding is not canonical';
    return smallOrderX25519(raw) ? 'it is a point of small order' : undefined;
  }
  const y = Buffer.from(raw);
  y[31] = top & 0x7f;
  if (littleEndian(y) >= P) return 'its encoding is not canonical';
  if (ED25519_SMALL_ORDER_Y.includes(y.toString('hex'))) return 'it is a point of small order';
  return undefined;
}
