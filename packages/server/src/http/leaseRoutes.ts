import {
  activationRequestSchema,
  checkoutRequestSchema,
  describeIssues,
  LeaseholdError,
} from '@leasehold/protocol';
import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { signCheckout } from '../leases/checkoutSigner.ts';
import type { LocalServer } from '../localServer.ts';

function parse<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new LeaseholdError('INVALID_INPUT', describeIssues(parsed.error).join('; '));
  return parsed.data;
}

const leaseId = (value: string) => {
  if (!/^[A-Za-z0-9_-]{16,64}$/.test(value)) throw new LeaseholdError('INVALID_INPUT', 'not a lease id');
  return value;
};

/** The client API (L2, L3): thin adapters over the lease engine's batched decisions. */
export function registerLeaseRoutes(app: FastifyInstance, server: LocalServer): void {
  type Id = { Params: { id: string } };
  app.post('/v1/leases', async (request, reply) => {
    const lease = await server.leases.queued.activate(parse(activationRequestSchema, request.body));
    return reply.status(201).send({ lease });
  });
  app.post<Id>('/v1/leases/:id/renew', async (request) => ({
    lease: await server.leases.queued.renew(leaseId(request.params.id)),
  }));
  app.delete<Id>('/v1/leases/:id', async (request) =>
    server.leases.queued.release(leaseId(request.params.id), { kind: 'floating', by: 'client' }),
  );
  app.post('/v1/checkouts', async (request, reply) => {
    const lease = await server.leases.queued.checkout(parse(checkoutRequestSchema, request.body));
    try {
      const token = await signCheckout(lease, server.config.licenseServerId, server.keys, server.store);
      return reply.status(201).send({ checkout: { ...lease, token } });
    } catch (error) {
      await server.leases.queued.release(lease.id, { kind: 'checkout', by: 'client' });
      throw error;
    }
  });
  app.delete<Id>('/v1/checkouts/:id', async (request) => {
    const { released } = await server.leases.queued.release(leaseId(request.params.id), {
      kind: 'checkout',
      by: 'client',
    });
    return { returned: released };
  });
}
