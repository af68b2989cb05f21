import { hostname, userInfo } from 'node:os';
import {
  type ActivationRequest,
  type Checkout,
  type CheckoutToken,
  type Clock,
  checkoutSchema,
  checkoutTokenAnnouncements,
  checkoutTokenSchema,
  type Lease,
  LeaseholdError,
  leaseSchema,
  parseVendorPublicKeys,
  randomToken,
  systemClock,
  trustWithAnnouncements,
  verifyCheckoutToken,
} from '@leasehold/protocol';
import { LeaseholdClientError } from './errors.ts';
import { forgetOnExit, releaseOnExit } from './exit.ts';
import { callServer, expectAnswer, type HttpOptions, normalizeServerUrl } from './http.ts';
import { ActiveLease } from './lease.ts';
import { LeaseTrust } from './leaseTrust.ts';
import { thisMachine } from './machine.ts';

export interface LeaseholdClientOptions {
  /** The local license server's URL, as the administrator gives it (L0). */
  url: string;
  /**
   * The vendor's `vendor-public-keys.json`, as text, shipped with the application: every lease the
   * server grants must carry a token these keys vouch for (docs/leases.md, Lease tokens).
   */
  vendorPublicKeys: string;
  /** Defaults to the operating system's user name. */
  user?: string;
  /** Defaults to the host name. */
  computer?: string;
  /** Sent with every request; licenses with a domain serve only clients of that domain (L4). */
  domain?: string;
  /**
   * Names the application in machine fingerprints (checkouts are bound to a machine, L3): the raw
   * machine id is never sent, only an HMAC of it keyed by this name. Default "default".
   */
  product?: string;
  /** This machine's id, where the system has none to read (a container); default: the system's. */
  machineId?: string;
  /** Time allowed for each request; default 10 s. */
  timeoutMs?: number;
  clock?: Clock;
  /** Release open leases on SIGINT, SIGTERM and beforeExit; default true. */
  releaseOnExit?: boolean;
  /** For tests; the global fetch otherwise. */
  fetch?: typeof fetch;
  /** For tests: the source of renewal jitter. */
  random?: () => number;
}

export interface ActivateOptions {
  components: string[];
  licenseNumber?: string;
  /** Tells instances on one computer apart (L5). */
  instance?: string;
}

export interface CheckoutOptions {
  components: string[];
  hours: number;
  licenseNumber?: string;
}

/** A checkout as granted: keep `token` (it proves the license offline) and `id` (to return it early). */
export type CheckoutHandle = Checkout;

export interface VerifyOptions {
  now?: Date;
  /** Checked when given; applications should pass the user and computer they checked out for. */
  user?: string;
  computer?: string;
  /** As given to LeaseholdClient: the token must be for this machine (always checked). */
  product?: string;
  machineId?: string;
}

/** A checkout token as verified; `confirmed` when the server was reached and holds it out still. */
export type ConfirmedCheckout = CheckoutToken & { confirmed: boolean };

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_PRODUCT = 'default';

function defaultUser(): string {
  try {
    return userInfo().username;
  } catch {
    throw new LeaseholdError(
      'INVALID_INPUT',
      'the user name cannot be read here; pass `user` to LeaseholdClient',
    );
  }
}

/**
 * The SDK an application embeds (L2, L3): floating leases that renew themselves, checkouts, and
 * offline verification of a checkout. Every failure is a `LeaseholdError` carrying the server's code,
 * or a `LeaseholdClientError` (SERVER_UNREACHABLE) when no Leasehold server answered.
 */
export class LeaseholdClient {
  readonly url: string;
  readonly user: string;
  readonly computer: string;
  readonly domain: string | undefined;
  readonly #http: HttpOptions;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #releaseOnExit: boolean;
  readonly #trust: LeaseTrust;
  readonly #vendorPublicKeys: string;
  readonly #product: string;
  readonly #machineId: string | undefined;

