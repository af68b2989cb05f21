import type { VendorApi } from '@leasehold/central';
import { Command, type Option } from 'commander';
import { print, table } from '../output.ts';
import { action } from './shared.ts';

type Json = { json?: boolean; dataDir: string };

/** What `central token` shares with the other vendor commands (built in central.ts). */
export interface VendorCommandKit {
  dataDir: () => Option;
  json: () => Option;
  withVendor: <T>(dataDir: string, fn: (api: VendorApi) => Promise<T>) => Promise<T>;
}

/**
 * `leasehold central token create|list|revoke`: named admin API tokens (C1). A token is printed once
 * at creation; the server keeps only its SHA-256. The token `central init` wrote keeps working
 * beside them (it is the one these commands use while `central serve` holds the embedded database).
 */
export function tokenCommand(kit: VendorCommandKit): Command {
  const token = new Command('token').description('admin API tokens (stored hashed; shown once)');
  token
    .command('create')
    .description('create a named admin API token and print it once')
    .addOption(kit.dataDir())
    .requiredOption('--name <name>', 'a name for the token (who or what uses it); never reused')
    .option('--role <role>', 'admin (everything) or reader (reads only)', 'admin')
    .addOption(kit.json())
    .action(
      action(async (o: Json & { name: string; role: string }) => {
        const created = await kit.withVendor(o.dataDir, (api) =>
          api.createAdminToken({ name: o.name, role: o.role }),
        );
        print(o, created, () =>
          [
            `admin token ${created.name} (${created.role}):`,
            created.token,
            'it is shown this once; send it as `Authorization: Bearer <token>` to /v1/admin/…',
          ].join('\n'),
        );
      }),
    );
  token
    .command('list')
    .description('list the named admin tokens (never the tokens themselves)')
    .addOption(kit.dataDir())
    .addOption(kit.json())
    .action(
      action(async (o: Json) => {
        const tokens = await kit.withVendor(o.dataDir, (api) => api.listAdminTokens());
        print(o, { tokens }, () =>
          [
            table(tokens, ['name', 'role', 'createdAt', 'revokedAt']),
            '(the token from `central init`, in the admin-token file, is not listed and stays valid)',
          ].join('\n'),
        );
      }),
    );
  token
    .command('revoke')
    .description('revoke a named admin token; every node refuses it from the next request on')
    .argument('<name>', 'the token name')
    .addOption(kit.dataDir())
    .addOption(kit.json())
    .action(
      action(async (name: string, o: Json) => {
        const revoked = await kit.withVendor(o.dataDir, (api) => api.revokeAdminToken(name));
        print(o, revoked, () =>
          revoked.alreadyRevoked
            ? `admin token ${revoked.name} was already revoked at ${revoked.revokedAt}`
            : `admin token ${revoked.name} revoked`,
        );
      }),
    );
  return token;
}
