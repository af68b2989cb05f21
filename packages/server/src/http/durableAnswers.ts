import type { FastifyInstance } from 'fastify';
import type { LocalServer } from '../localServer.ts';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * An answer to a change (a grant, a release, an applied sync, a new token…) leaves only once the
 * change is on stable storage: with group commit, that is the next batched fsync (L2;
 * docs/architecture.md, departure 11). Refusals wait too: they are rare, and one rule is easier to
 * trust than a list.
 */
export function registerDurableAnswers(app: FastifyInstance, server: LocalServer): void {
  app.addHook('onSend', async (request, _reply, payload) => {
    if (!READS.has(request.method)) await server.durable();
    return payload;
  });
}
