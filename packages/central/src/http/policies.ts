import { LeaseholdError } from '@leasehold/protocol';
import type { z } from 'zod';
import { clearBindingInput } from '../admin/bindings.ts';
import { addLicenseInput, changeLicenseInput } from '../admin/licenses.ts';
import { createServerIdInput, serverIdPolicyInput } from '../admin/serverIds.ts';
import { type AdminPrincipal, type AdminRole, createAdminTokenInput } from '../admin/tokens.ts';

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
  /** For the OpenAPI document (openapi.ts), which is built from this table. */
  summary: string;
  body?: z.ZodType;
  query?: readonly string[];
}

export const adminPolicies: readonly AdminPolicy[] = [
  { method: 'GET', url: '/v1/admin/server-ids', permission: 'read', summary: 'List license server ids' },
  {
    method: 'POST',
    url: '/v1/admin/server-ids',
    permission: 'write',
    summary: 'Create a license server id (with a one-time activation code if asked)',
    body: createServerIdInput,
  },
  {
    method: 'GET',
    url: '/v1/admin/server-ids/:id',
    permission: 'read',
    summary: 'Show an id: binding, licenses, sync history, rollback flags',
  },
  {
    method: 'PATCH',
    url: '/v1/admin/server-ids/:id',
    permission: 'write',
    summary: 'Set whether a sync that would be flagged (rollback, fork, audit chain) is refused',
    body: serverIdPolicyInput,
  },
  { method: 'GET', url: '/v1/admin/server-ids/:id/licenses', permission: 'read', summary: 'List licenses' },
  {
    method: 'POST',
    url: '/v1/admin/server-ids/:id/licenses',
    permission: 'write',
    summary: 'Add a license',
    body: addLicenseInput,
  },
  {
    method: 'PATCH',
    url: '/v1/admin/server-ids/:id/licenses/:number',
    permission: 'write',
    summary: 'Change a license (components merge by name; 0 seats removes one)',
    body: changeLicenseInput,
  },
  {
    method: 'DELETE',
    url: '/v1/admin/server-ids/:id/licenses/:number',
    permission: 'write',
    summary: 'Remove a license',
  },
  {
    method: 'POST',
    url: '/v1/admin/server-ids/:id/binding/clear',
    permission: 'write',
    summary: 'Clear the binding of an id (S4), with a reason for the audit log',
    body: clearBindingInput,
  },
  {
    method: 'GET',
    url: '/v1/admin/server-ids/:id/usage',
    permission: 'read',
    summary: 'Usage reported by the local server: per day, license and component',
    query: ['from', 'to'],
  },
  {
    method: 'GET',
    url: '/v1/admin/audit',
    permission: 'read',
    summary: 'The audit log, newest first: who, when, what (bindings, clearings, licenses, tokens, keys)',
    query: ['serverId', 'limit'],
  },
  { method: 'GET', url: '/v1/admin/tokens', permission: 'read', summary: 'List named admin tokens' },
  {
    method: 'POST',
    url: '/v1/admin/tokens',
    permission: 'manage-tokens',
    summary: 'Create a named admin token (shown once)',
    body: createAdminTokenInput,
  },
  {
    method: 'POST',
    url: '/v1/admin/tokens/:name/revoke',
    permission: 'manage-tokens',
    summary: 'Revoke a named admin token',
  },
  { method: 'GET', url: '/v1/admin/vendor-keys', permission: 'read', summary: 'List vendor signing keys' },
  {
    method: 'POST',
    url: '/v1/admin/vendor-keys/rotate',
    permission: 'manage-keys',
    summary: 'Rotate the vendor signing key (S8)',
  },
  {
    method: 'POST',
    url: '/v1/admin/vendor-keys/:kid/retire',
    permission: 'manage-keys',
    summary: 'Retire a previous vendor signing key',
  },
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
