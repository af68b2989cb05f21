import { createHmac, type KeyObject, sign } from 'node:crypto';
import { CompactEncrypt } from 'jose';
import { describe, expect, it } from 'vitest';
import { MAX_MESSAGE_BYTES, open, seal } from './envelope.ts';
import { LeaseholdError } from './errors.ts';
import { generatePartyKeys, publicJwkOf } from './keys.ts';
import { syncResponseSchema } from './schemas.ts';

/**
 * Message hygiene (S8; docs/security.md, Header hygiene): a message whose headers ask for anything
 * but what Leasehold itself writes is refused before any key is looked up — neither the recipient's
 * decryption key nor the signer's key — so no library default can act on an embedded key, compression
 * or extension.
 */

const typ = 'leasehold.sync-response';
const payload = {
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

const b64 = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

describe('envelope hygiene: refused before any key lookup', async () => {
  const sender = await generatePartyKeys();
  const recipient = await generatePartyKeys();
  const senderJwk = publicJwkOf(sender.signing.publicKey);
  const goodInner = { alg: 'EdDSA', kid: sender.signing.kid, typ, lhv: 1 };
  const goodOuter = { alg: 'ECDH-ES', enc: 'A256GCM', kid: recipient.encryption.kid, typ, lhv: 1 };

  /** Opens with key lookups counted: a refusal before lookup leaves both counts at zero. */
  async function openCounting(message: string) {
    const lookups = { decryption: 0, signer: 0 };
    const decryptionKeys = new Map([[recipient.encryption.kid, recipient.encryption.privateKey]]);
    const counted = {
      get: (kid: string) => {
        lookups.decryption += 1;
        return decryptionKeys.get(kid);
      },
    } as unknown as ReadonlyMap<string, KeyObject>;
    let code = 'ACCEPTED';
    try {
      await open({
        typ,
        message,
        decryptionKeys: counted,
        resolveSigner: (kid) => {
          lookups.signer += 1;
          return kid === sender.signing.kid ? sender.signing.publicKey : undefined;
        },
        schema: syncResponseSchema,
      });
    } catch (error) {
      if (!(error instanceof LeaseholdError)) throw error;
      code = error.code;
    }
    return { code, lookups };
  }

  /** A JWS signed with the sender's real key over any header (so only the header is wrong). */
  function innerJws(header: Record<string, unknown>, signature?: (input: string) => string): string {
    const input = `${b64(header)}.${b64(payload)}`;
    const sig = signature
      ? signature(input)
      : sign(null, Buffer.from(input), sender.signing.privateKey).toString('base64url');
    return `${input}.${sig}`;
  }

  /** A real encryption of the inner part to the recipient, under any outer header. */
  function encrypt(inner: string, outer: Record<string, unknown> = goodOuter): Promise<string> {
    return new CompactEncrypt(new TextEncoder().encode(inner))
      .setProtectedHeader(outer as never)
      .encrypt(recipient.encryption.publicKey);
  }

  /** An outer header replaced after encryption: such a header can only be refused, never decrypted. */
  function withOuterHeader(sealed: string, header: Record<string, unknown>): string {
    const [, ...rest] = sealed.split('.');
    return [b64(header), ...rest].join('.');
  }

  it('opens what seal writes, looking each key up once (the control case)', async () => {
    const sealed = await seal({ typ, payload, signer: sender.signing, recipient: recipient.encryption });
    expect(await openCounting(sealed)).toEqual({ code: 'ACCEPTED', lookups: { decryption: 1, signer: 1 } });
    // The hand-built path gives the same: so each refusal below is the header's doing.
    expect((await openCounting(await encrypt(innerJws(goodInner)))).code).toBe('ACCEPTED');
  });

  const outerCases: [string, Record<string, unknown>][] = [
    ['an embedded jwk', { ...goodOuter, jwk: senderJwk }],
    ['a jku URL', { ...goodOuter, jku: 'https://attacker.example/keys' }],
    ['an x5u URL', { ...goodOuter, x5u: 'https://attacker.example/cert' }],
    ['an x5c chain', { ...goodOuter, x5c: ['MIIB'] }],
    ['compression (zip)', { ...goodOuter, zip: 'DEF' }],
    ['an unknown crit extension', { ...goodOuter, crit: ['exp'], exp: 1 }],
    ['a password-based algorithm', { ...goodOuter, alg: 'PBES2-HS256+A128KW', p2s: 'c2FsdA', p2c: 1 }],
    ['alg none', { ...goodOuter, alg: 'none' }],
    ['direct encryption', { ...goodOuter, alg: 'dir' }],
  ];

  it.each(outerCases)('refuses an outer header with %s', async (_name, header) => {
    const sealed = await seal({ typ, payload, signer: sender.signing, recipient: recipient.encryption });
    const result = await openCounting(withOuterHeader(sealed, { ...header, epk: undefined }));
    expect(result.code).toBe('MESSAGE_MALFORMED');
    expect(result.lookups).toEqual({ decryption: 0, signer: 0 });
  });

  it('refuses a really encrypted outer header with an embedded jwk, before decrypting', async () => {
    const message = await encrypt(innerJws(goodInner), { ...goodOuter, jwk: senderJwk });
    expect(await openCounting(message)).toEqual({
      code: 'MESSAGE_MALFORMED',
      lookups: { decryption: 0, signer: 0 },
    });
  });

  it('refuses the wrong typ and an unknown envelope version before decrypting', async () => {
    const request = await encrypt(innerJws(goodInner), { ...goodOuter, typ: 'leasehold.sync-request' });
    expect(await openCounting(request)).toEqual({
      code: 'MESSAGE_TYPE_UNEXPECTED',
      lookups: { decryption: 0, signer: 0 },
    });
    const jwt = await encrypt(innerJws(goodInner), { ...goodOuter, typ: 'JWT' });
    expect((await openCounting(jwt)).code).toBe('MESSAGE_TYPE_UNEXPECTED');
    const v2 = await encrypt(innerJws(goodInner), { ...goodOuter, lhv: 2 });
    expect((await openCounting(v2)).code).toBe('PROTOCOL_VERSION_UNSUPPORTED');
  });

  const innerCases: [string, Record<string, unknown>, string][] = [
    ['an embedded jwk', { ...goodInner, jwk: senderJwk }, 'MESSAGE_MALFORMED'],
    ['a jku URL', { ...goodInner, jku: 'https://attacker.example/keys' }, 'MESSAGE_MALFORMED'],
    ['an x5u URL', { ...goodInner, x5u: 'https://attacker.example/cert' }, 'MESSAGE_MALFORMED'],
    ['an x5c chain', { ...goodInner, x5c: ['MIIB'] }, 'MESSAGE_MALFORMED'],
    ['an unknown crit extension', { ...goodInner, crit: ['exp'], exp: 1 }, 'MESSAGE_MALFORMED'],
    ['an unencoded payload (b64)', { ...goodInner, b64: false, crit: ['b64'] }, 'MESSAGE_MALFORMED'],
    ['compression (zip)', { ...goodInner, zip: 'DEF' }, 'MESSAGE_MALFORMED'],
    ['the wrong typ', { ...goodInner, typ: 'JWT' }, 'MESSAGE_TYPE_UNEXPECTED'],
    ['no envelope version', { alg: 'EdDSA', kid: sender.signing.kid, typ }, 'PROTOCOL_VERSION_UNSUPPORTED'],
    ['ES256 instead of EdDSA', { ...goodInner, alg: 'ES256' }, 'SIGNATURE_INVALID'],
  ];

  it.each(innerCases)('refuses a signed inner header with %s', async (_name, header, code) => {
    const result = await openCounting(await encrypt(innerJws(header)));
    expect(result.code).toBe(code);
    expect(result.lookups.signer).toBe(0);
  });

  it('refuses alg none (an empty signature) without looking up a signer', async () => {
    const unsigned = innerJws({ ...goodInner, alg: 'none' }, () => '');
    const result = await openCounting(await encrypt(unsigned));
    expect(result).toEqual({ code: 'SIGNATURE_INVALID', lookups: { decryption: 1, signer: 0 } });
  });

  it('refuses HMAC keyed with the public key (the algorithm confusion attack)', async () => {
    const publicPem = sender.signing.publicKey.export({ type: 'spki', format: 'pem' });
    const publicRaw = Buffer.from(String(senderJwk.x), 'base64url');
    for (const secret of [publicPem, publicRaw]) {
      const forged = innerJws({ ...goodInner, alg: 'HS256' }, (input) =>
        createHmac('sha256', secret).update(input).digest('base64url'),
      );
      const result = await openCounting(await encrypt(forged));
      expect(result).toEqual({ code: 'SIGNATURE_INVALID', lookups: { decryption: 1, signer: 0 } });
    }
  });

  it('refuses oversize input by its length, before parsing anything', async () => {
    const huge = `${'A'.repeat(MAX_MESSAGE_BYTES)}.A.A.A.A`;
    const started = performance.now();
    expect(await openCounting(huge)).toEqual({
      code: 'MESSAGE_TOO_LARGE',
      lookups: { decryption: 0, signer: 0 },
    });
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('refuses a header that is not a JSON object, or JSON with a duplicated alg', async () => {
    const sealed = await seal({ typ, payload, signer: sender.signing, recipient: recipient.encryption });
    const [, ...rest] = sealed.split('.');
    for (const header of ['[]', 'null', '"x"', '{"alg":"ECDH-ES"', '{"alg":"none","alg":"ECDH-ES"}']) {
      const message = [b64(header), ...rest].join('.');
      const result = await openCounting(message);
      expect(result.code, header).not.toBe('ACCEPTED');
      expect(result.lookups.signer, header).toBe(0);
    }
  });
});
