/**
 * Failed logins per source address in a sliding minute. Only failures count, so an administrator
 * who types the password right is never slowed; a guesser gets `limit` tries a minute. Kept in
 * memory: a restart forgives, which costs a guesser a restart of someone else's server.
 */
export const LOGIN_FAILURES_PER_MINUTE = 5;
/** Per account, from any address: loose enough that a stranger cannot lock the administrator out for long. */
export const ACCOUNT_FAILURES_PER_MINUTE = 20;
const WINDOW_MS = 60_000;
// Bounds memory under a flood from many addresses: the oldest entries go first.
const MAX_ADDRESSES = 10_000;

export class LoginLimiter {
  readonly #failures = new Map<string, number[]>();

  private readonly limit: number;

  constructor(limit: number = LOGIN_FAILURES_PER_MINUTE) {
    this.limit = limit;
  }

  /** Seconds to wait when this address used up its tries, else undefined. */
  retryAfterSeconds(address: string, nowMs: number): number | undefined {
    const recent = this.#recent(address, nowMs);
    if (recent.length < this.limit) return undefined;
    return Math.max(1, Math.ceil(((recent[0] as number) + WINDOW_MS - nowMs) / 1000));
  }

  fail(address: string, nowMs: number): void {
    const recent = this.#recent(address, nowMs);
    this.#failures.delete(address);
    this.#failures.set(address, [...recent, nowMs]);
    if (this.#failures.size > MAX_ADDRESSES) {
      const oldest = this.#failures.keys().next().value;
      if (oldest !== undefined) this.#failures.delete(oldest);
    }
  }

  succeed(address: string): void {
    this.#failures.delete(address);
  }

  #recent(address: string, nowMs: number): number[] {
    return (this.#failures.get(address) ?? []).filter((at) => at > nowMs - WINDOW_MS && at <= nowMs);
  }
}
