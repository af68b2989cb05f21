import { DAY_MS, HOUR_MS, type LeaseholdError, type SyncResponse } from '@leasehold/protocol';
import { describe, expect, it } from 'vitest';
import { checkResponse, RESPONSE_VALID_MS } from './accept.ts';

const NOW = Date.parse('2027-05-01T12:00:00Z');
const response = (issuedAtMs: number): SyncResponse =>
  ({
    licenseServerId: 'LS-TEST-0000-0001',
    serverKeyId: 'server-key',
    issuedAt: new Date(issuedAtMs).toISOString(),
    allocation: {
      licenseServerId: 'LS-TEST-0000-0001',
      version: 2,
      issuedAt: new Date(issuedAtMs).toISOString(),
      licenses: [],
    },
  }) as unknown as SyncResponse;
const expectations = {
  licenseServerId: 'LS-TEST-0000-0001',
  serverKeyId: 'server-key',
  currentVersion: 1,
  now: new Date(NOW),
};
const codeOf = (issuedAtMs: number) => {
  try {
    checkResponse(response(issuedAtMs), expectations);
    return 'ACCEPTED';
  } catch (error) {
    return (error as LeaseholdError).code;
  }
};

describe('checkResponse: how old or new a response may be (S5, S10)', () => {
  it('accepts a response file imported days after it was made: the post is not a clock problem', () => {
    expect(codeOf(NOW - 3 * DAY_MS)).toBe('ACCEPTED');
    expect(codeOf(NOW - RESPONSE_VALID_MS + HOUR_MS)).toBe('ACCEPTED');
  });

  it('refuses one older than the validity with RESPONSE_EXPIRED, naming the fix', () => {
    expect(codeOf(NOW - RESPONSE_VALID_MS - HOUR_MS)).toBe('RESPONSE_EXPIRED');
  });

  it('calls a response from more than a day in the future a clock problem (CLOCK_SKEW), and allows less', () => {
    expect(codeOf(NOW + 12 * HOUR_MS)).toBe('ACCEPTED');
    expect(codeOf(NOW + DAY_MS + HOUR_MS)).toBe('CLOCK_SKEW');
  });
});
