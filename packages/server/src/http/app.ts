import { frameworkErrors, installErrorHandling } from '@leasehold/protocol';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { LocalServer } from '../localServer.ts';
import { registerAdminGate } from './adminGate.ts';
import { registerAdminRoutes } from './adminRoutes.ts';
import { registerDurableAnswers } from './durableAnswers.ts';
import { registerLeaseRoutes } from './leaseRoutes.ts';
import { registerManagerRoutes } from './managerRoutes.ts';
import { registerSecurityHeaders } from './securityHeaders.ts';

// Client requests are small; anything larger is refused before it is parsed.
const BODY_LIMIT_BYTES = 64 * 1024;

export interface ServerAppOptions {
  logger?: FastifyBaseLogger;
  /** PEM certificate and key: HTTPS on the client port (L0). */
  https?: { cert: Buffer; key: Buffer };
  /** The built Manager UI (default: packages/manager/dist). */
  managerDistDir?: string;
}

/** The local server's client endpoint. Builds without listening: `serve` listens, tests inject. */
export function buildServerApp(server: LocalServer, options: ServerAppOptions = {}): FastifyInstance {
  const base = {
    bodyLimit: BODY_LIMIT_BYTES,
    frameworkErrors,
    ...(options.https ? { https: options.https } : {}),
  };
  const app = (options.logger
    ? Fastify({ ...base, loggerInstance: options.logger })
    : Fastify({ ...base, logger: false })) as unknown as FastifyInstance;
  installErrorHandling(app);
  registerSecurityHeaders(app, { tls: Boolean(options.https) });
  registerDurableAnswers(app, server);
  registerAdminGate(app, server.config.adminRemoteAddresses);
  app.get('/healthz', async () => ({ ok: true }));
  registerLeaseRoutes(app, server);
  registerAdminRoutes(app, server, { secure: Boolean(options.https) });
  registerManagerRoutes(app, options.managerDistDir ? { distDir: options.managerDistDir } : {});
  return app;
}
