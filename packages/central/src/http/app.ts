import type { Clock, PartyKeys } from '@leasehold/protocol';
import { installErrorHandling } from '@leasehold/protocol';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { CentralDatabase } from '../store/schema.ts';
import { registerAdminRoutes } from './adminRoutes.ts';
import { registerHealthRoutes } from './healthRoutes.ts';
import { registerProbeRoutes } from './probeRoutes.ts';
import { syncRateLimit } from './rateLimit.ts';
import { registerSyncRoutes } from './syncRoutes.ts';

export interface CentralAppOptions {
  db: Kysely<CentralDatabase>;
  clock: Clock;
  vendorKeys: PartyKeys;
  /** SHA-256 of the bootstrap admin token (`central init`); named tokens live in the database. */
  adminTokenSha256: string;
  /** Sync requests per minute per source address on this node; absent or 0: no limit (serve passes central.json's). */
  syncRequestsPerMinutePerAddress?: number;
  /** How long /readyz waits for the database. */
  readinessTimeoutMs?: number;
  logger?: FastifyBaseLogger;
}

/** Builds the central server's HTTP app without listening: `serve` listens, tests inject or listen on free ports. */
export function buildCentralApp(options: CentralAppOptions): FastifyInstance {
  const app = options.logger ? Fastify({ loggerInstance: options.logger }) : Fastify({ logger: false });
  installErrorHandling(app);
  registerHealthRoutes(app, options.db, options.readinessTimeoutMs);
  const limit = options.syncRequestsPerMinutePerAddress
    ? syncRateLimit(options.syncRequestsPerMinutePerAddress, options.clock)
    : undefined;
  registerSyncRoutes(app, { db: options.db, clock: options.clock, vendorKeys: options.vendorKeys }, limit);
  registerProbeRoutes(app, { db: options.db, clock: options.clock, vendorKeys: options.vendorKeys }, limit);
  registerAdminRoutes(app, { db: options.db, clock: options.clock }, options.adminTokenSha256);
  return app;
}
