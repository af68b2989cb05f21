import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import {
  CompactEncrypt,
  CompactSign,
  calculateJwkThumbprint,
  compactDecrypt,
  compactVerify,
  decodeProtectedHeader,
} from 'jose';
import { describe, expect, it } from 'vitest';
import {
  CompactJoseError,
  type CompactRefusal,
  concatKdf,
  DEFAULT_MAX_COMPACT_LENGTH,
  decodeBase64urlStrict,
  decryptCompactEcdhEsA256Gcm,
  encryptCompactEcdhEsA256Gcm,
  keyIdOfKeyObject,
  newPrivateKey,
  okpThumbprint,
  publicKeyWithId,
  signCompactEd25519,
  verifyCompactEd25519,
} from './compactJose.ts';
import { open, seal } from './envelope.ts';
import { generatePartyKeys, keyIdOf, publicJwkOf } from './keys.ts';
import { syncResponseSchema } from './schemas.ts';

// Keys from newPrivateKey: exporting a key straight from generateKeyPairSync can deadlock Node 20.
const keyPair = (type: 'ed25519' | 'x25519') => {
  const privateKey = newPrivateKey(type);
  return { privateKey, publicKey: createPublicKey(privateKey) };
};
const signer = keyPair('ed25519');
const otherSigner = keyPair('ed25519');
const recipient = keyPair('x25519');
const otherRecipient = keyPair('x25519');

const jwsHeader = { alg: 'EdDSA', kid: 'signer-kid', typ: 'leasehold.sync-request', lhv: 1 };
const jweHeader = {
  alg: 'ECDH-ES',
  enc: 'A256GCM',
  kid: 'recipient-kid',
  typ: 'leasehold.sync-request',
  lhv: 1,
};
const payload = new TextEncoder().encode(JSON.stringify({ hello: 'world', n: 42, text: 'grüße' }));

const b64 = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const verifyMine = (jws: string, key: KeyObject = signer.publicKey) => verifyCompactEd25519(jws, key);
const decryptMine = (jwe: string, key: KeyObject = recipient.privateKey) =>
  decryptCompactEcdhEsA256Gcm(jwe, key);

function refusal(fn: () => unknown): CompactRefusal | 'accepted' {
  try {
    fn();
    return 'accepted';
  } catch (error) {
    if (error instanceof CompactJoseError) return error.reason;
    throw error;
  }
}

/** Extra header members with names no JOSE library acts on, beside the envelope's own. */
const extraHeader = fc.dictionary(
  fc.string({ maxLength: 8 }).map((name) => `x-${name}`),
  fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null)),
  { maxKeys: 3 },
);
const bytes = fc.uint8Array({ maxLength: 3000 });

