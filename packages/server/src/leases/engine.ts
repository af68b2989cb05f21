import {
  type ActivationRequest,
  type CheckoutRequest,
  HOUR_MS,
  type Lease,
  LeaseholdError,
  type License,
  randomToken,
} from '@leasehold/protocol';
import type { ClockGuard } from '../clock/guard.ts';
import type { ServerStore } from '../store/serverStore.ts';
import { chooseLicense, freeSeatsAfterRelease, isActive, withBase } from './choose.ts';
import { domainMatches } from './domain.ts';
import { assertMayIssue } from './gate.ts';
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

type Outcome<T> = { ok: true; value: T } | { ok: false; error: LeaseholdError };

/**
 * The lease engine (L1–L6): every decision runs in one IMMEDIATE SQLite transaction that first
 * expires what is due, then counts and writes, so seats are never over-issued whatever the
 * interleaving, and an acknowledged lease is on disk (synchronous = FULL) before the answer leaves.
 * Denials are recorded with their reason in the same transaction, then thrown.
 */
export class LeaseEngine {
  constructor(private readonly o: LeaseEngineOptions) {}

  get leaseSeconds(): number {
    return this.o.leaseSeconds;
  }

  activate(request: ActivationRequest): Lease {
    const now = this.#gate(request);
    return this.#transaction(() => {
      this.o.leases.expireDue(now.getTime());
      return this.#grant(request, now, 'floating', now.getTime() + this.o.leaseSeconds * 1000);
    });
  }

  /** L3: the seat is bound to this user on this computer for the hours asked, up to the license's maximum. */
  checkout(request: CheckoutRequest): Lease {
    const now = this.#gate(request);
    return this.#transaction(() => {
      this.o.leases.expireDue(now.getTime());
      const licenses = this.#licenses();
      const candidates = request.licenseNumber
        ? licenses.filter((l) => l.number === request.licenseNumber)
        : licenses;
      const allowing = candidates.filter((l) => l.maxCheckoutHours >= request.hours);
      if (candidates.length > 0 && allowing.length === 0) {
        const max = Math.max(...candidates.map((l) => l.maxCheckoutHours));
        return this.#deny(
          request,
          now,
          max === 0
            ? new LeaseholdError('CHECKOUT_NOT_ALLOWED', 'the license allows no checkout (maximum 0 hours)')
            : new LeaseholdError(
                'CHECKOUT_TOO_LONG',
                `asked for ${request.hours} hours, the maximum is ${max} hours`,
              ),
        );
      }
      const until = now.getTime() + request.hours * HOUR_MS;
      return this.#grant({ ...request, shareable: false }, now, 'checkout', until, allowing);
    });
  }

  renew(leaseId: string): Lease {
    const now = assertMayIssue(this.o.guard, this.o.store);
    return this.#transaction(() => {
      const lease = this.o.leases.find(leaseId);
      this.o.leases.expireDue(now.getTime());
      if (!lease) return this.#fail(new LeaseholdError('LEASE_NOT_FOUND', leaseId));
      if (lease.expires_at <= now.getTime())
        return this.#fail(new LeaseholdError('LEASE_EXPIRED', `it ended at ${iso(lease.expires_at)}`));
      if (lease.kind === 'checkout')
        return this.#fail(new LeaseholdError('INVALID_INPUT', 'a checkout is not renewed; check out again'));
      const withdrawn = this.#withdrawnReason(lease, now);
      if (withdrawn) {
        // S2: the seat is not renewed; dropping the lease now lets the remaining holders fit the new count.
        this.o.leases.delete(lease);
        this.o.leases.audit({
          at: now.getTime(),
          action: 'lease.withdrawn',
          ...leaseFacts(lease),
          code: 'LEASE_SEATS_WITHDRAWN',
          detail: withdrawn,
        });
        return this.#fail(new LeaseholdError('LEASE_SEATS_WITHDRAWN', withdrawn));
      }
      const expiresAt = now.getTime() + this.o.leaseSeconds * 1000;
      this.o.leases.renew(lease.id, now.getTime(), expiresAt);
      this.o.leases.audit({ at: now.getTime(), action: 'lease.renewed', ...leaseFacts(lease) });
      return {
        ok: true,
        value: this.#present({ ...lease, renewed_at: now.getTime(), expires_at: expiresAt }),
      };
    });
  }

  /** Releasing never needs a synchronized server: seats always go back. */
  release(
    leaseId: string,
    options: { kind: 'floating' | 'checkout'; by: 'client' | 'admin' },
  ): { released: string } {
    const nowMs = this.#effectiveNow();
    return this.#transaction(() => {
      const lease = this.o.leases.find(leaseId);
      if (!lease || lease.expires_at <= nowMs) {
        this.o.leases.expireDue(nowMs);
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
      this.o.leases.delete(lease);
      const action =
        lease.kind === 'checkout'
          ? 'checkout.returned'
          : options.by === 'admin'
            ? 'lease.force-released'
            : 'lease.released';
      this.o.leases.audit({ at: nowMs, action, ...leaseFacts(lease) });
      return { ok: true, value: { released: leaseId } };
    });
  }

  /** Expires leases whose renewals stopped; the reaper calls this on its interval. */
  expire(): number {
    const nowMs = this.#effectiveNow();
    const expired = this.#transaction(() => ({ ok: true, value: this.o.leases.expireDue(nowMs).length }));
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
    now: Date,
    kind: 'floating' | 'checkout',
    expiresAtMs: number,
    licenses: License[] = this.#licenses(),
  ): Outcome<Lease> {
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
        return this.#deny(request, now, new LeaseholdError(choice.code, choice.detail));
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
    // A checkout never outlives its license.
    const licenseEnd = Date.parse(`${license.expiryDate}T23:59:59.999Z`);
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
      expires_at: kind === 'checkout' ? Math.min(expiresAtMs, licenseEnd) : expiresAtMs,
    };
    this.o.leases.insertLease(row);
    this.o.leases.audit({
      at: now.getTime(),
      action: kind === 'checkout' ? 'checkout.granted' : 'lease.granted',
      ...leaseFacts(row),
    });
    return { ok: true, value: this.#present(row) };
  }

  #withdrawnReason(lease: LeaseRow, now: Date): string | undefined {
    const license = this.#licenses().find((l) => l.number === lease.license_number);
    if (!license) return `license ${lease.license_number} was removed at the last sync`;
    const components = JSON.parse(lease.components) as string[];
    const missing = components.filter((c) => !license.components.some((lc) => lc.name === c));
    if (missing.length > 0) return `${missing.join(', ')} left license ${license.number} at the last sync`;
    if (!isActive(license, now.toISOString().slice(0, 10)))
      return `license ${license.number} is not active (${license.startDate} to ${license.expiryDate})`;
    const over = components.filter((c) => freeSeatsAfterRelease(license, c, this.o.leases.usage) < 0);
    if (over.length > 0)
      return `license ${license.number} has fewer seats of ${over.join(', ')} since the last sync`;
    return undefined;
  }

  #gate(request: ActivationRequest): Date {
    try {
      return assertMayIssue(this.o.guard, this.o.store);
    } catch (error) {
      if (error instanceof LeaseholdError)
        this.#transaction(() => this.#deny(request, this.#judgedNow(), error));
      throw error;
    }
  }

  #deny(request: ActivationRequest, now: Date, error: LeaseholdError): Outcome<never> {
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
      const couldServe = this.#licenses().filter(
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

  #transaction<T>(fn: () => Outcome<T>): T {
    const outcome = this.o.leases.db.transaction(fn).immediate();
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  #licenses(): License[] {
    return this.o.store.currentAllocation()?.allocation.licenses ?? [];
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
