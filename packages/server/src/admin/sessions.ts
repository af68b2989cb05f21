import { sameSecret } from './password.ts';

/** Sessions end after 8 idle hours (a working day) and at most 24 hours after login. */
export const SESSION_IDLE_MS = 8 * 3_600_000;
export const SESSION_MAX_MS = 24 * 3_600_000;
export const SESSION_COOKIE = 'leasehold_session';

export interface SessionTimes {
  createdAt: number;
  lastSeenAt: number;
}

export function sessionAlive(session: SessionTimes, nowMs: number): boolean {
  return nowMs - session.lastSeenAt < SESSION_IDLE_MS && nowMs - session.createdAt < SESSION_MAX_MS;
}

/** When the session ends if it stays idle from now: the earlier of the two limits. */
export function sessionExpiresAt(session: SessionTimes, nowMs: number): number {
  return Math.min(nowMs + SESSION_IDLE_MS, session.createdAt + SESSION_MAX_MS);
}

/**
 * The CSRF check (synchronizer token): the token is stored with the session on the server and
 * must come back in a header a cross-site form or image cannot set. A missing header fails.
 */
export function csrfMatches(sessionToken: string, header: string | string[] | undefined): boolean {
  return typeof header === 'string' && header.length > 0 && sameSecret(sessionToken, header);
}

/** Over TLS the cookie is `__Host-` prefixed: Secure, Path=/, no Domain, so no other host or plain page can plant it. */
export const SECURE_SESSION_COOKIE = `__Host-${SESSION_COOKIE}`;

/**
 * The cookie is HttpOnly (no script reads it) and SameSite=Strict (no cross-site request carries
 * it). Over TLS it is `__Host-leasehold_session`, Secure, Path=/ (the prefix demands both); on plain
 * HTTP, where Secure cookies are not kept, it is `leasehold_session` scoped to the admin API.
 */
export function sessionCookie(value: string, options: { secure: boolean; maxAgeSeconds: number }): string {
  return [
    `${options.secure ? SECURE_SESSION_COOKIE : SESSION_COOKIE}=${value}`,
    options.secure ? 'Path=/' : 'Path=/v1/admin',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${options.maxAgeSeconds}`,
    ...(options.secure ? ['Secure'] : []),
  ].join('; ');
}

/** The cookie that ends the session in the browser. */
export function clearedSessionCookie(options: { secure: boolean }): string {
  return sessionCookie('', { ...options, maxAgeSeconds: 0 });
}

/**
 * The session id a request carries, from the cookie of the server's mode only: over TLS the
 * `__Host-` one, because a plain `leasehold_session` could have been planted by a plain-HTTP page
 * on this host (cookies do not keep ports apart) to fix a session of the attacker's choosing.
 */
export function readSessionCookie(
  header: string | undefined,
  options: { secure: boolean },
): string | undefined {
  return readCookie(header, options.secure ? SECURE_SESSION_COOKIE : SESSION_COOKIE);
}

export function readCookie(header: string | undefined, name: string = SESSION_COOKIE): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

/** `Authorization: Bearer <token>`; undefined when the header is absent or of another scheme. */
export function readBearer(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}
