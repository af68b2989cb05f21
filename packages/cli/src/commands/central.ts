import { initCentral, openVendorApi, serveCentral, type VendorApi } from '@leasehold/central';
import { writeFileAtomic } from '@leasehold/protocol';
import { Command, Option } from 'commander';
import type { Environment } from '../environment.ts';
import { stdout } from '../io.ts';
import { print, table } from '../output.ts';
import { keysCommand } from './centralKeys.ts';
import { licenseCommand, licenseLine } from './centralLicenses.ts';
import { auditCommand, usageCommand } from './centralReports.ts';
import { tokenCommand } from './centralTokens.ts';
import { serverLogger } from './logger.ts';
import { action, integer, readTextFile, tlsFiles, untilSignal } from './shared.ts';

type Json = { json?: boolean; dataDir: string };

async function withVendor<T>(
  env: Environment,
  dataDir: string,
  fn: (api: VendorApi) => Promise<T>,
): Promise<T> {
  const { api, close } = await openVendorApi(dataDir, env.clock, env.vendorPrivateKeys);
  try {
    return await fn(api);
  } finally {
    await close();
  }
}

export function centralCommand(env: Environment): Command {
  const central = new Command('central');
  const dataDir = () =>
    new Option('--data-dir <dir>', 'central data folder (env LEASEHOLD_CENTRAL_DIR)').default(env.centralDir);
  const json = () => new Option('--json', 'print one JSON document');

  central
    .command('init')
    .description('create the vendor keys, the admin token and the database; print the vendor public key file')
    .addOption(dataDir())
    .option('--database-url <url>', 'use PostgreSQL at this URL instead of the embedded database')
    .option('--host <address>', 'listen address')
    .option('--port <port>', 'primary sync port (443 in production)', integer)
    .option('--fallback-port <port>', 'fallback sync port (8080 in production)', integer)
    .option('--vendor <name>', 'vendor name written into the public key file')
    .option('--tls-cert <file>', 'PEM certificate for HTTPS on both ports')
    .option('--tls-key <file>', 'PEM private key for HTTPS on both ports')
    .option('--plain-http', 'serve plain HTTP (behind a TLS-terminating proxy, or on loopback)')
    .addOption(json())
    .action(
      action(
        async (
          o: Json & {
            databaseUrl?: string;
            host?: string;
            port?: number;
            fallbackPort?: number;
            vendor?: string;
            tlsCert?: string;
            tlsKey?: string;
            plainHttp?: boolean;
          },
        ) => {
          const { tlsCert: _cert, tlsKey: _key, ...rest } = o;
          const result = await initCentral({ ...rest, ...tlsFiles(o) });
          print(o, result, () =>
            [
              `central server initialized in ${result.dataDir} (storage: ${result.storage})`,
              `vendor public key file: ${result.vendorPublicKeysFile}`,
              '  install it with every local server: leasehold server init --vendor-keys <that file> ...',
              `admin token: in ${result.adminTokenFile} (mode 0600)`,
            ].join('\n'),
          );
        },
      ),
    );

  central
    .command('serve')
    .description('serve sync and vendor admin on the primary (443) and fallback (8080) ports')
    .addOption(dataDir())
    .option('--host <address>', 'listen address')
    .option('--port <port>', 'primary sync port', integer)
    .option('--fallback-port <port>', 'fallback sync port', integer)
    .action(
      action(async (o: Json & { host?: string; port?: number; fallbackPort?: number }) => {
        const running = await serveCentral({
          dataDir: o.dataDir,
          clock: env.clock,
          logger: serverLogger(env.logLevel),
          ...(env.vendorPrivateKeys ? { vendorPrivateKeys: env.vendorPrivateKeys } : {}),
          ...(o.port === undefined ? {} : { port: o.port }),
          ...(o.fallbackPort === undefined ? {} : { fallbackPort: o.fallbackPort }),
          ...(o.host === undefined ? {} : { host: o.host }),
        });
        stdout().write(`${JSON.stringify({ listening: running.ports, url: running.url })}\n`);
        await untilSignal(() => running.close());
      }),
    );

  const serverId = central.command('server-id').description('license server ids');
  serverId
    .command('create')
    .description('create a license server id for a customer')
    .addOption(dataDir())
    .option('--id <id>', 'use this id (LS-XXXX-XXXX-XXXX) instead of a new one')
    .option('--customer <name>', 'the customer the id is for')
    .option('--activation-code', 'also issue a one-time activation code the first sync must present')
    .addOption(json())
    .action(
      action(async (o: Json & { id?: string; customer?: string; activationCode?: boolean }) => {
        const created = await withVendor(env, o.dataDir, (api) =>
          api.createServerId({ id: o.id, customer: o.customer, activationCode: Boolean(o.activationCode) }),
        );
        print(o, created, () =>
          [
            `${created.id}${created.customer ? ` (${created.customer})` : ''}`,
            ...('activationCode' in created
              ? [`activation code: ${created.activationCode} (shown once)`]
              : []),
          ].join('\n'),
        );
      }),
    );
  serverId
    .command('list')
    .addOption(dataDir())
    .addOption(json())
    .action(
      action(async (o: Json) => {
        const ids = await withVendor(env, o.dataDir, (api) => api.listServerIds());
        print(o, { serverIds: ids }, () =>
          table(ids, ['id', 'customer', 'bound', 'licenseCount', 'lastSyncAt']),
        );
      }),
    );
  serverId
    .command('policy')
    .description('refuse (or answer) syncs of this id that would be flagged: rollback, fork, audit chain')
    .argument('<id>', 'license server id')
    .addOption(
      new Option('--refuse-flagged <on|off>', 'on: refuse with SERVER_STATE_REFUSED; off: answer and flag')
        .choices(['on', 'off'])
        .makeOptionMandatory(),
    )
    .addOption(dataDir())
    .addOption(json())
    .action(
      action(async (id: string, o: Json & { refuseFlagged: 'on' | 'off' }) => {
        const set = await withVendor(env, o.dataDir, (api) =>
          api.setServerIdPolicy(id, { refuseFlagged: o.refuseFlagged === 'on' }),
        );
        print(o, set, () =>
          set.refuseFlagged
            ? `${set.licenseServerId}: syncs that would be flagged are refused (SERVER_STATE_REFUSED) until you clear the binding or turn this off`
            : `${set.licenseServerId}: flagged syncs are answered and flagged in the sync history`,
        );
      }),
    );
  serverId
    .command('show')
    .argument('<id>', 'license server id')
    .addOption(dataDir())
    .addOption(json())
    .action(
      action(async (id: string, o: Json) => {
        const shown = await withVendor(env, o.dataDir, (api) => api.showServerId(id));
        print(o, shown, () =>
          [
            `${shown.id}${shown.customer ? ` (${shown.customer})` : ''}`,
            `binding: ${shown.binding ? `server key ${shown.binding.serverKeyId}, since ${shown.binding.boundAt}` : 'none'}`,
            `flagged syncs: ${shown.refuseFlagged ? 'refused (SERVER_STATE_REFUSED)' : 'answered and flagged'}`,
            ...(shown.serverStateRollback
              ? [
                  `warning SERVER_STATE_ROLLBACK: the sync count went backwards ${shown.serverStateRollback.count} time(s), last at ${shown.serverStateRollback.lastAt} (a restored snapshot or a cloned server)`,
                ]
              : []),
            ...(shown.serverStateFork
              ? [
                  `warning SERVER_STATE_FORK: ${shown.serverStateFork.count} sync(s) showed two servers in this binding, last at ${shown.serverStateFork.lastAt} (a copied data folder syncing beside the original; clear the binding if you do not trust it)`,
                ]
              : []),
            ...(shown.auditChainNotExtending
              ? [
                  `warning AUDIT_CHAIN_NOT_EXTENDING: at ${shown.auditChainNotExtending.count} sync(s), last at ${shown.auditChainNotExtending.lastAt}, the server's audit log no longer held the entry the previous sync reported (entries cut or rewritten, or a restored backup)`,
                ]
              : []),
            `licenses (${shown.licenses.length}):`,
            ...shown.licenses.map((l) => `  ${licenseLine(l)}`),
            'sync history:',
            table(shown.syncHistory, [
              'at',
              'method',
              'outcome',
              'allocationVersion',
              'sourceAddress',
              'flags',
            ]),
          ].join('\n'),
        );
      }),
    );

  const kit = {
    dataDir,
    json,
    withVendor: <T>(dir: string, fn: (api: VendorApi) => Promise<T>) => withVendor(env, dir, fn),
  };
  central.addCommand(licenseCommand(kit));
  central.addCommand(tokenCommand(kit));
  central.addCommand(keysCommand(kit));
  central.addCommand(usageCommand(kit));
  central.addCommand(auditCommand(kit));

  central
    .command('binding')
    .description('bindings of ids to servers')
    .command('clear')
    .description('clear the binding of an id so that the next server to sync is bound')
    .addOption(dataDir())
    .requiredOption('--server-id <id>', 'license server id')
    .requiredOption('--reason <text>', 'why (recorded in the audit log)')
    .addOption(json())
    .action(
      action(async (o: Json & { serverId: string; reason: string }) => {
        const cleared = await withVendor(env, o.dataDir, (api) =>
          api.clearBinding(o.serverId, { reason: o.reason }),
        );
        print(o, cleared, () =>
          [
            `binding of ${cleared.licenseServerId} cleared (was server key ${cleared.serverKeyId})`,
            ...('activationCode' in cleared
              ? [
                  `new activation code: ${cleared.activationCode} (shown once; the old one is used up)`,
                  '  the next server needs it: leasehold server init --activation-code <code> ...',
                ]
              : []),
          ].join('\n'),
        );
      }),
    );
  central
    .command('sync')
    .description('synchronization by file')
    .command('respond')
    .description('answer a sync request file from a local server with a sync response file')
    .addOption(dataDir())
    .requiredOption('--in <file>', 'the sync request file the customer sent')
    .requiredOption('--out <file>', 'where to write the sync response file')
    .addOption(json())
    .action(
      action(async (o: Json & { in: string; out: string }) => {
        const request = readTextFile(o.in);
        const response = await withVendor(env, o.dataDir, (api) => api.respondToRequestFile(request));
        writeFileAtomic(o.out, response);
        print(
          o,
          { out: o.out },
          () => `wrote ${o.out}; send it back to be imported with \`leasehold server sync import\``,
        );
      }),
    );
  return central;
}
