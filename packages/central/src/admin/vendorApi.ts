import { rootCertificates } from 'node:tls';
import type { License } from '@leasehold/protocol';
import { errorFromWire, LeaseholdError, type PartyKeys } from '@leasehold/protocol';
import { Agent, fetch } from 'undici';
import { listAudit } from '../audit.ts';
import { respondToRequestFile } from '../sync/respondToFile.ts';
import { listUsage } from '../sync/usage.ts';
import { clearBinding } from './bindings.ts';
import type { AdminContext } from './context.ts';
import { addLicense, changeLicense, listLicenses, removeLicense } from './licenses.ts';
import { createServerId, listServerIds, setServerIdPolicy, showServerId } from './serverIds.ts';
import { createAdminToken, listAdminTokens, revokeAdminToken } from './tokens.ts';
import { type KeyringLocation, listVendorKeys, retireVendorKey, rotateVendorKey } from './vendorKeys.ts';

type Result<F extends (...args: never[]) => unknown> = Awaited<ReturnType<F>>;

/** The vendor operations (C1), the same whether run on the database directly or over the admin API. */
export interface VendorApi {
  createServerId(input: unknown): Promise<Result<typeof createServerId>>;
  listServerIds(): Promise<Result<typeof listServerIds>>;
  showServerId(id: string): Promise<Result<typeof showServerId>>;
  addLicense(id: string, input: unknown): Promise<License>;
  changeLicense(id: string, number: string, input: unknown): Promise<License>;
  removeLicense(id: string, number: string): Promise<{ removed: string }>;
  listLicenses(id: string): Promise<License[]>;
  clearBinding(id: string, input: unknown): Promise<Result<typeof clearBinding>>;
  /** Whether a sync that would be flagged is refused (SERVER_STATE_REFUSED) instead. */
  setServerIdPolicy(id: string, input: unknown): Promise<Result<typeof setServerIdPolicy>>;
  /** Sync via file: a request file in, a response file out (S5). */
  respondToRequestFile(requestFile: string): Promise<string>;
  createAdminToken(input: unknown): Promise<Result<typeof createAdminToken>>;
  listAdminTokens(): Promise<Result<typeof listAdminTokens>>;
  revokeAdminToken(name: string): Promise<Result<typeof revokeAdminToken>>;
  listAudit(options?: { licenseServerId?: string; limit?: number }): Promise<Result<typeof listAudit>>;
  /** The usage reports an id's local server sent with its syncs. */
  listUsage(id: string, range?: { from?: string; to?: string }): Promise<Result<typeof listUsage>>;
  listVendorKeys(): Promise<Result<typeof listVendorKeys>>;
  rotateVendorKey(): Promise<Result<typeof rotateVendorKey>>;
  retireVendorKey(kid: string): Promise<Result<typeof retireVendorKey>>;
}

export function directVendorApi(
  ctx: AdminContext,
  vendorKeys?: () => Promise<PartyKeys>,
  keyring?: KeyringLocation,
): VendorApi {
  const keys = () => keyring ?? missingVendorKeys();
  return {
    createServerId: (input) => createServerId(ctx, input),
    listServerIds: () => listServerIds(ctx),
    showServerId: (id) => showServerId(ctx, id),
    addLicense: (id, input) => addLicense(ctx, id, input),
    changeLicense: (id, number, input) => changeLicense(ctx, id, number, input),
    removeLicense: (id, number) => removeLicense(ctx, id, number),
    listLicenses: (id) => listLicenses(ctx, id),
    clearBinding: (id, input) => clearBinding(ctx, id, input),
    setServerIdPolicy: (id, input) => setServerIdPolicy(ctx, id, input),
    createAdminToken: (input) => createAdminToken(ctx, input),
    listAdminTokens: () => listAdminTokens(ctx),
    revokeAdminToken: (name) => revokeAdminToken(ctx, name),
    listAudit: (options) => listAudit(ctx.db, options),
    listUsage: (id, range) => listUsage(ctx, id, range),
    listVendorKeys: async () => listVendorKeys(ctx, keys()),
    rotateVendorKey: async () => rotateVendorKey(ctx, keys()),
    retireVendorKey: async (kid) => retireVendorKey(ctx, keys(), kid),
    respondToRequestFile: async (file) =>
      respondToRequestFile(
        {
          db: ctx.db,
          clock: ctx.clock,
          vendorKeys: vendorKeys ? await vendorKeys() : missingVendorKeys(),
        },
        file,
      ),
  };
}