describe('published test vectors', () => {
  it('signs RFC 8037 A.4 byte for byte and verifies it', () => {
    const key = createPrivateKey({
      key: {
        kty: 'OKP',
        crv: 'Ed25519',
        d: 'nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A',
        x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
      },
      format: 'jwk',
    });
    const expected =
      'eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg';
    const message = new TextEncoder().encode('Example of Ed25519 signing');
    expect(signCompactEd25519(message, { alg: 'EdDSA' }, key)).toBe(expected);
    const publicKey = publicKeyWithId({ crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' });
    expect(Buffer.from(verifyCompactEd25519(expected, publicKey.publicKey).payload)).toEqual(
      Buffer.from(message),
    );
    // RFC 8037 A.3: the thumbprint of that key.
    expect(publicKey.kid).toBe('kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k');
  });

  it('derives the key of RFC 7518 Appendix C with the Concat KDF', () => {
    const z = Uint8Array.from([
      158, 86, 217, 29, 129, 113, 53, 211, 114, 131, 66, 131, 191, 132, 38, 156, 251, 49, 110, 163, 218, 128,
      106, 72, 246, 218, 167, 121, 140, 254, 144, 196,
    ]);
    const key = concatKdf(z, 'A128GCM', 128, Buffer.from('Alice'), Buffer.from('Bob'));
    expect(key.toString('base64url')).toBe('VqqN6vgjbSBcIijNcacQGg');
  });
});

describe('canonical base64url', () => {
  it('accepts exactly what re-encodes to itself', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/= .';
    const segment = fc.array(fc.constantFrom(...alphabet), { maxLength: 12 }).map((c) => c.join(''));
    fc.assert(
      fc.property(segment, (s) => {
        const canonical = Buffer.from(s, 'base64url').toString('base64url') === s;
        expect(refusal(() => decodeBase64urlStrict(s)) === 'accepted').toBe(canonical);
      }),
      { numRuns: 5000 },
    );
  });
});

describe('round trips and compatibility with jose', () => {
  it('signs and verifies its own JWS', () => {
    fc.assert(
      fc.property(bytes, extraHeader, (data, extra) => {
        const header = { ...jwsHeader, ...extra };
        const opened = verifyMine(signCompactEd25519(data, header, signer.privateKey));
        expect(opened.header).toEqual(header);
        expect(Buffer.from(opened.payload)).toEqual(Buffer.from(data));
      }),
    );
  });

  it('encrypts and decrypts its own JWE', () => {
    fc.assert(
      fc.property(bytes, extraHeader, (data, extra) => {
        const header = { ...jweHeader, ...extra };
        const opened = decryptMine(encryptCompactEcdhEsA256Gcm(data, header, recipient.publicKey));
        expect(opened.header).toMatchObject(header);
        expect(Buffer.from(opened.plaintext)).toEqual(Buffer.from(data));
      }),
    );
  });

  it("verifies jose's JWS, and jose verifies ours", async () => {
    await fc.assert(
      fc.asyncProperty(bytes, extraHeader, async (data, extra) => {
        const header = { ...jwsHeader, ...extra };
        const fromJose = await new CompactSign(data).setProtectedHeader(header).sign(signer.privateKey);
        // Ed25519 is deterministic: the same header bytes give the same token.
        expect(signCompactEd25519(data, header, signer.privateKey)).toBe(fromJose);
        expect(Buffer.from(verifyMine(fromJose).payload)).toEqual(Buffer.from(data));
        const mine = signCompactEd25519(data, header, signer.privateKey);
        const opened = await compactVerify(mine, signer.publicKey, { algorithms: ['EdDSA'] });
        expect(opened.protectedHeader).toEqual(header);
        expect(Buffer.from(opened.payload)).toEqual(Buffer.from(data));
      }),
      { numRuns: 50 },
    );
  });

  it("decrypts jose's JWE, and jose decrypts ours, with and without apu/apv", async () => {
    const partyInfo = fc.option(fc.uint8Array({ maxLength: 40 }), { nil: undefined });
    // jose refuses equal apu and apv (so does this module: see the refusals).
    const partyInfos = fc
      .tuple(partyInfo, partyInfo)
      .filter(([apu, apv]) => !apu || !apv || !Buffer.from(apu).equals(Buffer.from(apv)));
    await fc.assert(
      fc.asyncProperty(bytes, extraHeader, partyInfos, async (data, extra, [apu, apv]) => {
        const header = { ...jweHeader, ...extra };
        const encrypt = new CompactEncrypt(data).setProtectedHeader(header);
        if (apu || apv)
          encrypt.setKeyManagementParameters({ ...(apu ? { apu } : {}), ...(apv ? { apv } : {}) });
        const fromJose = await encrypt.encrypt(recipient.publicKey);
        const opened = decryptMine(fromJose);
        expect(opened.header).toEqual(decodeProtectedHeader(fromJose));
        expect(Buffer.from(opened.plaintext)).toEqual(Buffer.from(data));

        const withParty = {
          ...header,
          ...(apu ? { apu: Buffer.from(apu).toString('base64url') } : {}),
          ...(apv ? { apv: Buffer.from(apv).toString('base64url') } : {}),
        };
        const mine = encryptCompactEcdhEsA256Gcm(data, withParty, recipient.publicKey);
        const decrypted = await compactDecrypt(mine, recipient.privateKey, {
          keyManagementAlgorithms: ['ECDH-ES'],
          contentEncryptionAlgorithms: ['A256GCM'],
        });
        expect(decrypted.protectedHeader).toMatchObject(withParty);
        expect(Buffer.from(decrypted.plaintext)).toEqual(Buffer.from(data));
      }),
      { numRuns: 50 },
    );
  });
});

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** Every string that differs from `compact` in one character (two replacements per position). */
function* oneCharacterChanges(compact: string): Generator<string> {
  for (let i = 0; i < compact.length; i++) {
    const at = ALPHABET.indexOf(compact[i] as string);
    for (const replacement of [ALPHABET[(at + 1) % 64], ALPHABET[(at + 33) % 64]]) {
      yield compact.slice(0, i) + replacement + compact.slice(i + 1);
    }
  }
}

/** Flips one bit of the decoded bytes of one part and re-encodes it canonically. */
const flipBit = (compact: string, part: number, bit: number) => {
  const parts = compact.split('.');
  const decoded = Buffer.from(parts[part] as string, 'base64url');
  if (decoded.length === 0) return undefined;
  const at = bit % (decoded.length * 8);
  decoded[at >> 3] = (decoded[at >> 3] as number) ^ (1 << (at & 7));
  parts[part] = decoded.toString('base64url');
  return parts.join('.');
};

describe('JWS refusals', () => {
  const jws = signCompactEd25519(payload, jwsHeader, signer.privateKey);

  it('refuses a change of any character, dots included', () => {
    for (const changed of oneCharacterChanges(jws))
      expect(refusal(() => verifyMine(changed))).not.toBe('accepted');
  });

  it('refuses any flipped bit of any part', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 }), fc.nat(), (part, bit) => {
        const changed = flipBit(jws, part, bit);
        if (changed) expect(refusal(() => verifyMine(changed))).not.toBe('accepted');
      }),
      { numRuns: 500 },
    );
  });

  it('refuses a signature by another key', () => {
    expect(refusal(() => verifyMine(jws, otherSigner.publicKey))).toBe('signature');
  });

  it('refuses extra and missing parts', () => {
    const [h, p, s] = jws.split('.');
    for (const parts of [
      [h, p],
      [h, p, s, ''],
      [h, p, s, s],
      [`${h}${p}`, s],
      [h, p, s, '', ''],
    ]) {
      expect(refusal(() => verifyMine(parts.join('.')))).toBe('malformed');
    }
    expect(refusal(() => verifyMine(''))).toBe('malformed');
  });

  it('refuses non-canonical base64url in every part', () => {
    const parts = jws.split('.');
    for (const [i, part] of parts.entries()) {
      const variants = [
        // The standard alphabet, which Node's base64url decoder also takes.
        `+${part.slice(1)}`,
        `/${part.slice(1)}`,
        `${part}=`,
        `${part.slice(0, 2)} ${part.slice(2)}`,
        `${part.slice(0, 2)}\n${part.slice(2)}`,
        `${part.slice(0, 2)}*${part.slice(2)}`,
      ];
      // A spare bit set in the last character decodes to the same bytes.
      if (part.length % 4 !== 0)
        variants.push(part.slice(0, -1) + ALPHABET[ALPHABET.indexOf(part.at(-1) as string) ^ 1]);
      for (const variant of variants) {
        const changed = parts.map((p, j) => (j === i ? variant : p)).join('.');
        expect(refusal(() => verifyMine(changed))).toBe('malformed');
      }
    }
    expect(parts.map((part) => part.length % 4)).toContain(2); // the signature's 64 bytes, at least
  });

  it('refuses other algorithms, including none, and extensions it does not implement', async () => {
    const signed = (header: object) => `${b64(header)}.${jws.split('.')[1]}.${jws.split('.')[2]}`;
    for (const alg of ['none', 'HS256', 'ES256', 'RS256', 'Ed25519', 'EdDSA ', undefined]) {
      expect(refusal(() => verifyMine(signed({ ...jwsHeader, alg })))).toBe('unsupported');
    }
    expect(refusal(() => verifyMine(`${b64({ alg: 'none' })}.${b64('{}')}.`))).toBe('unsupported');
    for (const extension of [
      { crit: ['lhv'] },
      { b64: false, crit: ['b64'] },
      { b64: true },
      { zip: 'DEF' },
    ]) {
      expect(refusal(() => verifyMine(signed({ ...jwsHeader, ...extension })))).toBe('unsupported');
    }
    const es256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const fromJose = await new CompactSign(payload)
      .setProtectedHeader({ alg: 'ES256' })
      .sign(es256.privateKey);
    expect(refusal(() => verifyMine(fromJose))).toBe('unsupported');
  });

  it('refuses a header that is not a JSON object, or not UTF-8', () => {
    const [, p, s] = jws.split('.');
    for (const header of [
      b64('[]'),
      b64('null'),
      b64('"EdDSA"'),
      b64('{'),
      Buffer.from([0xff, 0x7b, 0x7d]).toString('base64url'),
      '',
    ]) {
      expect(refusal(() => verifyMine(`${header}.${p}.${s}`))).toBe('malformed');
    }
  });

  it('refuses huge input before looking at it', () => {
    expect(refusal(() => verifyCompactEd25519(jws, signer.publicKey, { maxLength: jws.length - 1 }))).toBe(
      'too-large',
    );
    expect(refusal(() => verifyMine('A'.repeat(DEFAULT_MAX_COMPACT_LENGTH + 1)))).toBe('too-large');
    expect(refusal(() => verifyMine('.'.repeat(DEFAULT_MAX_COMPACT_LENGTH)))).toBe('malformed');
  });

  it('refuses to sign or verify with the wrong kind of key or header', () => {
    expect(() => verifyMine(jws, recipient.publicKey)).toThrow(TypeError);
    expect(() => verifyMine(jws, signer.privateKey)).toThrow(TypeError);
    expect(() => signCompactEd25519(payload, jwsHeader, signer.publicKey)).toThrow(TypeError);
    expect(() => signCompactEd25519(payload, { ...jwsHeader, alg: 'ES256' }, signer.privateKey)).toThrow(
      TypeError,
    );
  });
});

