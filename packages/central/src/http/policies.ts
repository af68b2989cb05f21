import { LeaseholdError } from '@leasehold/protocol';
import type { AdminPrincipal, AdminRole } from '../admin/tokens.ts';

/**
 * Authorization as a table (C1). Every admin route is listed here with the permission it needs;
 * adminRoutes.ts refuses to register a route that is missing, and a test walks this table to check
 * that every route refuses a missing, wrong or revoked token. Reading the table answers "who may do
 * what" without reading a handler.
 */
export type Permission = 'read' | 'write' | 'manage-tokens' | 'manage-keys';

export const grants: Readonly<Record<AdminRole, readonly Permission[]>> = {
  admin: ['read', 'write', 'manage-tokens', 'manage-keys'],
  // For dashboards and support staff: sees ids, licenses and sync history, changes nothing.
  reader: ['read'],
};

export interface AdminPolicy {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  url: string;
  permission: Permission;
}

export const adminPolicies: readonly AdminPolicy[] = [
  { method: 'GET', url: '/v1/admin/server-ids', permission: 'read' },
  { method: 'POST', url: '/v1/admin/server-ids', permission: 'write' },
  { method: 'GET', url: '/v1/admin/server-ids/:id', permission: 'read' },
  { method: 'GET', url: '/v1/admin/server-ids/:id/licenses', permission: 'read' },
  { method: 'POST', url: '/v1/admin/server-ids/:id/licenses', permission: 'write' },
  { method: 'PATCH', url: '/v1/admin/server-ids/:id/licenses/:number', permission: 'write' },
  { method: 'DELETE', url: '/v1/admin/server-ids/:id/licenses/:number', permission: 'write' },
  { method: 'POST', url: '/v1/admin/server-ids/:id/binding/clear', permission: 'write' },
  { method: 'GET', url: '/v1/admin/server-ids/:id/usage', permission: 'read' },
  { method: 'GET', url: '/v1/admin/tokens', permission: 'read' },
  { method: 'POST', url: '/v1/admin/tokens', permission: 'manage-tokens' },
  { method: 'POST', url: '/v1/admin/tokens/:name/revoke', permission: 'manage-tokens' },
  { method: 'GET', url: '/v1/admin/vendor-keys', permission: 'read' },
  { method: 'POST', url: '/v1/admin/vendor-keys/rotate', permission: 'manage-keys' },
  { method: 'POST', url: '/v1/admin/vendor-keys/:kid/retire', permission: 'manage-keys' },
];

/** The permission a route needs; HEAD is answered like GET. Undefined for a route not in the table. */
export function permissionFor(method: string, url: string): Permission | undefined {
  const asked = method === 'HEAD' ? 'GET' : method;
  return adminPolicies.find((p) => p.method === asked && p.url === url)?.permission;
}

/** The one check every admin route runs: who is calling (401 when nobody), and may they (403). */
export function authorize(principal: AdminPrincipal | undefined, permission: Permission): AdminPrincipal {
  if (!principal) throw new LeaseholdError('ADMIN_AUTH_REQUIRED');
  if (!grants[principal.role].includes(permission)) {
    throw new LeaseholdError(
      'ADMIN_FORBIDDEN',
      `token ${principal.name} has role ${principal.role}; this needs ${permission}`,
    );
  }
  return principal;
}
