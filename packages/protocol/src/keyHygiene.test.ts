import { createPublicKey, diffieHellman, type KeyObject, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newPrivateKey } from './compactJose.ts';
import { ED25519_SMALL_ORDER_Y, weakPublicKeyReason } from './keyHygiene.ts';

const P = 2n ** 255n - 19n;
const le = (bytes: Uint8Array) => bytes.reduceRight((n, byte) => (n << 8n) | BigInt(byte), 0n);
const toLe = (n: bigint) =>
  Buffer.from(Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn)));
function pow(base: bigint, e: bigint): bigint {
  let r = 1n;
  let b = base % P;
  for (; e > 0n; e >>= 1n, b = (b * b) % P) if (e & 1n) r = (r * b) % P;
  return r;
}
const inv = (n: bigint) => pow(n, P - 2n);
const D = ((P - 121665n) * inv(121666n)) % P;
const raw = (key: KeyObject) => Buffer.from(String(key.export({ format: 'jwk' }).x), 'base64url');

/** On Edwards25519, from the curve equation: x^2 = (y^2 - 1) / (d y^2 + 1) has a root. */
function onCurve(y: bigint): boolean {
  const xx = (((y * y - 1n + P) % P) * inv((D * y * y + 1n) % P)) % P;
  return xx === 0n || pow(xx, (P - 1n) / 2n) === 1n;
}

/** Small order, by another road than the list: the Montgomery u = (1 + y) / (1 - y), times a clamped scalar. */
function smallOrderByMontgomery(y: bigint): boolean {
  if (y === 1n) return true; // the identity maps to the point at infinity
  const u = ((1n + y) * inv((1n - y + P) % P)) % P;
  const publicKey = createPublicKey({
    key: { kty: 'OKP', crv: 'X25519', x: toLe(u).toString('base64url') },
    format: 'jwk',
  });
  try {
    return diffieHellman({ privateKey: newPrivateKey('x25519'), publicKey }).every((b) => b === 0);
  } catch {
    return true;
  }
}

describe('weak public keys (key hygiene at binding)', () => {
  it('lists exactly points of small order on Edwards25519', () => {
    expect(ED25519_SMALL_ORDER_Y).toHaveLength(5); // 8 points: 1, -1, 0 (two), and two y of order 8 (four)
    for (const hex of ED25519_SMALL_ORDER_Y) {
      const y = le(Buffer.from(hex, 'hex'));
      expect(onCurve(y), hex).toBe(true);
      expect(smallOrderByMontgomery(y), hex).toBe(true);
    }
  });

  it('refuses every small-order Ed25519 key, with either sign bit', () => {
    for (const hex of ED25519_SMALL_ORDER_Y) {
      const key = Buffer.from(hex, 'hex');
      expect(weakPublicKeyReason('Ed25519', key)).toBe('it is a point of small order');
      key[31] = (key[31] as number) | 0x80;
      expect(weakPublicKeyReason('Ed25519', key)).toBeDefined();
    }
  });

  it('shows why: under the identity key, R = identity and S = 0 verifies for any message', () => {
    const identity = Buffer.from(ED25519_SMALL_ORDER_Y[0] as string, 'hex');
    const key = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: identity.toString('base64url') },
      format: 'jwk',
    });
    const forged = Buffer.concat([identity, Buffer.alloc(32)]);
    expect(verify(null, Buffer.from('bind me to anything'), key, forged)).toBe(true);
  });

  it('refuses non-canonical encodings: y >= p on Ed25519, u >= p or the top bit on X25519', () => {
    const ff = 'ff'.repeat(30);
    for (const hex of [`ed${ff}7f`, `ee${ff}7f`, `ff${ff}ff`])
      expect(weakPublicKeyReason('Ed25519', Buffer.from(hex, 'hex'))).toBe('its encoding is not canonical');
    const x = raw(createPublicKey(newPrivateKey('x25519')));
    x[31] = (x[31] as number) | 0x80;
    expect(weakPublicKeyReason('X25519', x)).toBe('its encoding is not canonical');
    expect(weakPublicKeyReason('X25519', Buffer.from(`ee${ff}7f`, 'hex'))).toBe(
      'its encoding is not canonical',
    );
  });

  it('refuses small-order X25519 keys', () => {
    const orderEight = 'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800';
    for (const hex of ['00'.repeat(32), `01${'00'.repeat(31)}`, orderEight, `ec${'ff'.repeat(30)}7f`])
      expect(weakPublicKeyReason('X25519', Buffer.from(hex, 'hex')), hex).toBe(
        'it is a point of small order',
      );
  });

  it('accepts the keys Leasehold makes, and refuses a key of the wrong length', () => {
    for (let i = 0; i < 200; i++) {
      expect(weakPublicKeyReason('Ed25519', raw(createPublicKey(newPrivateKey('ed25519'))))).toBeUndefined();
      expect(weakPublicKeyReason('X25519', raw(createPublicKey(newPrivateKey('x25519'))))).toBeUndefined();
    }
    expect(weakPublicKeyReason('Ed25519', Buffer.alloc(31, 1))).toBe('it is not 32 bytes');
  });
});
