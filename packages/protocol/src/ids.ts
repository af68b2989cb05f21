import { randomBytes, randomInt } from 'node:crypto';

// Crockford base32: no I, L, O, U, so that ids read aloud over the phone are not misheard.
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

export const LICENSE_SERVER_ID_PATTERN =
  /^LS-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/;
export const LICENSE_NUMBER_PATTERN =
  /^[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{7}$/;

function randomChars(alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/** A new license server id such as `LS-7QK2-9M4D-X3PA`. */
export function newLicenseServerId(): string {
  return `LS-${randomChars(CROCKFORD, 4)}-${randomChars(CROCKFORD, 4)}-${randomChars(CROCKFORD, 4)}`;
}

/** A new license number in the `XXXXX-XXXXX-XXXXX-XXXXX-XXXXX-XXXXXXX` form (L1). */
export function newLicenseNumber(): string {
  const groups = [5, 5, 5, 5, 5, 7].map((n) => randomChars(ALNUM, n));
  return groups.join('-');
}

/** A random, unguessable token in base64url (request ids, admin tokens, activation codes). */
export function randomToken(bytes = 16): string {
  return randomBytes(bytes).toString('base64url');
}
