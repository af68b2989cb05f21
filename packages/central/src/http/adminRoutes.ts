import { LeaseholdError } from '@leasehold/protocol';
import type { FastifyInstance, FastifyRequest, onRequestHookHandler } from 'fastify';
import { clearBinding } from '../admin/bindings.ts';
import type { AdminContext } from '../admin/context.ts';
import { addLicense, changeLicense, listLicenses, removeLicense } from '../admin/licenses.ts';
import { createServerId, listServerIds, setServerIdPolicy, showServerId } from '../admin/serverIds.ts';
import {
  type AdminPrincipal,
  authenticateAdminToken,
  BOOTSTRAP_TOKEN_NAME,
  createAdminToken,
  listAdminTokens,
  revokeAdminToken,
} from '../admin/tokens.ts';
import {
  type KeyringLocation,
  listVendorKeys,
  retireVendorKey,
  rotateVendorKey,
} from '../admin/vendorKeys.ts';
import { listAudit } from '../audit.ts';
import { listUsage } from '../sync/usage.ts';
import { authorize, permissionFor } from './policies.ts';

type Params = { id: string; number: string; name: string; kid: string };

function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization ?? '';
  return header.startsWith('Bearer ') ? header.slice(7).trim() : '';
}

/** Who the audit log names: the bootstrap token as before, a named token by its name. */
function actorOf(principal: AdminPrincipal | undefined): string {
  return !principal || principal.name === BOOTSTRAP_TOKEN_NAME ? 'admin-api' : `admin-api:${principal.name}`;
}

/** True when a NUL character is anywhere in the value (iteratively: a hostile body may nest deep). */
function holdsNul(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (typeof item === 'string') {
      if (item.includes('\u0000')) return true;
    } else if (Array.isArray(item)) {
      stack.push(...item);
    } else if (item !== null && typeof item === 'object') {
      for (const [key, inner] of Object.entries(item)) {
        if (key.includes('\u0000')) return true;
        stack.push(inner);
      }
    }
  }
  return false;
}

/**
 * Input no admin operation can use is refused before any runs: a query parameter given twice (it
 * parses to an array), and a NUL character, which PostgreSQL text and jsonb cannot hold.
 */
function refuseUnusableInput(request: FastifyRequest): void {
  for (const [name, value] of Object.entries((request.query ?? {}) as Record<string, unknown>)) {
    if (typeof value !== 'string')
      throw new LeaseholdError('INVALID_INPUT', `the query parameter ${name} is given more than once`);
  }
  if (holdsNul(request.params) || holdsNul(request.query) || holdsNul(request.body))
    throw new LeaseholdError('INVALID_INPUT', 'a NUL character cannot be stored');
}

/**
 * Gives every route registered on `admin` the one `authorize()` check, with the permission
 * policies.ts lists for it, before anything else runs (the body is not even read). A route the table
 * does not list is an error when it is registered: no admin route can exist without a policy.
 */
export function guardAdminRoutes(
  admin: FastifyInstance,
  principals: WeakMap<FastifyRequest, AdminPrincipal>,
  authenticate: (request: FastifyRequest) => Promise<AdminPrincipal | undefined>,
): void {
  admin.addHook('onRoute', (route) => {
    const methods = [route.method].flat();
    const permission = permissionFor(methods[0] as string, route.url);
    if (!permission || methods.some((m) => permissionFor(m, route.url) !== permission)) {
      throw new Error(`admin route ${methods.join(',')} ${route.url} has no entry in http/policies.ts`);
    }
    const check: onRequestHookHandler = async (request) => {
      principals.set(request, authorize(await authenticate(request), permission));
    };
    route.onRequest = [check, ...(route.onRequest ? [route.onRequest].flat() : [])];
  });
}

/**
 * The vendor admin API (C1): each route is a thin call into admin/. Authorization is not written
 * per route: every route registered here gets the one `authorize()` check with the permission
 * policies.ts lists for it, and a route missing from that table stops the server from starting.
 */
