import { type Clock, centralHello } from '@leasehold/protocol';
import type { FastifyInstance, onRequestHookHandler } from 'fastify';
import { answerProbe, type ProbeContext } from '../sync/probe.ts';

// A probe is one small sealed message (two public keys and an id); nothing larger is read.
const PROBE_BODY_LIMIT = 64 * 1024;

/**
 * The public endpoints `leasehold server diagnose` talks to, on both sync ports: `/v1/hello` (what
 * this server speaks, and its time) and `/v1/sync/probe` (is this id bound to the probing key?).
 * Neither needs a login nor changes anything. The probe costs a decryption and a database read like
 * a sync, so it shares the sync endpoints' per-address `limit` (rateLimit.ts).
 */
export function registerProbeRoutes(
  app: FastifyInstance,
  clock: Clock,
  context: () => Promise<ProbeContext>,
  limit?: onRequestHookHandler,
): void {
  // The sync routes usually register the parser first; the probe must work without them too.
  if (!app.hasContentTypeParser('application/jose')) {
    app.addContentTypeParser(
      ['application/jose', 'text/plain'],
      { parseAs: 'string', bodyLimit: PROBE_BODY_LIMIT },
      (_req, body, done) => done(null, body),
    );
  }
  app.get('/v1/hello', async () => centralHello(clock.now()));
  app.post(
    '/v1/sync/probe',
    { bodyLimit: PROBE_BODY_LIMIT, ...(limit ? { onRequest: limit } : {}) },
    async (request) => {
      const message = typeof request.body === 'string' ? request.body : '';
      return answerProbe(await context(), message);
    },
  );
}
