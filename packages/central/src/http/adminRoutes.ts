import { createHash, timingSafeEqual } from 'node:crypto';
import { LeaseholdError } from '@leasehold/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { clearBinding } from '../admin/bindings.ts';
import type { AdminContext } from '../admin/context.ts';
import { addLicense, changeLicense, listLicenses, removeLicense } from '../admin/licenses.ts';
import { createServerId, listServerIds, showServerId } from '../admin/serverIds.ts';

type Params = { id: string; number: string };

export function tokenMatches(presented: string, expectedSha256: string): boolean {
  const actual = createHash('sha256').update(presented).digest();
  return timingSafeEqual(actual, Buffer.from(expectedSha256, 'hex'));
}

/** The vendor admin API (C1): every route needs the admin bearer token; each is a thin call into admin/. */
export function registerAdminRoutes(
  app: FastifyInstance,
  ctx: Omit<AdminContext, 'actor'>,
  adminTokenSha256: string,
): void {
  app.register(async (admin) => {
    admin.addHook('onRequest', async (request: FastifyRequest) => {
      const header = request.headers.authorization ?? '';
      const token = header.startsWith('Bearer ') ? header.slice(7) : '';
      if (!token || !tokenMatches(token, adminTokenSha256)) throw new LeaseholdError('ADMIN_AUTH_REQUIRED');
    });
    const as = { ...ctx, actor: 'admin-api' };
    admin.post('/v1/admin/server-ids', async (req, reply) =>
      reply.status(201).send(await createServerId(as, req.body ?? {})),
    );
    admin.get('/v1/admin/server-ids', async () => ({ serverIds: await listServerIds(as) }));
    admin.get<{ Params: Params }>('/v1/admin/server-ids/:id', async (req) => showServerId(as, req.params.id));
    admin.get<{ Params: Params }>('/v1/admin/server-ids/:id/licenses', async (req) => ({
      licenses: await listLicenses(as, req.params.id),
    }));
    admin.post<{ Params: Params }>('/v1/admin/server-ids/:id/licenses', async (req, reply) =>
      reply.status(201).send(await addLicense(as, req.params.id, req.body ?? {})),
    );
    admin.patch<{ Params: Params }>('/v1/admin/server-ids/:id/licenses/:number', async (req) =>
      changeLicense(as, req.params.id, req.params.number, req.body ?? {}),
    );
    admin.delete<{ Params: Params }>('/v1/admin/server-ids/:id/licenses/:number', async (req) =>
      removeLicense(as, req.params.id, req.params.number),
    );
    admin.post<{ Params: Params }>('/v1/admin/server-ids/:id/binding/clear', async (req) =>
      clearBinding(as, req.params.id, req.body ?? {}),
    );
  });
}
