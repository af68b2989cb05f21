import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { Agent, type Dispatcher } from 'undici';
import type { ServerConfig } from '../config.ts';

/**
 * How this server reaches the central server: the one place that decides trust (system CAs plus
 * `centralCaFile`) and timeouts. Online sync and diagnosis share it.
 */
export function createCentralDispatcher(config: ServerConfig): Dispatcher {
  const extraCa = config.centralCaFile ? readFileSync(config.centralCaFile, 'utf8') : undefined;
  return new Agent({
    connect: {
      timeout: config.syncTimeoutSeconds * 1000,
      ...(extraCa ? { ca: [...rootCertificates, extraCa] } : {}),
    },
  });
}
