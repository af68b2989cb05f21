import {
  type ActivationRequest,
  type CheckoutRequest,
  HOUR_MS,
  type Lease,
  LeaseholdError,
  type License,
  licenseEndMs,
  randomToken,
} from '@leasehold/protocol';
import { type ClockGuard, rollbackError } from '../clock/guard.ts';
import type { ServerStore } from '../store/serverStore.ts';
import { chooseLicense, freeSeatsAfterRelease, isActive, withBase } from './choose.ts';
import { DecisionQueue } from './decisionQueue.ts';
import { domainMatches } from './domain.ts';
import { syncRefusal } from './gate.ts';
import { type LeaseRow, type LeaseStore, leaseFacts } from './leaseStore.ts';
import type { UsageHistory } from './usageHistory.ts';

export interface LeaseEngineOptions {
  store: ServerStore;
  leases: LeaseStore;
  guard: ClockGuard;
  leaseSeconds: number;
  /** L5: several instances of one user on one computer share one seat. */
  shareSeatPerUserComputer: boolean;
  /** M4: peaks and denials per hour; none in tests that do not look at history. */
  history?: UsageHistory;
}

/** What every decision of one transaction shares, computed once at its start. */
interface DecisionContext {
  /** The judged time (S10): the system clock, or the high-water mark within the tolerance. */
  now: Date;
  /** Why no license may be issued now (CLOCK_ROLLBACK, NOT_SYNCHRONIZED), if so. */
  refusal: LeaseholdError | undefined;
  /** Leases the context's expiry pass just removed: renewing one is LEASE_EXPIRED, not LEASE_NOT_FOUND. */
  expired: Map<string, LeaseRow>;
  licenses(): License[];
  /** When the server stops being synchronized (S1): no checkout may outlive it (L3, L8). */
  syncWindowEndMs(): number;
  /**
   * S2: the component's holders still fit the license. Only a yes is remembered for the rest of the
   * transaction: grants never take a license past its seats, so a yes stays true, while a no can
   * turn into a yes as withdrawn leases free their seats.
   */
  holdersFit(license: License, component: string): boolean;
}

type ReleaseOptions = { kind: 'floating' | 'checkout'; by: 'client' | 'admin' };
type Outcome<T> = { ok: true; value: T } | { ok: false; error: LeaseholdError };
type EngineDecision<T> = (context: DecisionContext) => Outcome<T>;

/**
 * The lease engine (L1–L6): every decision runs in an IMMEDIATE SQLite transaction that first
 * expires what is due, then counts and writes, so seats are never over-issued whatever the
 * interleaving. Denials are recorded with their reason in the same transaction, then thrown.
 * The methods decide at once, in a transaction of their own (the CLI, tests); `queued` has the same
 * decisions for the HTTP routes, batched per event-loop turn (decisionQueue.ts).
 */
export class LeaseEngine {
  readonly #queue: DecisionQueue<DecisionContext>;

  private readonly o: LeaseEngineOptions;

  constructor(o: LeaseEngineOptions) {
    this.o = o;
    this.#queue = new DecisionQueue(o.leases.db, () => this.#context());
  }

  /** The same decisions, batched: those submitted in one event-loop turn share one transaction. */
  readonly queued = {
    activate: (request: ActivationRequest): Promise<Lease> => this.#queue.submit(this.#activation(request)),
    checkout: (request: CheckoutRequest): Promise<Lease> => this.#queue.submit(this.#checkout(request)),
    renew: (leaseId: string): Promise<Lease> => this.#queue.submit(this.#renewal(leaseId)),
    release: (leaseId: string, options: ReleaseOptions): Promise<{ released: string }> =>
      this.#queue.submit(this.#release(leaseId, options)),
  };

  get leaseSeconds(): number {
    return this.o.leaseSeconds;
  }

  activate(request: ActivationRequest): Lease {
    return this.#decide(this.#activation(request));
  }

  /** L3: the seat is bound to this user on this computer for the hours asked, up to the license's maximum. */
  checkout(request: CheckoutRequest): Lease {
    return this.#decide(this.#checkout(request));
  }

  renew(leaseId: string): Lease {
    return this.#decide(this.#renewal(leaseId));
  }

  /** Releasing never needs a synchronized server: seats always go back. */
  release(leaseId: string, options: ReleaseOptions): { released: string } {
    return this.#decide(this.#release(leaseId, options));
  }

