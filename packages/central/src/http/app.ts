import type { Clock, PartyKeys } from '@leasehold/protocol';
import { installErrorHandling } from '@leasehold/protocol';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { CentralDatabase } from '../store/schema.ts';
import { registerAdminRoutes } from './adminRoutes.ts';
import { registerSyncRoutes } from './syncRoutes.ts';

export interface CentralAppOptions {
  db: Kysely<CentralDatabase>;
  clock: Clock;
  vendorKeys: PartyKeys;
  adminTokenSha256: string;
  logger?: FastifyBaseLogger;
}

/** Builds the central server's HTTP app without listening: `serve` listens, tests inject or listen on free ports. */
export function buildCentralApp(options: CentralAppOptions): FastifyInstance {
  const app = options.logger ? Fastify({ loggerInstance: options.logger }) : Fastify({ logger: false });
  installErrorHandling(app);
  app.get('/healthz', async () => ({ ok: true }));
  registerSyncRoutes(app, { db: options.db, clock: options.clock, vendorKeys: options.vendorKeys });
  registerAdminRoutes(app, { db: options.db, clock: options.clock }, options.adminTokenSha256);
  return app;
}
