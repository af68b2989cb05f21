import { LeaseholdError } from '@leasehold/protocol';

/**
 * The one failure the SDK reports without a Leasehold server's word: no answer at all (connection
 * refused, DNS, timeout) or a gateway's error page instead of the server's. It is a LeaseholdError
 * with the code SERVER_UNREACHABLE; the subclass lets renewal tell it apart and keep retrying while
 * the lease has time left.
 */
export class LeaseholdClientError extends LeaseholdError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SERVER_UNREACHABLE', message);
    this.name = 'LeaseholdClientError';
    if (options?.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }
}

/** Every failure the SDK reports: the server's refusal, or no answer from it. */
export type ClientFailure = LeaseholdError;
