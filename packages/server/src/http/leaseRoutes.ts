import {
  activationRequestSchema,
  checkoutRequestSchema,
  describeIssues,
  type Lease,
  LeaseholdError,
  renewalRequestSchema,
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
  // Each answer carries a lease token for the client's nonce (docs/leases.md, Lease tokens).
  const answer = (lease: Lease, at: Date, nonce: string | undefined) => {
    const leaseToken = server.leaseSigner.sign(lease, at, nonce);
    return leaseToken === undefined ? { lease } : { lease, leaseToken };
  };
  app.post('/v1/leases', async (request, reply) => {
    const asked = parse(activationRequestSchema, request.body);
    const lease = await server.leases.queued.activate(asked);
    return reply.status(201).send(answer(lease, new Date(lease.grantedAt), asked.nonce));
  });
  app.post<Id>('/v1/leases/:id/renew', async (request) => {
    const id = leaseId(request.params.id);
    const asked = parse(renewalRequestSchema, request.body ?? undefined);
    const lease = await server.leases.queued.renew(id);
    return answer(lease, new Date(lease.renewedAt ?? lease.grantedAt), asked?.nonce);
  });
  app.delete<Id>('/v1/leases/:id', async (request) =>
    server.leases.queued.release(leaseId(request.params.id), { kind: 'floating', by: 'client' }),
  );
  app.post('/v1/checkouts', async (request, reply) => {
    const asked = parse(checkoutRequestSchema, request.body);
    const lease = await server.leases.queued.checkout(asked);
    try {
      const token = await signCheckout(
        lease,
        server.config.licenseServerId,
        server.keys,
        server.store,
        asked.machine,
      );
      return reply.status(201).send({ checkout: { ...lease, token } });
    } catch (error) {
      await server.leases.queued.release(lease.id, { kind: 'checkout', by: 'client' });
      throw error;
    }
  });
  // L3: a returned checkout's token still verifies offline; the SDK asks here whenever it can.
  app.get<Id>('/v1/checkouts/:id', async (request) => {
    const id = leaseId(request.params.id);
    return { id, state: server.leases.checkoutState(id) };
  });
  app.delete<Id>('/v1/checkouts/:id', async (request) => {
    const { released } = await server.leases.queued.release(leaseId(request.params.id), {
      kind: 'checkout',
      by: 'client',
    });
    return { returned: released };
  });
}
