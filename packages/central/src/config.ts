import { isIP } from 'node:net';
import { join } from 'node:path';
import { readConfigFile, writeSecretFile } from '@leasehold/protocol';
import { z } from 'zod';
import type { StorageConfig } from './store/open.ts';

/** An IPv4 or IPv6 address, optionally with a prefix length (10.0.0.0/8, fd00::/8). */
const proxyAddress = z.string().refine(
  (value) => {
    const [address = '', prefix, extra] = value.split('/');
    const family = isIP(address);
    if (family === 0 || extra !== undefined) return false;
    if (prefix === undefined) return true;
    return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
  },
  { message: 'an IP address or CIDR, such as 10.0.0.5 or 10.0.0.0/8' },
);

/** `central.json` in the data folder: every setting of the central server (docs/configuration.md). */
export const centralConfigSchema = z
  .strictObject({
    formatVersion: z.literal(1),
    storage: z
      .discriminatedUnion('kind', [
        z.strictObject({ kind: z.literal('pglite') }),
        z.strictObject({ kind: z.literal('postgres'), url: z.string().regex(/^postgres(ql)?:\/\//) }),
      ])
      .describe('pglite keeps the database in <data-dir>/db; postgres uses the given connection URL'),
    host: z.string().min(1).default('0.0.0.0').describe('address the sync and admin endpoints listen on'),
    port: z.int().min(0).max(65535).default(443).describe('primary sync port (S5: 443 in production)'),
    fallbackPort: z
      .int()
      .min(0)
      .max(65535)
      .default(8080)
      .describe('fallback sync port (S5: 8080 in production)'),
    tls: z
      .strictObject({ certFile: z.string(), keyFile: z.string() })
      .optional()
      .describe('PEM certificate and key for HTTPS on both ports'),
    plainHttp: z
      .boolean()
      .default(false)
      .describe(
        'serve plain HTTP instead (behind a TLS-terminating proxy, or on loopback); must be chosen explicitly',
      ),
    adminTokenSha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .describe('SHA-256 of the bootstrap admin token written by init; named tokens are in the database'),
    syncRequestsPerMinutePerAddress: z
      .int()
      .min(0)
      .default(600)
      .describe(
        'sync requests (online and file) one source address may make per minute on each node; 0: no limit',
      ),
    syncRequestsPerMinutePerId: z
      .int()
      .min(0)
      .default(30)
      .describe(
        'sync requests (online and file) one license server id may make per minute on each node; 0: no limit',
      ),
    trustProxy: z
      .array(proxyAddress)
      .max(100)
      .default([])
      .describe(
        'addresses or CIDRs of TLS-terminating proxies whose X-Forwarded-For gives the client address; default none',
      ),
  })
  // HTTPS unless plain HTTP was asked for: the envelope protects the content either way, but a
  // vendor must not end up without TLS by forgetting a flag.
  .refine((c) => c.tls !== undefined || c.plainHttp, {
    message:
      'give a TLS certificate and key (--tls-cert, --tls-key), or choose plain HTTP explicitly (--plain-http)',
    path: ['tls'],
  });
export type CentralConfig = z.infer<typeof centralConfigSchema>;

export const centralPaths = (dataDir: string) => ({
  config: join(dataDir, 'central.json'),
  privateKeys: join(dataDir, 'keys', 'vendor-private-keys.json'),
  publicKeys: join(dataDir, 'vendor-public-keys.json'),
  adminToken: join(dataDir, 'admin-token'),
  pglite: join(dataDir, 'db'),
  serveLock: join(dataDir, 'serve.json'),
});

export function loadCentralConfig(dataDir: string): CentralConfig {
  const path = centralPaths(dataDir).config;
  return readConfigFile(path, centralConfigSchema, `no ${path}`);
}

export function saveCentralConfig(dataDir: string, config: CentralConfig): void {
  // 0600: a PostgreSQL URL may hold a password.
  writeSecretFile(centralPaths(dataDir).config, `${JSON.stringify(config, null, 2)}\n`);
}

export function storageOf(dataDir: string, config: CentralConfig): StorageConfig {
  return config.storage.kind === 'pglite'
    ? { kind: 'pglite', dataDir: centralPaths(dataDir).pglite }
    : { kind: 'postgres', url: config.storage.url };
}
