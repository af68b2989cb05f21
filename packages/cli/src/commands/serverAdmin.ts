import { readFileSync } from 'node:fs';
import { LeaseholdError } from '@leasehold/protocol';
import { AdminStore, hashPassword, MIN_NEW_PASSWORD } from '@leasehold/server';
import type { Command } from 'commander';
import type { Environment } from '../environment.ts';
import { print, table } from '../output.ts';
import { dataDirOption, effectiveNow, type Json, jsonOption, withServer } from './serverContext.ts';
import { action } from './shared.ts';

function firstLine(source: string | 0, what: string): string {
  const line = readFileSync(source, 'utf8').split(/\r?\n/)[0] ?? '';
  if (!line) throw new LeaseholdError('INVALID_INPUT', `${what} held no password`);
  return line;
}

/**
 * `server admin token create | list | revoke` (M1; docs/admin-api.md, API tokens): API tokens for scripts and the CLI to use
 * the admin API (`Authorization: Bearer …`). Works on the data folder, so it also works while
 * `serve` runs (SQLite WAL) and before the first login.
 */
export function registerAdminCommands(server: Command, env: Environment): void {
  const dataDir = () => dataDirOption(env);
  const json = jsonOption;
  const admin = server
    .command('admin')
    .description('the License Server Manager: its password and the API tokens of the admin API')
    .enablePositionalOptions();
  admin
    .command('password')
    .description(
      "set the admin account's password on this computer (ends its sessions); reads it from --password-file or standard input, never from the command line",
    )
    .option('--user <name>', 'the account (default: the only one)')
    .option('--password-file <file>', 'a file whose first line is the new password')
    .addOption(dataDir())
    .addOption(json())
    .action(
      action(async (o: Json & { user?: string; passwordFile?: string }) => {
        const password = firstLine(
          o.passwordFile ?? 0,
          o.passwordFile ? '--password-file' : 'standard input',
        );
        if (password.length < MIN_NEW_PASSWORD)
          throw new LeaseholdError(
            'INVALID_INPUT',
            `the password needs at least ${MIN_NEW_PASSWORD} characters`,
          );
        const hash = await hashPassword(password);
        const result = await withServer(env, o.dataDir, async (s) => {
          const store = new AdminStore(s.store.db);
          const users = store.userNames();
          const user = o.user ?? (users.length === 1 ? users[0] : undefined);
          if (!user || !users.includes(user))
            throw new LeaseholdError(
              'INVALID_INPUT',
              `name the account with --user (${users.join(', ') || 'none'})`,
            );
          store.setPassword(user, hash, effectiveNow(s));
          return { user, changed: true, sessionsEnded: store.endSessionsOf(user) };
        });
        print(
          o,
          result,
          () => `password of ${result.user} changed; ${result.sessionsEnded} session(s) ended`,
        );
      }),
    );

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
