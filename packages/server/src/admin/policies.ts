import { LeaseholdError } from '@leasehold/protocol';
import { z } from 'zod';
import { AUTO_SYNC_MODES } from '../sync/schedule.ts';
import type { AdminSession, AdminStore } from './adminStore.ts';
import { HISTORY_DEFAULT_DAYS, HISTORY_MAX_DAYS, historyDocumentSchema } from './history.ts';
import { csrfMatches, readBearer, readSessionCookie } from './sessions.ts';

/**
 * Authorization as a table: every admin route with what it needs. `read` needs a session or an API
 * token; `write` (every change) also needs the CSRF header when it comes with a session cookie.
 * adminRoutes.ts refuses to register a route missing here, and a test walks the table route by route.
 * The table also feeds the OpenAPI document, so the documentation cannot forget a route.
 */
export type Access = 'public' | 'read' | 'write';

export interface AdminRoute {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  access: Access;
  summary: string;
  body?: z.ZodType;
  /** Query parameters, for the OpenAPI document and /docs (the handler checks them). */
  query?: Record<string, QueryParameter>;
  /** The answer's shape where a client is built against it (the Manager's charts). */
  response?: z.ZodType;
  /** Only a logged-in administrator, never an API token (a token must not take over the account). */
  sessionOnly?: true;
}

export interface QueryParameter {
  description: string;
  /** JSON Schema of the value. */
  schema: Record<string, unknown>;
}

const SINCE: QueryParameter = {
  description: 'only entries at or after this ISO time, e.g. 2027-01-31T00:00:00Z',
  schema: { type: 'string', format: 'date-time' },
};

export const loginBody = z.strictObject({
  user: z.string().min(1).max(64),
  password: z.string().min(1).max(1024),
});
export const autoSyncBody = z.strictObject({ mode: z.enum(AUTO_SYNC_MODES) });
export const responseFileBody = z.strictObject({
  file: z
    .string()
    .min(1)
    .max(1024 * 1024),
});
export const proxyBody = z.strictObject({
  url: z.string().min(1).max(2048).describe('http://proxy.example:3128; credentials may be in it'),
  username: z.string().min(1).max(256).optional(),
  password: z.string().min(1).max(1024).optional(),
});
export const tokenBody = z.strictObject({ name: z.string().min(1).max(64) });
export const MIN_NEW_PASSWORD = 12;
export const passwordBody = z.strictObject({
  currentPassword: z.string().min(1).max(1024),
  newPassword: z.string().min(MIN_NEW_PASSWORD).max(1024).describe(`at least ${MIN_NEW_PASSWORD} characters`),
});

