import { resolve } from 'node:path';
import { type Clock, LeaseholdError, offsetClock, systemClock } from '@leasehold/protocol';
import type { ProxyEnvironment } from '@leasehold/server';

/**
 * The one place the `leasehold` program reads its environment (docs/configuration.md).
 * LEASEHOLD_CLOCK_OFFSET_MS shifts the program's clock: tests use it to move a spawned server a year on.
 * It moves nothing a changed system clock could not, and the rollback guard judges both alike.
 * The standard proxy variables (S7) are read here too and handed to the local server, which uses
 * them when the administrator stored no proxy; they are not checked here, so that a bad value
 * fails only online sync, with CONFIG_INVALID, and not every command.
 */
export interface Environment {
  clock: Clock;
  centralDir: string;
  serverDir: string;
  logLevel: string;
  vendorPrivateKeys: string | undefined;
  proxy: ProxyEnvironment;
}

export function readEnvironment(env: NodeJS.ProcessEnv = process.env): Environment {
  const offset = env.LEASEHOLD_CLOCK_OFFSET_MS;
  if (offset !== undefined && !/^-?\d+$/.test(offset)) {
    throw new LeaseholdError(
      'CONFIG_INVALID',
      'LEASEHOLD_CLOCK_OFFSET_MS must be a whole number of milliseconds',
    );
  }
  return {
    clock: offset ? offsetClock(Number(offset), systemClock) : systemClock,
    centralDir: resolve(env.LEASEHOLD_CENTRAL_DIR ?? 'leasehold-central'),
    serverDir: resolve(env.LEASEHOLD_SERVER_DIR ?? 'leasehold-server'),
    logLevel: env.LEASEHOLD_LOG_LEVEL ?? 'info',
    vendorPrivateKeys: env.LEASEHOLD_VENDOR_PRIVATE_KEYS || undefined,
    // Lower case first, as curl reads them; an empty value counts as unset.
    proxy: {
      httpsProxy: env.https_proxy || env.HTTPS_PROXY || undefined,
      httpProxy: env.http_proxy || env.HTTP_PROXY || undefined,
      noProxy: env.no_proxy || env.NO_PROXY || undefined,
    },
  };
}
