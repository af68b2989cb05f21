import { LeaseholdError } from '@leasehold/protocol';
import type { FastifyInstance } from 'fastify';
import { type Kysely, sql } from 'kysely';
import type { CentralDatabase } from '../store/schema.ts';

/** How long /readyz waits for `select 1`: a load balancer's probe must get an answer, not hang. */
export const READINESS_TIMEOUT_MS = 2_000;

/**
 * `/healthz`: the process is up (restart it if not). `/readyz`: it can reach the database (send it
 * no traffic if not). Several nodes share one database, so a node whose database link is down is
 * taken out of rotation while the others keep serving.
 */
export function registerHealthRoutes(
  app: FastifyInstance,
  db: Kysely<CentralDatabase>,
  readinessTimeoutMs = READINESS_TIMEOUT_MS,
): void {
  app.get('/healthz', async () => ({ ok: true }));
  app.get('/readyz', async (request) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${readinessTimeoutMs} ms`)),
        readinessTimeoutMs,
      );
    });
    try {
      await Promise.race([sql`select 1`.execute(db), timeout]);
    } catch (error) {
      // The reason goes to the log only: the endpoint is public and the reason may name internal hosts.
      request.log.warn({ err: error }, 'readiness check: database unreachable');
      throw new LeaseholdError('DATABASE_UNAVAILABLE');
    } finally {
      clearTimeout(timer);
    }
    return { ok: true, database: 'reachable' };
  });
}
