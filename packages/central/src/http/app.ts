import type { Clock, PartyKeys } from '@leasehold/protocol';
import { frameworkErrors, installErrorHandling } from '@leasehold/protocol';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { KeyringLocation } from '../admin/vendorKeys.ts';
import { staticVendorKeySource, type VendorKeySource } from '../keys/vendorKeys.ts';
import type { CentralDatabase } from '../store/schema.ts';
import type { SyncContext } from '../sync/handleSync.ts';
import { registerAdminRoutes } from './adminRoutes.ts';
import { registerDocsRoutes } from './docsRoutes.ts';
import { registerHealthRoutes } from './healthRoutes.ts';
import { registerProbeRoutes } from './probeRoutes.ts';
import { syncRateLimit, syncRateLimitPerId } from './rateLimit.ts';
import { registerSyncRoutes } from './syncRoutes.ts';

export interface CentralAppOptions {
  db: Kysely<CentralDatabase>;
  clock: Clock;
  /** The vendor keys, fixed; or `vendorKeySource` (keys/vendorKeys.ts) for a keyring that can rotate. */
  vendorKeys: PartyKeys;
  vendorKeySource?: VendorKeySource;
  /** Where the keyring lives, for the admin API's key routes (absent: keys cannot be listed or rotated). */
  keyringLocation?: KeyringLocation;
  /** SHA-256 of the bootstrap admin token (`central init`); named tokens live in the database. */
  adminTokenSha256: string;
  /** Sync requests per minute per source address on this node; absent or 0: no limit (serve passes central.json's). */
  syncRequestsPerMinutePerAddress?: number;
  /** Sync requests per minute per license server id on this node; absent or 0: no limit. */
  syncRequestsPerMinutePerId?: number;
  /**
   * Proxies (addresses or CIDRs) whose X-Forwarded-For is believed: the client address in the rate
   * limit and the sync log is taken from it only when the direct peer is one of these.
   */
  trustProxy?: readonly string[];
  /** How long /readyz waits for the database. */
  readinessTimeoutMs?: number;
  logger?: FastifyBaseLogger;
}

/** Builds the central server's HTTP app without listening: `serve` listens, tests inject or listen on free ports. */
export function buildCentralApp(options: CentralAppOptions): FastifyInstance {
  const trustProxy = options.trustProxy?.length ? [...options.trustProxy] : false;
  const app = options.logger
    ? Fastify({ loggerInstance: options.logger, trustProxy, frameworkErrors })
    : Fastify({ logger: false, trustProxy, frameworkErrors });
  installErrorHandling(app);
  registerHealthRoutes(app, options.db, options.readinessTimeoutMs);
  const limit = options.syncRequestsPerMinutePerAddress
    ? syncRateLimit(options.syncRequestsPerMinutePerAddress, options.clock)
    : undefined;
  const limitPerId = options.syncRequestsPerMinutePerId
    ? syncRateLimitPerId(options.syncRequestsPerMinutePerId, options.clock)
    : undefined;
  const keys = options.vendorKeySource ?? staticVendorKeySource(options.vendorKeys);
  // Per request: a rotation on disk is used from the next request on (keys/vendorKeys.ts).
  const syncContext = async (): Promise<SyncContext> => {
    const { vendorKeys, announcements, retiredKeyIds } = await keys.current();
    return {
      db: options.db,
      clock: options.clock,
      vendorKeys,
      vendorKeyAnnouncements: announcements,
      retiredVendorKeyIds: retiredKeyIds,
      ...(limitPerId ? { limitPerId } : {}),
    };
  };
  registerSyncRoutes(app, syncContext, limit);
  registerProbeRoutes(app, options.clock, syncContext, limit);
  registerDocsRoutes(app);
  registerAdminRoutes(
    app,
    { db: options.db, clock: options.clock },
    options.adminTokenSha256,
    options.keyringLocation,
  );
  return app;
}
