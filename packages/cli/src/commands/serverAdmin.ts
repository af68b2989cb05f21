import { AdminStore } from '@leasehold/server';
import type { Command } from 'commander';
import type { Environment } from '../environment.ts';
import { print, table } from '../output.ts';
import { dataDirOption, effectiveNow, type Json, jsonOption, withServer } from './serverContext.ts';
import { action } from './shared.ts';

/**
 * `server admin token create | list | revoke` (issue 5): API tokens for scripts and the CLI to use
 * the admin API (`Authorization: Bearer …`). Works on the data folder, so it also works while
 * `serve` runs (SQLite WAL) and before the first login.
 */
export function registerAdminCommands(server: Command, env: Environment): void {
  const dataDir = () => dataDirOption(env);
  const json = jsonOption;
  const admin = server
    .command('admin')
    .description('the License Server Manager: API tokens of the admin API')
    .enablePositionalOptions();
  const token = admin
    .command('token')
    .description('API tokens (sent as Authorization: Bearer)')
    .enablePositionalOptions();

  token
    .command('create')
    .description('create an API token; it is printed once and stored hashed')
    .requiredOption('--name <name>', 'a name for the token, e.g. the script or person using it')
    .addOption(dataDir())
    .addOption(json())
    .action(
      action(async (o: Json & { name: string }) => {
        const created = await withServer(env, o.dataDir, async (s) =>
          new AdminStore(s.store.db).createToken(o.name, effectiveNow(s)),
        );
        print(o, created, () =>
          [
            `token ${created.name}: ${created.token}`,
            'shown only now; revoke it with: leasehold server admin token revoke NAME',
          ].join('\n'),
        );
      }),
    );

  token
    .command('list')
    .description('API tokens: names and dates (never their values)')
    .addOption(dataDir())
    .addOption(json())
    .action(
      action(async (o: Json) => {
        const tokens = await withServer(env, o.dataDir, async (s) => new AdminStore(s.store.db).listTokens());
        print(o, { tokens }, () =>
          table(
            tokens.map((t) => ({ ...t })),
            ['name', 'createdAt', 'lastUsedAt', 'revokedAt'],
          ),
        );
      }),
    );

  token
    .command('revoke')
    .description('revoke an API token: the next request with it is refused')
    .argument('<name>', 'the token name')
    .addOption(dataDir())
    .addOption(json())
    .action(
      action(async (name: string, o: Json) => {
        const revoked = await withServer(env, o.dataDir, async (s) =>
          new AdminStore(s.store.db).revokeToken(name, effectiveNow(s)),
        );
        print(o, revoked, () => `revoked ${revoked.revoked}`);
      }),
    );
}
