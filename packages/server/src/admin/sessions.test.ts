import { describe, expect, it } from 'vitest';
import { LoginLimiter } from './loginLimiter.ts';
import {
  csrfMatches,
  readBearer,
  readCookie,
  SESSION_IDLE_MS,
  SESSION_MAX_MS,
  sessionAlive,
  sessionCookie,
  sessionExpiresAt,
} from './sessions.ts';

const T0 = Date.parse('2027-03-01T09:00:00Z');

describe('admin sessions', () => {
  it('end after 8 idle hours, and 24 hours after login whatever the use', () => {
    const fresh = { createdAt: T0, lastSeenAt: T0 };
    expect(sessionAlive(fresh, T0 + SESSION_IDLE_MS - 1)).toBe(true);
    expect(sessionAlive(fresh, T0 + SESSION_IDLE_MS)).toBe(false);
    const busy = { createdAt: T0, lastSeenAt: T0 + SESSION_MAX_MS - 60_000 };
    expect(sessionAlive(busy, T0 + SESSION_MAX_MS - 1)).toBe(true);
    expect(sessionAlive(busy, T0 + SESSION_MAX_MS)).toBe(false);
    expect(sessionExpiresAt(fresh, T0)).toBe(T0 + SESSION_IDLE_MS);
    expect(sessionExpiresAt(busy, T0 + SESSION_MAX_MS - 60_000)).toBe(T0 + SESSION_MAX_MS);
  });

  it('accept a change only with the exact CSRF token in the header', () => {
    expect(csrfMatches('tok-123', 'tok-123')).toBe(true);
    expect(csrfMatches('tok-123', undefined)).toBe(false);
    expect(csrfMatches('tok-123', '')).toBe(false);
    expect(csrfMatches('tok-123', 'tok-124')).toBe(false);
    expect(csrfMatches('tok-123', ['tok-123', 'tok-123'])).toBe(false);
  });

  it('set an HttpOnly, SameSite=Strict cookie, Secure under TLS only', () => {
    const plain = sessionCookie('abc', { secure: false, maxAgeSeconds: 60 });
    expect(plain).toBe('leasehold_session=abc; Path=/v1/admin; HttpOnly; SameSite=Strict; Max-Age=60');
    expect(sessionCookie('abc', { secure: true, maxAgeSeconds: 60 })).toMatch(/; Secure$/);
  });

  it('read the session cookie and the bearer token from their headers', () => {
    expect(readCookie('a=1; leasehold_session=xyz; b=2')).toBe('xyz');
    expect(readCookie('leasehold_session=')).toBeUndefined();
    expect(readCookie(undefined)).toBeUndefined();
    expect(readCookie('my_leasehold_session=x')).toBeUndefined();
    expect(readBearer('Bearer lhs_abc')).toBe('lhs_abc');
    expect(readBearer('bearer lhs_abc')).toBe('lhs_abc');
    expect(readBearer('Basic dXNlcjpwdw==')).toBeUndefined();
    expect(readBearer(undefined)).toBeUndefined();
  });
});

describe('login rate limit', () => {
  it('allows 5 failures a minute per address, then says how long to wait', () => {
    const limiter = new LoginLimiter(5);
    for (let i = 0; i < 5; i++) {
      expect(limiter.retryAfterSeconds('10.0.0.1', T0 + i * 1000)).toBeUndefined();
      limiter.fail('10.0.0.1', T0 + i * 1000);
    }
    expect(limiter.retryAfterSeconds('10.0.0.1', T0 + 5000)).toBe(55);
    expect(limiter.retryAfterSeconds('10.0.0.2', T0 + 5000)).toBeUndefined();
    // The window slides: the first failure ages out a minute after it happened.
    expect(limiter.retryAfterSeconds('10.0.0.1', T0 + 60_001)).toBeUndefined();
  });

  it('forgets an address after a successful login', () => {
    const limiter = new LoginLimiter(2);
    limiter.fail('a', T0);
    limiter.fail('a', T0);
    expect(limiter.retryAfterSeconds('a', T0)).toBe(60);
    limiter.succeed('a');
    expect(limiter.retryAfterSeconds('a', T0)).toBeUndefined();
  });
});
