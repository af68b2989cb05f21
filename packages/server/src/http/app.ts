import { componentNameSchema, domainSchema, LeaseholdError, licenseNumberSchema } from '@leasehold/protocol';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { z } from 'zod';
import { assertMayIssue } from '../leases/gate.ts';
import type { LocalServer } from '../localServer.ts';
import { installErrorHandling } from './errors.ts';

export const licenseRequestSchema = z.strictObject({
  components: z.array(componentNameSchema).min(1).max(100),
  licenseNumber: licenseNumberSchema.optional(),
  user: z.string().min(1).max(200),
  computer: z.string().min(1).max(200),
  domain: domainSchema.optional(),
});

/** The local server's client endpoint. The lease engine arrives with the next issue; the gate is here now. */
export function buildServerApp(server: LocalServer, logger?: FastifyBaseLogger): FastifyInstance {
  const app = logger ? Fastify({ loggerInstance: logger }) : Fastify({ logger: false });
  installErrorHandling(app);
  app.get('/healthz', async () => ({ ok: true }));
  app.post('/v1/licenses', async (request) => {
    const parsed = licenseRequestSchema.safeParse(request.body);
    if (!parsed.success) {
      throw new LeaseholdError(
        'INVALID_INPUT',
        parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
      );
    }
    assertMayIssue(server.guard, server.store);
    throw new LeaseholdError('LEASE_ENGINE_UNAVAILABLE');
  });
  return app;
}
