import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { LocalServer } from '../localServer.ts';
import { installErrorHandling } from './errors.ts';
import { registerLeaseRoutes } from './leaseRoutes.ts';

// Client requests are small; anything larger is refused before it is parsed.
const BODY_LIMIT_BYTES = 64 * 1024;

/** The local server's client endpoint. Builds without listening: `serve` listens, tests inject. */
export function buildServerApp(server: LocalServer, logger?: FastifyBaseLogger): FastifyInstance {
  const options = { bodyLimit: BODY_LIMIT_BYTES };
  const app = logger
    ? Fastify({ ...options, loggerInstance: logger })
    : Fastify({ ...options, logger: false });
  installErrorHandling(app);
  app.get('/healthz', async () => ({ ok: true }));
  registerLeaseRoutes(app, server);
  return app;
}