describe('JWE refusals', () => {
  const jwe = encryptCompactEcdhEsA256Gcm(payload, jweHeader, recipient.publicKey);
  const [h, , iv, ciphertext, tag] = jwe.split('.') as [string, string, string, string, string];
  const header = decodeProtectedHeader(jwe) as Record<string, unknown>;
  const reheader = (changes: Record<string, unknown>) =>
    `${b64({ ...header, ...changes })}..${iv}.${ciphertext}.${tag}`;

  it('refuses a change of any character, dots included', () => {
    for (const changed of oneCharacterChanges(jwe))
      expect(refusal(() => decryptMine(changed))).not.toBe('accepted');
  });

  it('refuses any flipped bit of any part', () => {
    fc.assert(
      fc.property(fc.constantFrom(0, 2, 3, 4), fc.nat(), (part, bit) => {
        const changed = flipBit(jwe, part, bit);
        if (changed) expect(refusal(() => decryptMine(changed))).not.toBe('accepted');
      }),
      { numRuns: 500 },
    );
  });

  it('refuses a message encrypted to another key', () => {
    expect(refusal(() => decryptMine(jwe, otherRecipient.privateKey))).toBe('decryption');
  });

  it('refuses extra and missing parts, and an encrypted key', () => {
    for (const parts of [
      [h, '', iv, ciphertext],
      [h, '', iv, ciphertext, tag, ''],
      [h, iv, ciphertext, tag],
    ]) {
      expect(refusal(() => decryptMine(parts.join('.')))).toBe('malformed');
    }
    expect(refusal(() => decryptMine(`${h}.${b64('key')}.${iv}.${ciphertext}.${tag}`))).toBe('malformed');
  });

  it('refuses non-canonical base64url and wrong IV or tag lengths', () => {
    const sibling = (part: string) =>
      part.slice(0, -1) + ALPHABET[ALPHABET.indexOf(part.at(-1) as string) + 1];
    // A 12-byte IV has no spare bits; the 16-byte tag has four.
    expect(refusal(() => decryptMine(`${h}..${iv}.${ciphertext}.${sibling(tag)}`))).toBe('malformed');
    expect(refusal(() => decryptMine(`${h}..${iv}=.${ciphertext}.${tag}`))).toBe('malformed');
    const shortTag = Buffer.from(tag, 'base64url').subarray(0, 12).toString('base64url');
    expect(refusal(() => decryptMine(`${h}..${iv}.${ciphertext}.${shortTag}`))).toBe('malformed');
    const longIv = Buffer.concat([Buffer.from(iv, 'base64url'), Buffer.alloc(4)]).toString('base64url');
    expect(refusal(() => decryptMine(`${h}..${longIv}.${ciphertext}.${tag}`))).toBe('malformed');
  });

  it('refuses other algorithms and encryptions, as jose writes them', async () => {
    for (const protectedHeader of [
      { alg: 'ECDH-ES', enc: 'A128GCM' },
      { alg: 'ECDH-ES', enc: 'A256CBC-HS512' },
      { alg: 'ECDH-ES+A256KW', enc: 'A256GCM' },
    ]) {
      const fromJose = await new CompactEncrypt(payload)
        .setProtectedHeader(protectedHeader)
        .encrypt(recipient.publicKey);
      expect(refusal(() => decryptMine(fromJose))).toBe('unsupported');
    }
    for (const changes of [{ alg: 'dir' }, { alg: 'RSA-OAEP' }, { enc: 'A192GCM' }, { enc: undefined }]) {
      expect(refusal(() => decryptMine(reheader(changes)))).toBe('unsupported');
    }
    for (const extension of [{ zip: 'DEF' }, { crit: ['lhv'] }]) {
      expect(refusal(() => decryptMine(reheader(extension)))).toBe('unsupported');
    }
  });

  it('refuses an ephemeral key that is missing, private, on another curve or of low order', () => {
    const epk = header.epk as Record<string, string>;
    const p256 = createPublicKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey).export({
      format: 'jwk',
    });
    const cases: Array<[unknown, CompactRefusal]> = [
      [undefined, 'malformed'],
      ['key', 'malformed'],
      [{ ...epk, d: epk.x }, 'unsupported'],
      [{ ...epk, crv: 'Ed25519' }, 'unsupported'],
      [p256, 'unsupported'],
      [{ ...epk, x: epk.x?.slice(0, 42) }, 'malformed'],
      [{ ...epk, x: 42 }, 'unsupported'],
      // Low-order points give the all-zero shared secret (RFC 7748 §6.1).
      [{ ...epk, x: Buffer.alloc(32).toString('base64url') }, 'decryption'],
      [{ ...epk, x: Buffer.from([1, ...Buffer.alloc(31)]).toString('base64url') }, 'decryption'],
    ];
    for (const [value, reason] of cases)
      expect(refusal(() => decryptMine(reheader({ epk: value })))).toBe(reason);
    // apu/apv enter the key derivation: adding one changes the key.
    expect(refusal(() => decryptMine(reheader({ apu: b64('Alice') })))).toBe('decryption');
    expect(refusal(() => decryptMine(reheader({ apv: 7 })))).toBe('malformed');
    expect(refusal(() => decryptMine(reheader({ apu: b64('same'), apv: b64('same') })))).toBe('malformed');
    expect(refusal(() => decryptMine(reheader({ apu: '', apv: '' })))).toBe('malformed');
  });

  it('refuses huge input before looking at it', () => {
    expect(refusal(() => decryptCompactEcdhEsA256Gcm(jwe, recipient.privateKey, { maxLength: 100 }))).toBe(
      'too-large',
    );
    expect(refusal(() => decryptMine('A'.repeat(DEFAULT_MAX_COMPACT_LENGTH + 1)))).toBe('too-large');
  });

  it('refuses to encrypt or decrypt with the wrong kind of key or header', () => {
    expect(() => decryptMine(jwe, recipient.publicKey)).toThrow(TypeError);
    expect(() => decryptMine(jwe, signer.privateKey)).toThrow(TypeError);
    expect(() => encryptCompactEcdhEsA256Gcm(payload, jweHeader, recipient.privateKey)).toThrow(TypeError);
    expect(() =>
      encryptCompactEcdhEsA256Gcm(payload, { ...jweHeader, enc: 'A128GCM' }, recipient.publicKey),
    ).toThrow(TypeError);
    expect(() =>
      encryptCompactEcdhEsA256Gcm(payload, { ...jweHeader, epk: {} }, recipient.publicKey),
    ).toThrow(TypeError);
  });
});

