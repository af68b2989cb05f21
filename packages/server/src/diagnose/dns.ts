import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { classifyNetworkError, failed, passed, type StepResult, skipped, withTimeout } from './steps.ts';

/** Resolves a host name to its addresses; injected so tests can stand in for a broken resolver. */
export type Lookup = (host: string) => Promise<string[]>;

// getaddrinfo, as a connection would resolve the name (hosts file, search domains), not a DNS query.
export const systemLookup: Lookup = async (host) => (await lookup(host, { all: true })).map((a) => a.address);

export interface DnsOptions {
  lookup?: Lookup;
  timeoutMs: number;
  /** Set when connections go through a proxy: the proxy resolves the central host, not this machine. */
  proxy?: string;
}

/** Step 1: does the central host name resolve here? */
export async function checkDns(host: string, options: DnsOptions): Promise<StepResult> {
  if (isIP(host)) return skipped('dns', `${host} is an IP address: nothing to resolve`);
  if (options.proxy) {
    return skipped('dns', `connections go through the proxy ${options.proxy}, which resolves ${host}`);
  }
  try {
    const addresses = await withTimeout((options.lookup ?? systemLookup)(host), options.timeoutMs);
    if (addresses.length === 0) return failed('dns', `${host} resolves to no address`, 'DNS_FAILED');
    return passed('dns', `${host} resolves to ${addresses.join(', ')}`);
  } catch (error) {
    const { code } = classifyNetworkError(error);
    const why = code === 'ETIMEDOUT' ? 'the resolver did not answer in time' : code;
    return failed('dns', `${host} cannot be resolved (${why})`, 'DNS_FAILED');
  }
}
