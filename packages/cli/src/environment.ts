import { resolve } from 'node:path';
import { type Clock, LeaseholdError, offsetClock, systemClock } from '@leasehold/protocol';

/**
 * The one place the `leasehold` program reads its environment (docs/configuration.md).
 * LEASEHOLD_CLOCK_OFFSET_MS shifts the program's clock: tests use it to move a spawned server a year on.
 * It moves nothing a changed system clock could not, and the rollback guard judges both alike.
 */
export interface Environment {
  clock: Clock;
  centralDir: string;
  serverDir: string;
  logLevel: string;
  vendorPrivateKeys: string | undefined;
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
  };
}