/** The same operations against a running central server's admin API (`/v1/admin`, bearer token). */
/** `ca`: the PEM certificate to trust, for a server with its own (self-signed) certificate. */
export function httpVendorApi(baseUrl: string, token: string, options: { ca?: string } = {}): VendorApi {
  const dispatcher = options.ca
    ? new Agent({ connect: { ca: [...rootCertificates, options.ca] } })
    : undefined;
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    let response: Awaited<ReturnType<typeof fetch>>;
    try {
      response = await fetch(new URL(path, baseUrl), {
        ...(dispatcher ? { dispatcher } : {}),
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw new LeaseholdError('CENTRAL_UNAVAILABLE', `${baseUrl}: ${(error as Error).message}`);
    }
    const json = (await response.json().catch(() => undefined)) as unknown;
    if (!response.ok)
      throw errorFromWire(json) ?? new LeaseholdError('CENTRAL_UNAVAILABLE', `HTTP ${response.status}`);
    return json as T;
  };
  const id = (value: string) => `/v1/admin/server-ids/${encodeURIComponent(value)}`;
  return {
    createServerId: (input) => call('POST', '/v1/admin/server-ids', input),
    listServerIds: async () =>
      (await call<{ serverIds: Result<typeof listServerIds> }>('GET', '/v1/admin/server-ids')).serverIds,
    showServerId: (value) => call('GET', id(value)),
    addLicense: (value, input) => call('POST', `${id(value)}/licenses`, input),
    changeLicense: (value, number, input) =>
      call('PATCH', `${id(value)}/licenses/${encodeURIComponent(number)}`, input),
    removeLicense: (value, number) => call('DELETE', `${id(value)}/licenses/${encodeURIComponent(number)}`),
    listLicenses: async (value) =>
      (await call<{ licenses: License[] }>('GET', `${id(value)}/licenses`)).licenses,
    clearBinding: (value, input) => call('POST', `${id(value)}/binding/clear`, input),
    setServerIdPolicy: (value, input) => call('PATCH', id(value), input),
    createAdminToken: (input) => call('POST', '/v1/admin/tokens', input),
    listAdminTokens: async () =>
      (await call<{ tokens: Result<typeof listAdminTokens> }>('GET', '/v1/admin/tokens')).tokens,
    revokeAdminToken: (name) => call('POST', `/v1/admin/tokens/${encodeURIComponent(name)}/revoke`, {}),
    listAudit: async (options = {}) => {
      const query = new URLSearchParams({
        ...(options.licenseServerId ? { serverId: options.licenseServerId } : {}),
        ...(options.limit ? { limit: String(options.limit) } : {}),
      });
      const path = `/v1/admin/audit${query.size ? `?${query}` : ''}`;
      return (await call<{ entries: Result<typeof listAudit> }>('GET', path)).entries;
    },
    listUsage: (value, range = {}) => {
      const query = new URLSearchParams(Object.entries(range).filter(([, v]) => v !== undefined));
      return call('GET', `${id(value)}/usage${query.size ? `?${query}` : ''}`);
    },
    listVendorKeys: () => call('GET', '/v1/admin/vendor-keys'),
    rotateVendorKey: () => call('POST', '/v1/admin/vendor-keys/rotate', {}),
    retireVendorKey: (kid) => call('POST', `/v1/admin/vendor-keys/${encodeURIComponent(kid)}/retire`, {}),
    respondToRequestFile: async (file) => {
      let response: Awaited<ReturnType<typeof fetch>>;
      try {
        response = await fetch(new URL('/v1/sync/file', baseUrl), {
          ...(dispatcher ? { dispatcher } : {}),
          method: 'POST',
          headers: { 'content-type': 'text/plain' },
          body: file,
        });
      } catch (error) {
        throw new LeaseholdError('CENTRAL_UNAVAILABLE', `${baseUrl}: ${(error as Error).message}`);
      }
      const text = await response.text();
      if (response.ok) return text;
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      throw errorFromWire(json) ?? new LeaseholdError('CENTRAL_UNAVAILABLE', `HTTP ${response.status}`);
    },
  };
}

function missingVendorKeys(): never {
  throw new LeaseholdError('NOT_INITIALIZED', 'no vendor keys were given to answer sync requests');
}
