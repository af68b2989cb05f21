import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  LICENSE_NUMBER_PATTERN,
  LICENSE_SERVER_ID_PATTERN,
  newLicenseNumber,
  newLicenseServerId,
} from './ids.ts';
import {
  allocationSchema,
  describeIssues,
  FORMAT_VERSION,
  type License,
  licenseNumberSchema,
  licenseSchema,
  licenseServerIdSchema,
  SYNC_REQUEST_TYPE,
  syncRequestSchema,
} from './schemas.ts';

const license = (overrides: Partial<License> = {}): License => ({
  number: 'ABCDE-12345-FGHIJ-67890-KLMNO-PQRSTUV',
  name: 'Engineering',
  startDate: '2026-01-01',
  expiryDate: '2026-12-31',
  domain: 'example.com',
  maxCheckoutHours: 72,
  components: [
    { name: 'Base', seats: 10 },
    { name: 'Export', seats: 3 },
  ],
  ...overrides,
});

const jwkX = 'A'.repeat(43);
const syncRequest = (overrides: Record<string, unknown> = {}) => ({
  type: SYNC_REQUEST_TYPE,
  formatVersion: FORMAT_VERSION,
  licenseServerId: 'LS-7QK2-9M4D-X3PA',
  requestId: 'abcdefghijklmnopqrstuv',
  createdAt: '2026-01-01T00:00:00.000Z',
  syncCount: 0,
  allocationVersion: 0,
  serverKeys: {
    signing: { kty: 'OKP', crv: 'Ed25519', x: jwkX },
    encryption: { kty: 'OKP', crv: 'X25519', x: jwkX },
  },
  ...overrides,
});

/** Parses and returns the issues as `path: message` lines; fails the test if the value was accepted. */
function refusal(schema: z.ZodType, value: unknown): string[] {
  const result = schema.safeParse(value);
  expect(result.success, `accepted ${JSON.stringify(value)}`).toBe(false);
  return result.success ? [] : describeIssues(result.error);
}

describe('generated ids', () => {
  it('gives license server ids that match their pattern and the schema', () => {
    for (let i = 0; i < 1000; i++) {
      const id = newLicenseServerId();
      expect(id).toMatch(LICENSE_SERVER_ID_PATTERN);
      expect(licenseServerIdSchema.safeParse(id).success).toBe(true);
    }
  });

  it('gives license numbers that match their pattern and the schema', () => {
    for (let i = 0; i < 1000; i++) {
      const number = newLicenseNumber();
      expect(number).toMatch(LICENSE_NUMBER_PATTERN);
      expect(licenseNumberSchema.safeParse(number).success).toBe(true);
    }
  });

  it('never puts the easily misheard letters I, L, O or U in a license server id', () => {
    for (let i = 0; i < 1000; i++) expect(newLicenseServerId().slice(3)).not.toMatch(/[ILOU]/);
  });
});

describe('licenseSchema', () => {
  it('accepts a well-formed license, with or without the optional fields', () => {
    expect(licenseSchema.parse(license())).toEqual(license());
    const { name: _name, domain: _domain, ...bare } = license();
    expect(licenseSchema.safeParse(bare).success).toBe(true);
  });

  it('refuses a license without a Base component', () => {
    const issues = refusal(licenseSchema, license({ components: [{ name: 'Export', seats: 3 }] }));
    expect(issues.join('\n')).toMatch(/^components: .*Base/m);
  });

  it('refuses a license whose component names repeat', () => {
    const components = [
      { name: 'Base', seats: 10 },
      { name: 'Export', seats: 3 },
      { name: 'Export', seats: 1 },
    ];
    expect(refusal(licenseSchema, license({ components }))).toContain('components: component names repeat');
  });

  it('refuses a license that expires before it starts', () => {
    const issues = refusal(licenseSchema, license({ startDate: '2026-06-01', expiryDate: '2026-05-31' }));
    expect(issues).toContain('expiryDate: the expiry date is before the start date');
  });

  it('accepts a license that starts and expires on the same day', () => {
    expect(
      licenseSchema.safeParse(license({ startDate: '2026-06-01', expiryDate: '2026-06-01' })).success,
    ).toBe(true);
  });

  it.each([
    ['a leading space', ' example.com'],
    ['a trailing space', 'example.com '],
    ['a leading tab', '\texample.com'],
    ['a trailing tab', 'example.com\t'],
    ['a non-ASCII letter', 'exämple.com'],
    ['a non-ASCII space', 'example\u00a0com'],
    ['nothing at all', ''],
  ])('refuses a domain with %s (L4)', (_what, domain) => {
    const issues = refusal(licenseSchema, license({ domain }));
    expect(issues.every((issue) => issue.startsWith('domain: '))).toBe(true);
  });

  it('accepts a domain of printable ASCII with spaces inside it', () => {
    expect(licenseSchema.safeParse(license({ domain: 'ACME Corp/R&D' })).success).toBe(true);
  });

  it.each([
    ['below 0', -1],
    ['fractional', 1.5],
  ])('refuses a maximum checkout time %s', (_what, maxCheckoutHours) => {
    const issues = refusal(licenseSchema, license({ maxCheckoutHours }));
    expect(issues.every((issue) => issue.startsWith('maxCheckoutHours: '))).toBe(true);
  });

  it('accepts a maximum checkout time of 0 (checkout not allowed)', () => {
    expect(licenseSchema.safeParse(license({ maxCheckoutHours: 0 })).success).toBe(true);
  });
});

describe('allocationSchema', () => {
  const allocation = (licenses: License[]) => ({
    licenseServerId: 'LS-7QK2-9M4D-X3PA',
    version: 1,
    issuedAt: '2026-01-01T00:00:00.000Z',
    licenses,
  });

  it('accepts licenses with distinct numbers', () => {
    const second = license({ number: 'ZZZZZ-12345-FGHIJ-67890-KLMNO-PQRSTUV' });
    expect(allocationSchema.safeParse(allocation([license(), second])).success).toBe(true);
  });

  it('refuses an allocation whose license numbers repeat', () => {
    const issues = refusal(allocationSchema, allocation([license(), license({ name: 'Copy' })]));
    expect(issues).toContain('licenses: license numbers repeat');
  });
});

describe('syncRequestSchema', () => {
  it('accepts a well-formed sync request', () => {
    expect(syncRequestSchema.safeParse(syncRequest()).success).toBe(true);
    expect(syncRequestSchema.safeParse(syncRequest({ activationCode: 'code' })).success).toBe(true);
  });

  it('refuses unknown extra fields', () => {
    refusal(syncRequestSchema, syncRequest({ comment: 'hello' }));
  });

  it('refuses unknown extra fields in the nested server keys', () => {
    const keys = syncRequest().serverKeys;
    refusal(syncRequestSchema, syncRequest({ serverKeys: { ...keys, spare: keys.signing } }));
  });

  it.each([0, 2, '1'])('refuses format version %j', (formatVersion) => {
    const issues = refusal(syncRequestSchema, syncRequest({ formatVersion }));
    expect(issues.every((issue) => issue.startsWith('formatVersion: '))).toBe(true);
  });
});