  constructor(options: LeaseholdClientOptions) {
    if (typeof options.vendorPublicKeys !== 'string' || options.vendorPublicKeys.trim() === '')
      throw new LeaseholdError(
        'INVALID_INPUT',
        "pass the vendor's vendor-public-keys.json, as text, as `vendorPublicKeys`: leases are checked against it",
      );
    this.#trust = new LeaseTrust(options.vendorPublicKeys);
    this.#vendorPublicKeys = options.vendorPublicKeys;
    this.#product = options.product ?? DEFAULT_PRODUCT;
    this.#machineId = options.machineId;
    this.url = normalizeServerUrl(options.url);
    this.user = options.user ?? defaultUser();
    this.computer = options.computer ?? hostname();
    this.domain = options.domain;
    this.#http = {
      baseUrl: this.url,
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      fetch: options.fetch ?? globalThis.fetch,
    };
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#releaseOnExit = options.releaseOnExit ?? true;
  }

  /** Takes a floating lease and keeps it renewed until `close()`, 'lost', or the process ends. */
  async activate(options: ActivateOptions): Promise<ActiveLease> {
    const sentAtMs = this.#clock.now().getTime();
    const lease = await this.requestLease(options);
    const active = new ActiveLease(
      lease,
      { renew: (id) => this.renewLease(id), release: (id) => this.releaseLease(id) },
      {
        clock: this.#clock,
        random: this.#random,
        sentAtMs,
        onEnd: (ended) => forgetOnExit(ended),
      },
    );
    if (this.#releaseOnExit) releaseOnExit(active);
    return active;
  }

  /** One activation with no background renewal: for scripts and applications that renew themselves. */
  async requestLease(options: ActivateOptions): Promise<Lease> {
    const nonce = randomToken(16);
    const answer = await callServer(this.#http, 'POST', '/v1/leases', { ...this.#request(options), nonce });
    return this.#trust.check(answer, nonce);
  }

  async renewLease(leaseId: string): Promise<Lease> {
    const nonce = randomToken(16);
    const answer = await callServer(this.#http, 'POST', `/v1/leases/${encodeURIComponent(leaseId)}/renew`, {
      nonce,
    });
    return this.#trust.check(answer, nonce, leaseId);
  }

  async releaseLease(leaseId: string): Promise<{ released: string }> {
    const answer = await callServer(this.#http, 'DELETE', `/v1/leases/${encodeURIComponent(leaseId)}`);
    return { released: String((answer as { released?: unknown })?.released ?? leaseId) };
  }

  /** Borrows a license for `hours` (L3); the token then proves it with no contact to the server. */
  async checkout(options: CheckoutOptions): Promise<CheckoutHandle> {
    const answer = await callServer(this.#http, 'POST', '/v1/checkouts', {
      ...this.#request(options),
      hours: options.hours,
      machine: thisMachine(this.#product, this.#machineId),
    });
    return expectAnswer(checkoutSchema, (answer as { checkout?: unknown })?.checkout, 'checkout');
  }

  /** Returns a checkout early, by its id or its token; needs the server that issued it. */
  async returnCheckout(idOrToken: string): Promise<{ returned: string }> {
    const id = checkoutIdOf(idOrToken);
    const answer = await callServer(this.#http, 'DELETE', `/v1/checkouts/${encodeURIComponent(id)}`);
    return { returned: String((answer as { returned?: unknown })?.returned ?? id) };
  }

  /**
   * Verifies a checkout token offline, then asks the server whether it still holds it out: a token
   * returned early still verifies offline until its end, so an application that can reach the server
   * refuses it (CHECKOUT_RETURNED). With no server reachable, the offline answer, `confirmed: false`.
   */
  async confirmCheckout(
    token: string,
    options: Omit<VerifyOptions, 'product' | 'machineId'> = {},
  ): Promise<ConfirmedCheckout> {
    const verified = await verifyCheckout(token, this.#vendorPublicKeys, {
      ...options,
      product: this.#product,
      ...(this.#machineId === undefined ? {} : { machineId: this.#machineId }),
    });
    let state: unknown;
    try {
      const answer = await callServer(
        this.#http,
        'GET',
        `/v1/checkouts/${encodeURIComponent(verified.checkoutId)}`,
      );
      state = (answer as { state?: unknown })?.state;
    } catch (error) {
      if (error instanceof LeaseholdClientError) return { ...verified, confirmed: false };
      throw error;
    }
    if (state === 'returned')
      throw new LeaseholdError('CHECKOUT_RETURNED', `checkout ${verified.checkoutId}`);
    return { ...verified, confirmed: state === 'active' };
  }

  /** Verifies a checkout token offline; see the standalone `verifyCheckout`. */
  static verifyCheckout(
    token: string,
    vendorPublicKeysText: string,
    options: VerifyOptions = {},
  ): Promise<CheckoutToken> {
    return verifyCheckout(token, vendorPublicKeysText, options);
  }

  #request(options: ActivateOptions): ActivationRequest {
    return {
      components: options.components,
      user: this.user,
      computer: this.computer,
      ...(options.licenseNumber === undefined ? {} : { licenseNumber: options.licenseNumber }),
      ...(this.domain === undefined ? {} : { domain: this.domain }),
      ...(options.instance === undefined ? {} : { instance: options.instance }),
    };
  }
}

/**
 * Verifies a checkout token with no server at all (L3): the vendor's public key file (shipped with
 * the application) vouches for the local server's key, which signed the token. After a vendor key
 * rotation the chain is one link longer: a key of the file announced the key that signed the
 * server's certificate (docs/key-rotation.md). Throws
 * CHECKOUT_TOKEN_INVALID or CHECKOUT_EXPIRED; returns what the token grants.
 */
export async function verifyCheckout(
  token: string,
  vendorPublicKeysText: string,
  options: VerifyOptions = {},
): Promise<CheckoutToken> {
  const vendorKeys = await parseVendorPublicKeys(vendorPublicKeysText);
  // Size and headers first: nothing of a token refused on those is read, let alone trusted.
  const announcements = checkoutTokenAnnouncements(token);
  // S8: a certificate signed by a vendor key newer than the file carries the announcements of that
  // key by older ones; only announcements signed by a key of the file (or one it vouched for) count.
  const trusted = await trustWithAnnouncements(vendorKeys.signing, announcements);
  return verifyCheckoutToken(token, {
    vendorSigningKeys: trusted,
    now: options.now ?? systemClock.now(),
    machine: thisMachine(options.product ?? DEFAULT_PRODUCT, options.machineId),
    ...(options.user === undefined ? {} : { user: options.user }),
    ...(options.computer === undefined ? {} : { computer: options.computer }),
  });
}

/**
 * A token names its checkout id in its payload. Returning needs only the id: the server checks
 * the rest, so the payload is read here without verifying the signature.
 */
export function checkoutIdOf(idOrToken: string): string {
  const value = idOrToken.trim();
  if (!value.includes('.')) return value;
  const payload = value.split('.')[1] ?? '';
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw new LeaseholdError('CHECKOUT_TOKEN_INVALID', 'not a checkout token');
  }
  const parsed = checkoutTokenSchema.safeParse(json);
  if (!parsed.success) throw new LeaseholdError('CHECKOUT_TOKEN_INVALID', 'not a checkout token');
  return parsed.data.checkoutId;
}