describe('key ids', () => {
  it('are the RFC 7638 thumbprints jose and keys.ts compute', async () => {
    for (let i = 0; i < 20; i++) {
      for (const key of [keyPair('ed25519').privateKey, keyPair('x25519').privateKey]) {
        const jwk = publicJwkOf(key);
        const expected = await calculateJwkThumbprint(jwk, 'sha256');
        expect(await keyIdOf(key)).toBe(expected);
        expect(keyIdOfKeyObject(key)).toBe(expected);
        expect(okpThumbprint(jwk.crv, jwk.x)).toBe(expected);
        expect(publicKeyWithId(jwk).kid).toBe(expected);
      }
    }
  });

  it('makes the KeyObject of a JWK from the wire once', () => {
    const jwk = publicJwkOf(keyPair('ed25519').publicKey);
    const first = publicKeyWithId(jwk);
    expect(publicKeyWithId({ ...jwk })).toBe(first);
    expect(first.publicKey.asymmetricKeyType).toBe('ed25519');
    expect(
      Buffer.from(
        verifyCompactEd25519(
          signCompactEd25519(payload, jwsHeader, signer.privateKey),
          publicKeyWithId(publicJwkOf(signer.publicKey)).publicKey,
        ).payload,
      ),
    ).toEqual(Buffer.from(payload));
  });

  it('refuses a non-canonical spelling of a key, which would give it a second key id', () => {
    const jwk = publicJwkOf(keyPair('x25519').publicKey);
    const last = ALPHABET.indexOf(jwk.x.at(-1) as string);
    const sibling = { ...jwk, x: jwk.x.slice(0, -1) + ALPHABET[last ^ 1] };
    expect(refusal(() => publicKeyWithId(sibling))).toBe('malformed');
    expect(() => publicKeyWithId({ crv: 'X25519', x: b64('short') })).toThrow(CompactJoseError);
  });
});

