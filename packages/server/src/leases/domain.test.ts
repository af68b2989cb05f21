import { describe, expect, it } from 'vitest';
import { domainMatches, normalizeDomain } from './domain.ts';

describe('domain matching (L4)', () => {
  it('serves every client when the license has no domain', () => {
    expect(domainMatches(undefined, undefined)).toBe(true);
    expect(domainMatches(undefined, 'example.com')).toBe(true);
  });

  it('compares without case', () => {
    expect(domainMatches('Example.COM', 'example.com')).toBe(true);
    expect(domainMatches('example.com', 'EXAMPLE.com')).toBe(true);
  });

  it('trims spaces and tabs from the client domain, and only those', () => {
    expect(domainMatches('example.com', ' \texample.com\t ')).toBe(true);
    expect(domainMatches('example.com', '\nexample.com')).toBe(false);
    expect(domainMatches('example.com', 'exa mple.com')).toBe(false);
  });

  it('refuses a client without a domain, or with another one, when the license has a domain', () => {
    expect(domainMatches('example.com', undefined)).toBe(false);
    expect(domainMatches('example.com', '')).toBe(false);
    expect(domainMatches('example.com', '   ')).toBe(false);
    expect(domainMatches('example.com', 'example.org')).toBe(false);
    expect(domainMatches('example.com', 'sub.example.com')).toBe(false);
  });

  it('treats an all-blank domain as none', () => {
    expect(normalizeDomain(' \t ')).toBeUndefined();
  });
});
