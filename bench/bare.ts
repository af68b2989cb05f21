import Fastify from 'fastify';

/** A Fastify app with the product's lease paths that does nothing: the baseline. */
export function bareApp() {
  const app = Fastify({ logger: false });
  const lease = { id: 'bare-lease-0000000001' };
  app.get('/healthz', async () => ({ ok: true }));
  app.post('/v1/leases/:id/renew', async () => ({ lease }));
  app.post('/v1/leases', async (_request, reply) => reply.status(201).send({ lease }));
  app.delete('/v1/leases/:id', async () => ({ released: lease.id }));
  return app;
}
