import { EventEmitter } from 'node:events';
import { type Clock, type Lease, LeaseholdError } from '@leasehold/protocol';
import type { ClientFailure } from './errors.ts';
import { expiredWithoutRenewal, isDefinitiveRefusal, renewalDelayMs, retryDelayMs } from './schedule.ts';

export interface LeaseEvents {
  /** A renewal succeeded; the argument is the lease with its new `expiresAt`. */
  renewed: [lease: Lease];
  /** The lease is gone (refused, or ran out without a renewal); emitted once, then nothing more. */
  lost: [error: ClientFailure];
  /** `close()` returned the seat to the server. */
  released: [];
}

/** The two calls a lease makes on its own; the client provides them. */
export interface LeaseChannel {
  renew(leaseId: string): Promise<Lease>;
  release(leaseId: string): Promise<unknown>;
}

export interface ActiveLeaseOptions {
  clock: Clock;
  random: () => number;
  /** The client's clock when the activation was sent: the lease is measured from there. */
  sentAtMs: number;
  /** Called once when the lease stops for good (closed or lost). */
  onEnd?: (lease: ActiveLease) => void;
}

export type ActiveLeaseState = 'active' | 'closed' | 'lost';

/**
 * A floating lease the application holds (L2): it renews itself in the background and reports
 * 'lost' when the server refuses a renewal or the lease runs out first. `close()` releases the seat.
 *
 * The end of the lease is measured on the client's own clock from when each request was sent, not
 * read from the server's `expiresAt`: the two machines' clocks may differ, and a client clock that
 * runs ahead must not give up a lease early, nor one that runs behind hold on to a dead one.
 */
export class ActiveLease extends EventEmitter<LeaseEvents> {
  #lease: Lease;
  #state: ActiveLeaseState = 'active';
  #deadlineMs: number;
  #failures = 0;
  #lastFailure: unknown;
  #timer: NodeJS.Timeout | undefined;
  #closing: Promise<void> | undefined;

  private readonly channel: LeaseChannel;
  private readonly options: ActiveLeaseOptions;

  constructor(lease: Lease, channel: LeaseChannel, options: ActiveLeaseOptions) {
    super();
    this.channel = channel;
    this.options = options;
    this.#lease = lease;
    this.#deadlineMs = options.sentAtMs + lease.leaseSeconds * 1000;
    this.#schedule(renewalDelayMs(lease, options.random));
  }

  /** The lease as the server last granted or renewed it. */
  get lease(): Lease {
    return this.#lease;
  }

  get id(): string {
    return this.#lease.id;
  }

  get state(): ActiveLeaseState {
    return this.#state;
  }

  /**
   * Stops renewing and releases the seat. Idempotent: later calls return the first call's promise.
   * A lease already lost resolves at once. If the release request fails (no answer), the promise
   * rejects and the server frees the seat when the lease runs out.
   */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    if (this.#state === 'lost') {
      this.#closing = Promise.resolve();
      return this.#closing;
    }
    this.#end('closed');
    this.#closing = this.channel.release(this.#lease.id).then(
      () => {
        this.emit('released');
      },
      (error: unknown) => {
        // Gone already (expired, or force-released by the administrator): nothing left to give back.
        if (error instanceof LeaseholdError && ['LEASE_NOT_FOUND', 'LEASE_EXPIRED'].includes(error.code)) {
          this.emit('released');
          return;
        }
        throw error;
      },
    );
    return this.#closing;
  }

  #schedule(delayMs: number): void {
    this.#timer = setTimeout(() => void this.#renew(), delayMs);
    // A lease must never keep the application alive on its own.
    this.#timer.unref();
  }

  async #renew(): Promise<void> {
    if (this.#state !== 'active') return;
    const sentAtMs = this.options.clock.now().getTime();
    try {
      const lease = await this.channel.renew(this.#lease.id);
      if (this.#state !== 'active') return;
      this.#lease = lease;
      this.#deadlineMs = sentAtMs + lease.leaseSeconds * 1000;
      this.#failures = 0;
      this.#schedule(renewalDelayMs(lease, this.options.random));
      this.emit('renewed', lease);
    } catch (error) {
      if (this.#state !== 'active') return;
      if (isDefinitiveRefusal(error)) return this.#lose(error as ClientFailure);
      this.#failures += 1;
      this.#lastFailure = error;
      const remainingMs = this.#deadlineMs - this.options.clock.now().getTime();
      if (remainingMs <= 0) {
        return this.#lose(expiredWithoutRenewal(new Date(this.#deadlineMs).toISOString(), this.#lastFailure));
      }
      this.#schedule(retryDelayMs(this.#failures, remainingMs, this.options.random));
    }
  }

  #lose(error: ClientFailure): void {
    this.#end('lost');
    this.emit('lost', error);
  }

  #end(state: Exclude<ActiveLeaseState, 'active'>): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#state = state;
    this.options.onEnd?.(this);
  }
}