describe('the envelope, as envelope.ts seals and opens it with jose today', () => {
  it('opens what seal() writes, and open() accepts what this module writes', async () => {
    const sender = await generatePartyKeys();
    const receiver = await generatePartyKeys();
    const typ = 'leasehold.sync-response';
    const response = {
      type: typ,
      formatVersion: 1,
      licenseServerId: 'LS-AAAA-BBBB-CCCC',
      requestId: 'abcdefghijklmnopqrstuv',
      serverKeyId: 'server-kid',
      serverKeyCertificate: 'certificate',
      issuedAt: '2026-01-01T00:00:00.000Z',
      allocation: {
        licenseServerId: 'LS-AAAA-BBBB-CCCC',
        version: 1,
        issuedAt: '2026-01-01T00:00:00.000Z',
        licenses: [],
      },
    };
    const sealed = await seal({
      typ,
      payload: response,
      signer: sender.signing,
      recipient: receiver.encryption,
    });
    const { header: outer, plaintext } = decryptCompactEcdhEsA256Gcm(sealed, receiver.encryption.privateKey);
    expect(outer).toMatchObject({
      alg: 'ECDH-ES',
      enc: 'A256GCM',
      kid: receiver.encryption.kid,
      typ,
      lhv: 1,
    });
    const { header: inner, payload: bytes } = verifyCompactEd25519(
      new TextDecoder().decode(plaintext),
      sender.signing.publicKey,
    );
    expect(inner).toEqual({ alg: 'EdDSA', kid: sender.signing.kid, typ, lhv: 1 });
    expect(JSON.parse(new TextDecoder().decode(bytes))).toEqual(response);

    const jws = signCompactEd25519(
      new TextEncoder().encode(JSON.stringify(response)),
      { alg: 'EdDSA', kid: sender.signing.kid, typ, lhv: 1 },
      sender.signing.privateKey,
    );
    const mine = encryptCompactEcdhEsA256Gcm(
      new TextEncoder().encode(jws),
      { alg: 'ECDH-ES', enc: 'A256GCM', kid: receiver.encryption.kid, typ, lhv: 1 },
      receiver.encryption.publicKey,
    );
    const opened = await open({
      typ,
      message: mine,
      decryptionKeys: new Map([[receiver.encryption.kid, receiver.encryption.privateKey]]),
      resolveSigner: (kid) => (kid === sender.signing.kid ? sender.signing.publicKey : undefined),
      schema: syncResponseSchema,
    });
    expect(opened).toEqual({ payload: response, signerKid: sender.signing.kid });
  });
});

describe('newPrivateKey', () => {
  it('makes working, distinct Ed25519 and X25519 keys without a key generation job', () => {
    const [a, b] = [keyPair('ed25519'), keyPair('ed25519')];
    expect(keyIdOfKeyObject(a.publicKey)).not.toBe(keyIdOfKeyObject(b.publicKey));
    expect(verifyMine(signCompactEd25519(payload, jwsHeader, a.privateKey), a.publicKey).payload).toEqual(
      payload,
    );
    const [x, y] = [keyPair('x25519'), keyPair('x25519')];
    const sealed = encryptCompactEcdhEsA256Gcm(payload, jweHeader, x.publicKey);
    expect(decryptMine(sealed, x.privateKey).plaintext).toEqual(payload);
    expect(refusal(() => decryptMine(sealed, y.privateKey))).not.toBe('accepted');
  });
});