  #activation(request: ActivationRequest): EngineDecision<Lease> {
    return (context) => {
      if (context.refusal) return this.#deny(request, context, context.refusal);
      const expiresAt = context.now.getTime() + this.o.leaseSeconds * 1000;
      return this.#grant(request, context, 'floating', expiresAt, context.licenses());
    };
  }

  #checkout(request: CheckoutRequest): EngineDecision<Lease> {
    return (context) => {
      if (context.refusal) return this.#deny(request, context, context.refusal);
      const licenses = context.licenses();
      const candidates = request.licenseNumber
        ? licenses.filter((l) => l.number === request.licenseNumber)
        : licenses;
      const allowing = candidates.filter((l) => l.maxCheckoutHours >= request.hours);
      if (candidates.length > 0 && allowing.length === 0) {
        const max = Math.max(...candidates.map((l) => l.maxCheckoutHours));
        return this.#deny(
          request,
          context,
          max === 0
            ? new LeaseholdError('CHECKOUT_NOT_ALLOWED', 'the license allows no checkout (maximum 0 hours)')
            : new LeaseholdError(
                'CHECKOUT_TOO_LONG',
                `asked for ${request.hours} hours, the maximum is ${max} hours`,
              ),
        );
      }
      const until = context.now.getTime() + request.hours * HOUR_MS;
      return this.#grant({ ...request, shareable: false }, context, 'checkout', until, allowing);
    };
  }

  #renewal(leaseId: string): EngineDecision<Lease> {
    return (context) => {
      if (context.refusal) return this.#fail(context.refusal);
      const now = context.now.getTime();
      const lease = this.o.leases.find(leaseId) ?? context.expired.get(leaseId);
      if (!lease) return this.#fail(new LeaseholdError('LEASE_NOT_FOUND', leaseId));
      if (lease.expires_at <= now)
        return this.#fail(new LeaseholdError('LEASE_EXPIRED', `it ended at ${iso(lease.expires_at)}`));
      if (lease.kind === 'checkout')
        return this.#fail(new LeaseholdError('INVALID_INPUT', 'a checkout is not renewed; check out again'));
      const withdrawn = this.#withdrawnReason(lease, context);
      if (withdrawn) {
        // S2: the seat is not renewed; dropping the lease now lets the remaining holders fit the new count.
        this.o.leases.delete(lease);
        this.o.leases.audit({
          at: now,
          action: 'lease.withdrawn',
          ...leaseFacts(lease),
          code: 'LEASE_SEATS_WITHDRAWN',
          detail: withdrawn,
        });
        return this.#fail(new LeaseholdError('LEASE_SEATS_WITHDRAWN', withdrawn));
      }
      const license = context.licenses().find((l) => l.number === lease.license_number);
      const expiresAt = Math.min(
        now + this.o.leaseSeconds * 1000,
        license ? licenseEndMs(license) : now,
        context.syncWindowEndMs(),
      );
      this.o.leases.renew(lease.id, now, expiresAt);
      this.o.leases.audit({ at: now, action: 'lease.renewed', ...leaseFacts(lease) });
      return { ok: true, value: this.#present({ ...lease, renewed_at: now, expires_at: expiresAt }) };
    };
  }

  #release(leaseId: string, options: ReleaseOptions): EngineDecision<{ released: string }> {
    return (context) => {
      const nowMs = context.now.getTime();
      // A lease whose time is up was expired by the context; its seat is already back.
      const lease = this.o.leases.find(leaseId);
      if (!lease || lease.expires_at <= nowMs) {
        return this.#fail(
          new LeaseholdError(options.kind === 'checkout' ? 'CHECKOUT_NOT_FOUND' : 'LEASE_NOT_FOUND', leaseId),
        );
      }
      if (lease.kind !== options.kind) {
        // L6: a checkout lives on a disconnected computer; only its holder returns it.
        return this.#fail(
          new LeaseholdError(
            lease.kind === 'checkout' ? 'CHECKOUT_NOT_RELEASABLE' : 'INVALID_INPUT',
            `${leaseId} is a ${lease.kind} lease`,
          ),
        );
      }
      if (lease.kind === 'checkout' && options.by === 'client') {
        const license = context.licenses().find((l) => l.number === lease.license_number);
        // L3: the vendor may rule out early returns; the seat then comes back at the checkout's end.
        if (license?.earlyReturn === false)
          return this.#fail(
            new LeaseholdError(
              'CHECKOUT_RETURN_NOT_ALLOWED',
              `license ${license.number} does not allow returning a checkout early; it ends at ${iso(lease.expires_at)}`,
            ),
          );
      }
      this.o.leases.delete(lease);
      if (lease.kind === 'checkout') this.o.leases.recordReturn(lease, nowMs);
      const action =
        lease.kind === 'checkout'
          ? 'checkout.returned'
          : options.by === 'admin'
            ? 'lease.force-released'
            : 'lease.released';
      this.o.leases.audit({ at: nowMs, action, ...leaseFacts(lease) });
      return { ok: true, value: { released: leaseId } };
    };
  }

  /** Whether a checkout is held, was returned, or is not known here (L3: online check of a token). */
  checkoutState(id: string): 'active' | 'returned' | 'unknown' {
    return this.o.leases.checkoutState(id, this.#effectiveNow());
  }

  /** Expires leases whose renewals stopped; the reaper calls this on its interval. */
  expire(): number {
    const nowMs = this.#effectiveNow();
    const expired = this.o.leases.db
      .transaction(() => {
        this.o.leases.pruneReturns(nowMs);
        return this.o.leases.expireDue(nowMs).length;
      })
      .immediate();
    this.o.history?.sample(nowMs);
    return expired;
  }

  /** M4: the usage_history rows of [fromMs, toMs). */
  history(fromMs: number, toMs: number) {
    return this.o.history?.read(fromMs, toMs) ?? [];
  }

  list(): Lease[] {
    const nowMs = this.#effectiveNow();
    return this.o.leases
      .list()
      .filter((l) => l.expires_at > nowMs)
      .map((l) => this.#present(l));
  }

  /** The audit log (L7), oldest first, in the shape `server audit` prints as JSON lines. */
  audit(options: { action?: string; sinceMs?: number } = {}) {
    return this.o.leases.auditEntries(options).map((row) => ({
      at: iso(row.at),
      action: row.action,
      ...(row.lease_id ? { leaseId: row.lease_id } : {}),
      ...(row.license_number ? { licenseNumber: row.license_number } : {}),
      ...(row.user_name ? { user: row.user_name } : {}),
      ...(row.computer ? { computer: row.computer } : {}),
      ...(row.code ? { code: row.code } : {}),
      ...(row.detail ? { detail: row.detail } : {}),
    }));
  }

  #grant(
    request: ActivationRequest & { shareable?: boolean },
    context: DecisionContext,
    kind: 'floating' | 'checkout',
    expiresAtMs: number,
    licenses: License[],
  ): Outcome<Lease> {
    const { now } = context;
    const today = now.toISOString().slice(0, 10);
    const components = withBase(request.components);
    const shared = kind === 'floating' && this.o.shareSeatPerUserComputer && request.shareable !== false;
    let seatId: string | undefined;
    let license: License | undefined;
    if (shared) {
      for (const candidate of request.licenseNumber
        ? licenses.filter((l) => l.number === request.licenseNumber)
        : licenses) {
        if (!isActive(candidate, today) || !domainMatches(candidate.domain, request.domain)) continue;
        seatId = this.o.leases.sharedSeat(shareKey(candidate.number, request), components);
        if (seatId) {
          license = candidate;
          break;
        }
      }
    }
    if (!seatId || !license) {
      const choice = chooseLicense(licenses, { ...request, components }, this.o.leases.usage, today);
      if (choice.kind === 'denied')
        return this.#deny(request, context, new LeaseholdError(choice.code, choice.detail));
      license = choice.license;
      seatId = randomToken(16);
      this.o.leases.insertSeat({
        id: seatId,
        licenseNumber: license.number,
        user: request.user,
        computer: request.computer,
        shareKey: shared ? shareKey(license.number, request) : null,
        components,
        at: now.getTime(),
      });
      this.o.history?.notePeaks(now.getTime(), license.number, components);
    }
    // No lease outlives its license, nor the sync window: a server that must sync by then cannot
    // promise a seat past it, and the SDK takes no token that runs past its certificate.
    const licenseEnd = licenseEndMs(license);
    const row: LeaseRow = {
      id: randomToken(16),
      seat_id: seatId,
      kind,
      license_number: license.number,
      components: JSON.stringify(components),
      user_name: request.user,
      computer: request.computer,
      domain: request.domain ?? null,
      instance: request.instance ?? null,
      granted_at: now.getTime(),
      renewed_at: now.getTime(),
      expires_at: Math.min(expiresAtMs, licenseEnd, context.syncWindowEndMs()),
    };
    this.o.leases.insertLease(row);
    this.o.leases.audit({
      at: now.getTime(),
      action: kind === 'checkout' ? 'checkout.granted' : 'lease.granted',
      ...leaseFacts(row),
    });
    return { ok: true, value: this.#present(row) };
  }

  #withdrawnReason(lease: LeaseRow, context: DecisionContext): string | undefined {
    const { now } = context;
    const license = context.licenses().find((l) => l.number === lease.license_number);
    if (!license) return `license ${lease.license_number} was removed at the last sync`;
    const components = JSON.parse(lease.components) as string[];
    const missing = components.filter((c) => !license.components.some((lc) => lc.name === c));
    if (missing.length > 0) return `${missing.join(', ')} left license ${license.number} at the last sync`;
    if (!isActive(license, now.toISOString().slice(0, 10)))
      return `license ${license.number} is not active (${license.startDate} to ${license.expiryDate})`;
    const over = components.filter((c) => !context.holdersFit(license, c));
    if (over.length > 0)
      return `license ${license.number} has fewer seats of ${over.join(', ')} since the last sync`;
    return undefined;
  }

  #deny(request: ActivationRequest, context: DecisionContext, error: LeaseholdError): Outcome<never> {
    const { now } = context;
    this.o.leases.audit({
      at: now.getTime(),
      action: 'lease.denied',
      license_number: request.licenseNumber ?? null,
      user_name: request.user,
      computer: request.computer,
      code: error.code,
      detail: error.message,
    });
    if (this.o.history) {
      const needed = withBase(request.components);
      const couldServe = context
        .licenses()
        .filter(
          (l) =>
            (!request.licenseNumber || l.number === request.licenseNumber) &&
            needed.every((c) => l.components.some((lc) => lc.name === c)),
        );
      this.o.history.noteDenial(
        now.getTime(),
        couldServe.map((l) => l.number),
        request.components,
      );
    }
    return { ok: false, error };
  }

  #fail(error: LeaseholdError): Outcome<never> {
    return { ok: false, error };
  }

  #decide<T>(decision: EngineDecision<T>): T {
    const outcome = this.o.leases.db.transaction(() => decision(this.#context())).immediate();
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  #context(): DecisionContext {
    const judgement = this.o.guard.judge();
    const now = judgement.ok ? judgement.now : judgement.highWater;
    const refusal = judgement.ok ? syncRefusal(this.o.store, now) : rollbackError(judgement);
    const expired = new Map(this.o.leases.expireDue(now.getTime()).map((lease) => [lease.id, lease]));
    let licenses: License[] | undefined;
    const fitting = new Set<string>();
    return {
      holdersFit: (license, component) => {
        const key = `${license.number}\n${component}`;
        if (fitting.has(key)) return true;
        if (freeSeatsAfterRelease(license, component, this.o.leases.usage) < 0) return false;
        fitting.add(key);
        return true;
      },
      now,
      refusal,
      expired,
      licenses: () => {
        licenses ??= this.o.store.currentAllocation()?.allocation.licenses ?? [];
        return licenses;
      },
      syncWindowEndMs: () => {
        return this.o.store.syncWindow()?.notAfter.getTime() ?? now.getTime();
      },
    };
  }

  #judgedNow(): Date {
    const judgement = this.o.guard.judge();
    return judgement.ok ? judgement.now : judgement.highWater;
  }

  #effectiveNow(): number {
    return this.#judgedNow().getTime();
  }

  #present(row: LeaseRow): Lease {
    return {
      id: row.id,
      kind: row.kind,
      licenseNumber: row.license_number,
      components: JSON.parse(row.components) as string[],
      user: row.user_name,
      computer: row.computer,
      grantedAt: iso(row.granted_at),
      renewedAt: iso(row.renewed_at),
      expiresAt: iso(row.expires_at),
      leaseSeconds:
        row.kind === 'floating' ? this.o.leaseSeconds : Math.round((row.expires_at - row.granted_at) / 1000),
      renewAfterSeconds: row.kind === 'floating' ? Math.max(1, Math.floor(this.o.leaseSeconds / 3)) : 0,
    };
  }
}

function shareKey(licenseNumber: string, request: ActivationRequest): string {
  return `${licenseNumber}\n${request.user.toLowerCase()}\n${request.computer.toLowerCase()}`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
