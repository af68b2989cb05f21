import { join } from 'node:path';
import { licenseServerIdSchema, readConfigFile, writeSecretFile } from '@leasehold/protocol';
import { z } from 'zod';

/** `server.json` in the data folder: every setting of the local license server (docs/configuration.md). */
export const serverConfigSchema = z
  .strictObject({
    formatVersion: z.literal(1),
    licenseServerId: licenseServerIdSchema.describe('the license server id the vendor issued'),
    centralUrl: z
      .url({ protocol: /^https?$/ })
      .describe(
        'the central license server, e.g. https://licensing.vendor.example; its port is ignored for sync',
      ),
    centralPorts: z
      .array(z.int().min(1).max(65535))
      .min(1)
      .max(4)
      .default([443, 8080])
      .describe('ports tried in order for online sync (S5: 443, then 8080)'),
    activationCode: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe('one-time code the vendor issued with the id, for the first sync'),
    host: z.string().min(1).default('0.0.0.0').describe('address the client endpoint listens on'),
    clientPort: z.int().min(0).max(65535).default(443).describe('port applications connect to (L0)'),
    clockToleranceSeconds: z
      .int()
      .min(0)
      .max(86_400)
      .default(900)
      .describe('how far the system clock may go back before licenses are refused with CLOCK_ROLLBACK (S10)'),
    leaseSeconds: z
      .int()
      .min(10)
      .max(86_400)
      .default(300)
      .describe('length of a floating lease; clients renew at a third of it (L2)'),
    shareSeatPerUserComputer: z
      .boolean()
      .default(false)
      .describe('several instances of one user on one computer share one seat (L5)'),
    reaperIntervalSeconds: z
      .int()
      .min(1)
      .max(3600)
      .default(15)
      .describe('how often leases whose renewals stopped are expired'),
    tls: z
      .strictObject({ certFile: z.string().min(1), keyFile: z.string().min(1) })
      .optional()
      .describe(
        'PEM certificate and key for HTTPS on the client port (L0); required unless plainHttp is true',
      ),
    plainHttp: z
      .boolean()
      .default(false)
      .describe(
        'serve the client port (and the admin API) over plain HTTP; only on a network you trust, and only when set',
      ),
    plainHttpCentral: z
      .boolean()
      .default(false)
      .describe(
        'allow an http:// centralUrl; the sync envelope still signs and encrypts every message, but the link is visible',
      ),
    adminRemoteAddresses: z
      .array(z.string().min(1).max(64))
      .max(64)
      .default([])
      .describe(
        'addresses or CIDR ranges (10.0.0.0/8, 2001:db8::/32) that may reach the admin API and the Manager besides loopback; empty: this computer only',
      ),
    centralCaFile: z
      .string()
      .min(1)
      .optional()
      .describe('extra PEM certificate(s) to trust for the central server, e.g. a TLS-inspecting proxy CA'),
    syncTimeoutSeconds: z
      .int()
      .min(1)
      .max(600)
      .default(20)
      .describe('time allowed for each online sync attempt'),
    autoSyncCheckSeconds: z
      .int()
      .min(1)
      .max(3600)
      .default(60)
      .describe('how often `serve` checks whether an automatic sync is due (S6)'),
  })
  // Plain HTTP is a choice, never a fallback: a missing certificate must not silently downgrade.
  .superRefine((config, context) => {
    if (!config.tls && !config.plainHttp)
      context.addIssue({
        code: 'custom',
        path: ['tls'],
        message:
          'the client port needs a certificate (tls.certFile and tls.keyFile, `--tls-cert/--tls-key`) or an explicit plainHttp: true (`--plain-http`)',
      });
    if (config.tls && config.plainHttp)
      context.addIssue({ code: 'custom', path: ['plainHttp'], message: 'choose tls or plainHttp, not both' });
    if (config.centralUrl.startsWith('http:') && !config.plainHttpCentral)
      context.addIssue({
        code: 'custom',
        path: ['centralUrl'],
        message:
          'an http:// central server needs an explicit plainHttpCentral: true (`--plain-http-central`); use https:// where the vendor offers it',
      });
  });
export type ServerConfig = z.infer<typeof serverConfigSchema>;

export const serverPaths = (dataDir: string) => ({
  config: join(dataDir, 'server.json'),
  privateKeys: join(dataDir, 'keys', 'server-private-keys.json'),
  vendorPublicKeys: join(dataDir, 'vendor-public-keys.json'),
  database: join(dataDir, 'server.db'),
});

export function loadServerConfig(dataDir: string): ServerConfig {
  const path = serverPaths(dataDir).config;
  return readConfigFile(path, serverConfigSchema, `no ${path}; run \`leasehold server init\``);
}

export function saveServerConfig(dataDir: string, config: ServerConfig): void {
  // 0600: the activation code is a secret until the first sync.
  writeSecretFile(serverPaths(dataDir).config, `${JSON.stringify(config, null, 2)}\n`);
}
