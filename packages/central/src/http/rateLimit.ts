import { type Clock, LeaseholdError } from '@leasehold/protocol';
import type { onRequestHookHandler } from 'fastify';

const WINDOW_MS = 60_000;

/**
 * A fixed-window counter per key (a source address): at most `limit` requests per clock minute.
 * Kept in this node's memory: with several nodes each counts on its own, so an address may make up
 * to `limit` requests per node (docs/central.md). Only the current window is kept, so memory is
 * bounded by the addresses seen in one minute.
 */
export class FixedWindowLimiter {
  private window = -1;
  private counts = new Map<string, number>();

  private readonly limit: number;

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Counts one request; `retryAfterSeconds` when it is over the limit. */
  take(key: string, nowMs: number): { allowed: true } | { allowed: false; retryAfterSeconds: number } {
    const window = Math.floor(nowMs / WINDOW_MS);
    if (window !== this.window) {
      this.window = window;
      this.counts = new Map();
    }
    const count = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, count);
    if (count <= this.limit) return { allowed: true };
    return { allowed: false, retryAfterSeconds: Math.ceil(((window + 1) * WINDOW_MS - nowMs) / 1000) };
  }
}

/**
 * The hook the public sync endpoints run first, before the body is read: a flood from one address
 * is refused with 429 RATE_LIMITED and a Retry-After header. A limit of 0 turns it off.
 */
export function syncRateLimit(requestsPerMinute: number, clock: Clock): onRequestHookHandler {
  const limiter = new FixedWindowLimiter(requestsPerMinute);
  return async (request, reply) => {
    if (requestsPerMinute === 0) return;
    const decision = limiter.take(request.ip, clock.now().getTime());
    if (decision.allowed) return;
    reply.header('retry-after', String(decision.retryAfterSeconds));
    throw new LeaseholdError('RATE_LIMITED', `${request.ip}: more than ${requestsPerMinute} per minute`);
  };
}

/**
 * The per-id limit (docs/central.md, Rate limits): a license server id is inside the sealed request,
 * so it is known only once the request is opened; the check runs then, before the database is
 * touched. One misbehaving server (a loop, a clone farm behind many addresses) cannot take more than
 * its share.
 */
export function syncRateLimitPerId(requestsPerMinute: number, clock: Clock): (id: string) => void {
  const limiter = new FixedWindowLimiter(requestsPerMinute);
  return (id) => {
    if (requestsPerMinute === 0) return;
    const decision = limiter.take(id, clock.now().getTime());
    if (decision.allowed) return;
    throw new LeaseholdError('SYNC_RATE_LIMITED', `${id}: more than ${requestsPerMinute} per minute`, {
      retryAfterSeconds: decision.retryAfterSeconds,
    });
  };
}

/** Sets Retry-After on a reply for a per-id refusal thrown deep in the sync code. */
export function retryAfterOf(error: unknown): string | undefined {
  if (!(error instanceof LeaseholdError) || error.code !== 'SYNC_RATE_LIMITED') return undefined;
  const seconds = (error.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
  return typeof seconds === 'number' ? String(seconds) : undefined;
}
