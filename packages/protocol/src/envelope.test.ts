import { CompactEncrypt } from 'jose';
import { describe, expect, it } from 'vitest';
import { open, seal } from './envelope.ts';
import { LeaseholdError } from './errors.ts';
import { generatePartyKeys, type PartyKeys } from './keys.ts';
import { syncResponseSchema } from './schemas.ts';

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

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof LeaseholdError) return error.code;
    throw error;
  }
  return 'ACCEPTED';
}

describe('envelope', async () => {
  const sender: PartyKeys = await generatePartyKeys();
  const recipient: PartyKeys = await generatePartyKeys();
  const stranger: PartyKeys = await generatePartyKeys();
  const sealed = await seal({ typ, payload, signer: sender.signing, recipient: recipient.encryption });
  const openAs = (message: string, keys = recipient, trusted = sender, expectedTyp = typ) =>
    open({
      typ: expectedTyp,
      message,
      decryptionKeys: new Map([[keys.encryption.kid, keys.encryption.privateKey]]),
      resolveSigner: (kid) => (kid === trusted.signing.kid ? trusted.signing.publicKey : undefined),
      schema: syncResponseSchema,
    });

  it('round-trips a payload signed by the sender and encrypted to the recipient', async () => {
    const opened = await openAs(sealed);
    expect(opened.payload).toEqual(payload);
    expect(opened.signerKid).toBe(sender.signing.kid);
  });

  it('refuses a message addressed to another key', async () => {
    expect(await codeOf(openAs(sealed, stranger))).toBe('MESSAGE_NOT_FOR_RECIPIENT');
  });

  it('refuses a message signed by a key that is not trusted', async () => {
    const forged = await seal({ typ, payload, signer: stranger.signing, recipient: recipient.encryption });
    expect(await codeOf(openAs(forged))).toBe('SIGNER_UNKNOWN');
  });

  it('refuses an unsigned message inside a valid encryption', async () => {
    const unsigned = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg: 'ECDH-ES', enc: 'A256GCM', kid: recipient.encryption.kid, typ, lhv: 1 })
      .encrypt(recipient.encryption.publicKey);
    expect(await codeOf(openAs(unsigned))).toBe('MESSAGE_MALFORMED');
  });

  it('refuses a message of another type', async () => {
    expect(await codeOf(openAs(sealed, recipient, sender, 'leasehold.sync-request'))).toBe(
      'MESSAGE_TYPE_UNEXPECTED',
    );
  });

  it('refuses an unknown envelope version', async () => {
    const [, ...rest] = sealed.split('.');
    const header = JSON.parse(Buffer.from(sealed.split('.')[0] as string, 'base64url').toString());
    const changed = Buffer.from(JSON.stringify({ ...header, lhv: 2 })).toString('base64url');
    expect(await codeOf(openAs([changed, ...rest].join('.')))).toBe('PROTOCOL_VERSION_UNSUPPORTED');
  });

  it('refuses every single-character change anywhere in the message', async () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const step = Math.max(1, Math.floor(sealed.length / 400));
    for (let i = 0; i < sealed.length; i += step) {
      const original = sealed[i] as string;
      if (original === '.') continue;
      const replacement = alphabet[(alphabet.indexOf(original) + 17) % alphabet.length] as string;
      const altered = sealed.slice(0, i) + replacement + sealed.slice(i + 1);
      const code = await codeOf(openAs(altered));
      expect(code, `position ${i}`).not.toBe('ACCEPTED');
    }
  });

  it('refuses truncated messages, garbage and oversized input', async () => {
    expect(await codeOf(openAs(sealed.slice(0, -10)))).not.toBe('ACCEPTED');
    expect(await codeOf(openAs('not a message'))).toBe('MESSAGE_MALFORMED');
    expect(await codeOf(openAs(''))).toBe('MESSAGE_MALFORMED');
    expect(await codeOf(openAs('a'.repeat(33 * 1024 * 1024)))).toBe('MESSAGE_TOO_LARGE');
  });
});
