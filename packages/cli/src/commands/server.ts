import { resolve } from 'node:path';
import { initServer, readStatus } from '@leasehold/server';
import { Command } from 'commander';
import type { Environment } from '../environment.ts';
import { stdout } from '../io.ts';
import { print } from '../output.ts';
import { registerAdminCommands } from './serverAdmin.ts';
import { dataDirOption, describeStatus, type Json, jsonOption, withServer } from './serverContext.ts';
import { registerDiagnoseCommand } from './serverDiagnose.ts';
import { registerLeaseCommands } from './serverLeases.ts';
import { registerProxyCommands } from './serverProxy.ts';
import { registerSyncCommands } from './serverSync.ts';
import { action, firstLineOfStdin, integer, portList, tlsFiles, untilSignal } from './shared.ts';

export { describeStatus } from './serverContext.ts';

export function serverCommand(env: Environment): Command {
  const server = new Command('server').enablePositionalOptions();
  const dataDir = () => dataDirOption(env);
  const json = jsonOption;

  server
    .command('init')
    .description(
      'set up a local license server: its id, the central server, the vendor public key file; creates its keys',
    )
    .addOption(dataDir())
    .requiredOption('--id <licenseServerId>', 'the license server id from the vendor')
    .requiredOption(
      '--central-url <url>',
      'the central license server, e.g. https://licensing.vendor.example',
    )
    .requiredOption('--vendor-keys <file>', 'the vendor public key file')
    .option('--activation-code <code>', 'the one-time activation code, if the vendor issued one')
    .option('--central-ports <ports>', 'ports tried in order for online sync', portList)
    .option('--client-port <port>', 'port applications connect to (default 443)', integer)
    .option('--host <address>', 'listen address')
    .option('--tls-cert <file>', 'PEM certificate for HTTPS on the client port')
    .option('--tls-key <file>', 'PEM private key for HTTPS on the client port')
    .option('--plain-http', 'serve the client port over plain HTTP instead (only on a network you trust)')
    .option(
      '--plain-http-central',
      'allow an http:// central URL (the sync messages stay signed and encrypted)',
    )
    .option('--central-ca <file>', 'extra PEM CA certificate(s) to trust for the central server')
    .option('--admin-user <name>', 'the License Server Manager account (default admin)')
    .option(
      '--admin-password-stdin',
      'read its password from the first line of standard input (else one is generated and printed once)',
    )
    .addOption(json())
    .action(
      action(
        async (
          o: Json & {
            id: string;
            centralUrl: string;
            vendorKeys: string;
            activationCode?: string;
            centralPorts?: number[];
            clientPort?: number;
            host?: string;
            tlsCert?: string;
            tlsKey?: string;
            plainHttp?: boolean;
            plainHttpCentral?: boolean;
            centralCa?: string;
            adminUser?: string;
            adminPasswordStdin?: boolean;
          },
        ) => {
          const adminPassword = o.adminPasswordStdin ? firstLineOfStdin('--admin-password-stdin') : undefined;
          const result = await initServer({
            dataDir: o.dataDir,
            licenseServerId: o.id,
            centralUrl: o.centralUrl,
            vendorKeysFile: o.vendorKeys,
            ...(o.activationCode ? { activationCode: o.activationCode } : {}),
            ...(o.centralPorts ? { centralPorts: o.centralPorts } : {}),
            ...(o.clientPort === undefined ? {} : { clientPort: o.clientPort }),
            ...(o.host ? { host: o.host } : {}),
            ...tlsFiles(o),
            ...(o.plainHttp ? { plainHttp: true } : {}),
            ...(o.plainHttpCentral ? { plainHttpCentral: true } : {}),
            ...(o.centralCa ? { centralCaFile: resolve(o.centralCa) } : {}),
            ...(o.adminUser ? { adminUser: o.adminUser } : {}),
            ...(adminPassword === undefined ? {} : { adminPassword }),
            clock: env.clock,
          });
          print(o, result, () =>
            [
              `local server ${result.licenseServerId} initialized in ${result.dataDir}; next: leasehold server sync`,
              result.admin.generatedPassword
                ? `admin account ${result.admin.user}, password ${result.admin.generatedPassword} (shown only now: keep it safe)`
                : `admin account ${result.admin.user}`,
            ].join('\n'),
          );
        },
      ),
    );

  server
    .command('serve')
    .description('serve applications on the client port')
    .addOption(dataDir())
    .option('--port <port>', 'client port', integer)
    .option('--host <address>', 'listen address')
    .action(
      action(async (o: Json & { port?: number; host?: string }) => {
        // The HTTP server and the logger load only for `serve`, so the other commands start faster.
        const { serveServer, serverLogger } = await import('./serving.ts');
        const running = await serveServer({
          dataDir: o.dataDir,
          clock: env.clock,
          logger: serverLogger(env.logLevel),
          proxyEnvironment: env.proxy,
          ...(o.port === undefined ? {} : { port: o.port }),
          ...(o.host ? { host: o.host } : {}),
        });
        stdout().write(`${JSON.stringify({ listening: running.port, url: running.url })}\n`);
        await untilSignal(() => running.close());
      }),
    );

  server
    .command('status')
    .description('id, synchronization, days remaining, allocation version, licenses')
    .addOption(dataDir())
    .addOption(json())
    .action(
      action(async (o: Json) => {
        const status = await withServer(env, o.dataDir, async (s) => readStatus(s));
        print(o, status, () => describeStatus(status));
      }),
    );

  registerLeaseCommands(server, env);
  registerSyncCommands(server, env);
  registerDiagnoseCommand(server, env);
  registerProxyCommands(server, env);
  registerAdminCommands(server, env);
  return server;
}
