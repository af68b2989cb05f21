import { LeaseholdError } from '@leasehold/protocol';
import {
  chooseProxy,
  clearProxySetting,
  loadProxySetting,
  maskProxy,
  parseProxyUrl,
  proxyPath,
  saveProxySetting,
} from '@leasehold/server';
import type { Command } from 'commander';
import type { Environment } from '../environment.ts';
import { print } from '../output.ts';
import { dataDirOption, type Json, jsonOption } from './serverContext.ts';
import { action, firstLineOfStdin } from './shared.ts';

/**
 * `server proxy set URL | clear | show` (S7). The proxy lives in its own 0600 file, apart from
 * server.json, and is only ever shown with the password masked.
 */
export function registerProxyCommands(server: Command, env: Environment): void {
  const dataDir = () => dataDirOption(env);
  const json = jsonOption;
  const proxy = server
    .command('proxy')
    .description('the HTTP(S) proxy online sync goes through (default: HTTPS_PROXY / HTTP_PROXY)')
    .enablePositionalOptions();

  proxy
    .command('set')
    .description('use this proxy for online sync, e.g. http://user:password@proxy.example:3128')
    .argument('<url>', 'the proxy URL; credentials may be in it or given with --user and --password')
    .addOption(dataDir())
    .option('--user <name>', 'proxy user name')
    .option('--password <password>', 'proxy password (visible to other local users: prefer --password-stdin)')
    .option('--password-stdin', 'read the proxy password from the first line of standard input')
    .addOption(json())
    .action(
      action(async (url: string, o: Json & { user?: string; password?: string; passwordStdin?: boolean }) => {
        if (o.password !== undefined && o.passwordStdin)
          throw new LeaseholdError('INVALID_INPUT', '--password and --password-stdin exclude each other');
        const password = o.passwordStdin ? firstLineOfStdin('--password-stdin') : o.password;
        const setting = saveProxySetting(o.dataDir, parseProxyUrl(url, { username: o.user, password }));
        const shown = { proxy: maskProxy(setting), source: 'stored', file: proxyPath(o.dataDir) };
        print(
          o,
          shown,
          () => `online sync now goes through ${shown.proxy}; check it with: leasehold server sync`,
        );
      }),
    );

  proxy
    .command('clear')
    .description('remove the stored proxy (the environment variables apply again)')
    .addOption(dataDir())
    .addOption(json())
    .action(
      action(async (o: Json) => {
        const cleared = clearProxySetting(o.dataDir);
        print(o, { cleared }, () => (cleared ? 'proxy removed' : 'no proxy was stored'));
      }),
    );

  proxy
    .command('show')
    .description('the proxy online sync uses and where it comes from (the password is never shown)')
    .addOption(dataDir())
    .addOption(json())
    .action(
      action(async (o: Json) => {
        const route = chooseProxy(loadProxySetting(o.dataDir), env.proxy);
        const shown = route
          ? {
              proxy: maskProxy(route),
              source: route.source,
              authenticated: Boolean(route.username),
              noProxy: route.noProxy,
            }
          : { proxy: null, source: null, authenticated: false, noProxy: [] };
        print(o, shown, () =>
          route
            ? [
                `proxy:    ${shown.proxy} (${route.source === 'stored' ? 'leasehold server proxy set' : 'from the environment'})`,
                ...(route.noProxy.length > 0 ? [`no proxy: ${route.noProxy.join(', ')}`] : []),
              ].join('\n')
            : 'no proxy: online sync connects directly',
        );
      }),
    );
}
