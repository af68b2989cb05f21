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

/**
 * The cookie is HttpOnly (no script reads it), SameSite=Strict (no cross-site request carries it),
 * scoped to the admin API, and Secure whenever the app speaks TLS.
 */
export function sessionCookie(value: string, options: { secure: boolean; maxAgeSeconds: number }): string {
  return [
    `${SESSION_COOKIE}=${value}`,
    'Path=/v1/admin',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${options.maxAgeSeconds}`,
    ...(options.secure ? ['Secure'] : []),
  ].join('; ');
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