export function registerAdminRoutes(
  app: FastifyInstance,
  ctx: Omit<AdminContext, 'actor'>,
  bootstrapTokenSha256: string,
  keyring?: KeyringLocation,
): void {
  const keys = (): KeyringLocation => {
    if (!keyring) throw new LeaseholdError('VENDOR_KEYS_FROM_ENVIRONMENT', 'this app was given fixed keys');
    return keyring;
  };
  const principals = new WeakMap<FastifyRequest, AdminPrincipal>();
  app.register(async (admin) => {
    guardAdminRoutes(admin, principals, (request) =>
      authenticateAdminToken(ctx.db, bootstrapTokenSha256, bearerToken(request)),
    );
    // After authorization (onRequest), before any handler: nobody learns anything from a refusal here.
    admin.addHook('preValidation', async (request) => refuseUnusableInput(request));
    const as = (request: FastifyRequest): AdminContext => ({
      ...ctx,
      actor: actorOf(principals.get(request)),
    });

    admin.post('/v1/admin/server-ids', async (req, reply) =>
      reply.status(201).send(await createServerId(as(req), req.body ?? {})),
    );
    admin.get('/v1/admin/server-ids', async (req) => ({ serverIds: await listServerIds(as(req)) }));
    admin.get<{ Params: Params }>('/v1/admin/server-ids/:id', async (req) =>
      showServerId(as(req), req.params.id),
    );
    admin.patch<{ Params: Params }>('/v1/admin/server-ids/:id', async (req) =>
      setServerIdPolicy(as(req), req.params.id, req.body ?? {}),
    );
    admin.get<{ Params: Params }>('/v1/admin/server-ids/:id/licenses', async (req) => ({
      licenses: await listLicenses(as(req), req.params.id),
    }));
    admin.post<{ Params: Params }>('/v1/admin/server-ids/:id/licenses', async (req, reply) =>
      reply.status(201).send(await addLicense(as(req), req.params.id, req.body ?? {})),
    );
    admin.patch<{ Params: Params }>('/v1/admin/server-ids/:id/licenses/:number', async (req) =>
      changeLicense(as(req), req.params.id, req.params.number, req.body ?? {}),
    );
    admin.delete<{ Params: Params }>('/v1/admin/server-ids/:id/licenses/:number', async (req) =>
      removeLicense(as(req), req.params.id, req.params.number),
    );
    admin.post<{ Params: Params }>('/v1/admin/server-ids/:id/binding/clear', async (req) =>
      clearBinding(as(req), req.params.id, req.body ?? {}),
    );
    admin.get<{ Params: Params; Querystring: { from?: string; to?: string } }>(
      '/v1/admin/server-ids/:id/usage',
      async (req) => listUsage(as(req), req.params.id, { from: req.query.from, to: req.query.to }),
    );
    admin.get<{ Querystring: { serverId?: string; limit?: string } }>('/v1/admin/audit', async (req) => ({
      entries: await listAudit(ctx.db, {
        ...(req.query.serverId ? { licenseServerId: req.query.serverId } : {}),
        ...(req.query.limit ? { limit: Number(req.query.limit) } : {}),
      }),
    }));
    admin.get('/v1/admin/tokens', async (req) => ({ tokens: await listAdminTokens(as(req)) }));
    admin.post('/v1/admin/tokens', async (req, reply) =>
      reply.status(201).send(await createAdminToken(as(req), req.body ?? {})),
    );
    admin.post<{ Params: Params }>('/v1/admin/tokens/:name/revoke', async (req) =>
      revokeAdminToken(as(req), req.params.name),
    );
    admin.get('/v1/admin/vendor-keys', async (req) => listVendorKeys(as(req), keys()));
    admin.post('/v1/admin/vendor-keys/rotate', async (req) => rotateVendorKey(as(req), keys()));
    admin.post<{ Params: Params }>('/v1/admin/vendor-keys/:kid/retire', async (req) =>
      retireVendorKey(as(req), keys(), req.params.kid),
    );
  });
}
