import { describe, expect, it } from 'vitest';
import { generatePassword, hashPassword, hashSecret, sameSecret, verifyPassword } from './password.ts';

// Small parameters keep the suite fast; the stored parameters are what verification reads.
const FAST = { N: 1024, r: 8, p: 1 };

describe('admin password hashing (scrypt)', () => {
  it('verifies the right password and refuses a wrong one', async () => {
    const stored = await hashPassword('correct horse battery', FAST);
    expect(await verifyPassword('correct horse battery', stored)).toBe(true);
    expect(await verifyPassword('correct horse batterY', stored)).toBe(false);
    expect(await verifyPassword('', stored)).toBe(false);
  });

  it('stores the scheme and parameters, and salts every hash', async () => {
    const a = await hashPassword('same password', FAST);
    const b = await hashPassword('same password', FAST);
    expect(a).toMatch(/^scrypt\$1024\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('same password');
  });

  it('uses the default cost when none is given, and verifies it', async () => {
    const stored = await hashPassword('default cost pw');
    expect(stored.startsWith('scrypt$32768$8$3$')).toBe(true);
    expect(await verifyPassword('default cost pw', stored)).toBe(true);
  });

  it('treats unreadable stored values as a failed check, not a crash', async () => {
    for (const stored of [
      '',
      'bcrypt$x',
      'scrypt$0$8$1$aa$bb',
      'scrypt$abc$8$1$aa$bb',
      'scrypt$1024$8$1$$',
    ]) {
      expect(await verifyPassword('anything', stored)).toBe(false);
    }
  });

  it('hashes secrets deterministically and compares them whole', () => {
    expect(hashSecret('token')).toBe(hashSecret('token'));
    expect(hashSecret('token')).not.toBe(hashSecret('token2'));
    expect(sameSecret('abc', 'abc')).toBe(true);
    expect(sameSecret('abc', 'abd')).toBe(false);
    expect(sameSecret('abc', 'abcd')).toBe(false);
  });

  it('generates 24-character passwords', () => {
    const a = generatePassword();
    expect(a).toMatch(/^[\w-]{24}$/);
    expect(generatePassword()).not.toBe(a);
  });
});