export const adminRoutes: readonly AdminRoute[] = [
  { method: 'GET', url: '/v1/admin/openapi.json', access: 'public', summary: 'this API as OpenAPI 3.1' },
  {
    method: 'POST',
    url: '/v1/admin/session',
    access: 'public',
    summary: 'log in: sets the session cookie, answers the CSRF token',
    body: loginBody,
  },
  {
    method: 'GET',
    url: '/v1/admin/session',
    access: 'read',
    summary: 'who is logged in (and the CSRF token of a session)',
  },
  { method: 'DELETE', url: '/v1/admin/session', access: 'write', summary: 'log out' },
  {
    method: 'PUT',
    url: '/v1/admin/password',
    access: 'write',
    summary: "change the logged-in admin's password (a session only, not a token); ends the other sessions",
    body: passwordBody,
    response: z.strictObject({ changed: z.literal(true) }),
    sessionOnly: true,
  },
  {
    method: 'GET',
    url: '/v1/admin/status',
    access: 'read',
    summary: 'id, synchronization, days remaining, licenses, messages (S11)',
  },
  {
    method: 'GET',
    url: '/v1/admin/licenses',
    access: 'read',
    summary: 'the licenses of the current allocation',
  },
  {
    method: 'GET',
    url: '/v1/admin/components',
    access: 'read',
    summary: 'per license and component: in use, max users, free, expiry',
  },
  {
    method: 'GET',
    url: '/v1/admin/users',
    access: 'read',
    summary: 'current users: user, computer, components, floating or checkout, since, until',
  },
  { method: 'GET', url: '/v1/admin/leases', access: 'read', summary: 'floating leases and checkouts' },
  {
    method: 'DELETE',
    url: '/v1/admin/leases/:id',
    access: 'write',
    summary: 'force-release a floating lease (L6)',
  },
  { method: 'POST', url: '/v1/admin/sync', access: 'write', summary: 'synchronize now, online' },
  {
    method: 'GET',
    url: '/v1/admin/sync/settings',
    access: 'read',
    summary: 'automatic synchronization: mode, next run, last run',
  },
  {
    method: 'PUT',
    url: '/v1/admin/sync/settings',
    access: 'write',
    summary: 'set automatic synchronization: off, daily or weekly',
    body: autoSyncBody,
  },
  {
    method: 'POST',
    url: '/v1/admin/sync/request-file',
    access: 'write',
    summary: 'sync via file, step 1: a new request file',
  },
  {
    method: 'POST',
    url: '/v1/admin/sync/response-file',
    access: 'write',
    summary: 'sync via file, step 2: apply the vendor response file',
    body: responseFileBody,
  },
  {
    method: 'GET',
    url: '/v1/admin/proxy',
    access: 'read',
    summary: 'the proxy online sync uses (password masked)',
  },
  {
    method: 'PUT',
    url: '/v1/admin/proxy',
    access: 'write',
    summary: 'store a proxy for online sync',
    body: proxyBody,
  },
  { method: 'DELETE', url: '/v1/admin/proxy', access: 'write', summary: 'remove the stored proxy' },
  {
    method: 'GET',
    url: '/v1/admin/diagnose',
    access: 'read',
    summary: 'test each link to the central server (S9)',
  },
  {
    method: 'GET',
    url: '/v1/admin/audit',
    access: 'read',
    summary: 'the audit log (L7); ?action=…&since=ISO',
    query: {
      action: { description: 'only this action, e.g. lease.denied', schema: { type: 'string' } },
      since: SINCE,
    },
  },
  {
    method: 'GET',
    url: '/v1/admin/denials',
    access: 'read',
    summary: 'refused activations and checkouts; ?since=ISO',
    query: { since: SINCE },
  },
  {
    method: 'GET',
    url: '/v1/admin/history',
    access: 'read',
    summary:
      'usage over time (M4), ?days=1..366 (30): per component, the most seats in use and the denials per hour (2 days or less) or per day',
    query: {
      days: {
        description: `how far back: ${HISTORY_MAX_DAYS} days at most; 2 or less gives hourly buckets, more gives UTC days`,
        schema: { type: 'integer', minimum: 1, maximum: HISTORY_MAX_DAYS, default: HISTORY_DEFAULT_DAYS },
      },
    },
    response: historyDocumentSchema,
  },
  {
    method: 'GET',
    url: '/v1/admin/tokens',
    access: 'read',
    summary: 'API tokens (names and dates, never values)',
  },
  {
    method: 'POST',
    url: '/v1/admin/tokens',
    access: 'write',
    summary: 'create an API token (answered once)',
    body: tokenBody,
  },
  { method: 'DELETE', url: '/v1/admin/tokens/:name', access: 'write', summary: 'revoke an API token' },
];

export function policyFor(method: string, url: string): AdminRoute | undefined {
  const asked = method === 'HEAD' ? 'GET' : method;
  return adminRoutes.find((r) => r.method === asked && r.url === url);
}

export type Principal =
  | { kind: 'session'; user: string; session: AdminSession }
  | { kind: 'token'; name: string };

export interface Credentials {
  authorization?: string | undefined;
  cookie?: string | undefined;
  csrf?: string | string[] | undefined;
  /** The server speaks TLS: only the `__Host-` session cookie counts. */
  secure: boolean;
}

/**
 * The one check every admin route runs. A bearer token wins over a cookie (the CLI sends no
 * cookie; a token needs no CSRF header because a browser never adds it on its own). 401 when
 * nobody is identified, 403 when a session's change lacks the CSRF token.
 */
export function authorize(
  access: Access,
  credentials: Credentials,
  store: AdminStore,
  now: Date,
): Principal | undefined {
  if (access === 'public') return undefined;
  if (credentials.authorization !== undefined) {
    const token = readBearer(credentials.authorization);
    const name = token ? store.useToken(token, now) : undefined;
    if (!name) throw new LeaseholdError('SERVER_ADMIN_AUTH_REQUIRED', 'the API token is unknown or revoked');
    return { kind: 'token', name };
  }
  const sessionId = readSessionCookie(credentials.cookie, { secure: credentials.secure });
  if (!sessionId)
    throw new LeaseholdError('SERVER_ADMIN_AUTH_REQUIRED', 'no session cookie and no API token');
  const session = store.useSession(sessionId, now);
  if (!session) throw new LeaseholdError('SERVER_ADMIN_AUTH_REQUIRED', 'the session ended; log in again');
  if (access === 'write' && !csrfMatches(session.csrfToken, credentials.csrf))
    throw new LeaseholdError('SERVER_ADMIN_CSRF_FAILED', 'missing or wrong x-csrf-token header');
  return { kind: 'session', user: session.user, session };
}
