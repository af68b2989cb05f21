import { resolve } from 'node:path';
import { LeaseholdError, writeFileAtomic } from '@leasehold/protocol';
import { initServer, openLocalServer, readStatus, type ServerStatus, serveServer } from '@leasehold/server';
import { Command, Option } from 'commander';
import pino from 'pino';
import type { Environment } from '../environment.ts';
import { print, table } from '../output.ts';
import { action, integer, portList, readTextFile, tlsFiles, untilSignal } from './shared.ts';

type Json = { json?: boolean; dataDir: string };

export function describeStatus(s: ServerStatus): string {
  const lines = [
    `license server id: ${s.licenseServerId}`,
    `synchronized:      ${s.synchronized ? 'yes' : 'NO'}${s.synchronized ? `, ${s.daysRemaining} day(s) left to sync (synchronized until ${s.synchronizedUntil})` : ''}`,
    `last sync:         ${s.lastSyncAt ?? 'never'} (allocation version ${s.allocationVersion})`,
  ];
  if (s.clock.state === 'rollback')
    lines.push(`clock:             ROLLED BACK behind ${s.clock.highWater}; set the system clock right`);
  if (s.lastSyncAttempt && s.lastSyncAttempt.outcome !== 'ok') {
    lines.push(`last attempt:      ${s.lastSyncAttempt.at} ${s.lastSyncAttempt.outcome}`);
  }
  lines.push(`licenses:          ${s.licenses.length}`);
  for (const l of s.licenses) {
    lines.push(
      `  ${l.number}  until ${l.expiryDate}  ${l.components.map((c) => `${c.name}=${c.seats}`).join(' ')}`,
    );
  }
  return lines.join('\n');
}

async function withServer<T>(
  env: Environment,
  dataDir: string,
  fn: (s: Awaited<ReturnType<typeof openLocalServer>>) => Promise<T>,
) {
  const server = await openLocalServer(dataDir, env.clock);
  try {
    return await fn(server);
  } finally {
    server.close();
  }
}

export function serverCommand(env: Environment): Command {
  const server = new Command('server')
    .description("the customer's local license server")
    .enablePositionalOptions();
  const dataDir = () =>
    new Option('--data-dir <dir>', 'server data folder (env LEASEHOLD_SERVER_DIR)').default(env.serverDir);
  const json = () => new Option('--json', 'print one JSON document');

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
    .option('--central-ca <file>', 'extra PEM CA certificate(s) to trust for the central server')
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
            centralCa?: string;
          },
        ) => {
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
            ...(o.centralCa ? { centralCaFile: resolve(o.centralCa) } : {}),
          });
          print(
            o,
            result,
            () =>
              `local server ${result.licenseServerId} initialized in ${result.dataDir}; next: leasehold server sync`,
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
        const running = await serveServer({
          dataDir: o.dataDir,
          clock: env.clock,
          logger: pino({ level: env.logLevel }),
          ...(o.port === undefined ? {} : { port: o.port }),
          ...(o.host ? { host: o.host } : {}),
        });
        process.stdout.write(`${JSON.stringify({ listening: running.port, url: running.url })}\n`);
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

  server
    .command('leases')
    .description('who holds what: floating leases and checkouts (L6)')
    .addOption(dataDir())
    .addOption(json())
    .action(
      action(async (o: Json) => {
        const leases = await withServer(env, o.dataDir, async (s) => s.leases.list());
        print(o, { leases }, () =>
          table(
            leases.map((l) => ({ ...l, components: l.components.join(',') })),
            ['id', 'kind', 'user', 'computer', 'licenseNumber', 'components', 'grantedAt', 'expiresAt'],
          ),
        );
      }),
    );

  server
    .command('release')
    .description('force-release a floating lease (a checkout cannot be: it lives on a disconnected computer)')
    .argument('<leaseId>', 'the lease id, from `leasehold server leases`')
    .addOption(dataDir())
    .addOption(json())
    .action(
      action(async (leaseId: string, o: Json) => {
        const released = await withServer(env, o.dataDir, async (s) =>
          s.leases.release(leaseId, { kind: 'floating', by: 'admin' }),
        );
        print(o, released, () => `released ${released.released}`);
      }),
    );

  server
    .command('audit')
    .description('the audit log as JSON lines: grants, renewals, releases, expiries, denials (L7)')
    .addOption(dataDir())
    .option('--action <action>', 'only this action, e.g. lease.denied for the denial log')
    .option('--since <time>', 'only entries at or after this ISO time')
    .action(
      action(async (o: Json & { action?: string; since?: string }) => {
        const since = o.since === undefined ? 0 : Date.parse(o.since);
        if (Number.isNaN(since))
          throw new LeaseholdError('INVALID_INPUT', '--since takes an ISO time such as 2027-01-31T00:00:00Z');
        const entries = await withServer(env, o.dataDir, async (s) =>
          s.leases.audit({ ...(o.action ? { action: o.action } : {}), sinceMs: since }),
        );
        for (const entry of entries) process.stdout.write(`${JSON.stringify(entry)}\n`);
      }),
    );

  const sync = server
    .command('sync')
    .description('synchronize with the central server (online: port 443, then 8080)')
    // `sync export --data-dir X` must give the option to `export`, not to `sync` itself.
    .enablePositionalOptions();
  const syncNow = async (o: Json) => {
    const result = await withServer(env, o.dataDir, (s) => s.syncClient.sync(s.onlineTransport()));
    print(
      o,
      result,
      () =>
        `synchronized ${result.licenseServerId}: allocation version ${result.allocationVersion}, ${result.licenses} license(s)`,
    );
  };
  sync.addOption(dataDir()).addOption(json()).action(action(syncNow));
  sync
    .command('now')
    .description('synchronize now (the default)')
    .addOption(dataDir())
    .addOption(json())
    .action(action(syncNow));
  sync
    .command('export')
    .description('write a sync request file to carry to the vendor (sync via file)')
    .addOption(dataDir())
    .requiredOption('--out <file>', 'where to write the request file')
    .addOption(json())
    .action(
      action(async (o: Json & { out: string }) => {
        const { requestId } = await withServer(env, o.dataDir, async (s) => {
          const exported = await s.syncClient.exportRequestFile();
          writeFileAtomic(o.out, exported.file);
          return exported;
        });
        print(o, { out: o.out, requestId }, () =>
          [
            `wrote ${o.out}`,
            'next: have the vendor answer it (`leasehold central sync respond` or the central server page /sync),',
            'then: leasehold server sync import <response file>',
          ].join('\n'),
        );
      }),
    );
  sync
    .command('import')
    .description('apply a sync response file from the vendor')
    .argument('<file>', 'the sync response file')
    .addOption(dataDir())
    .addOption(json())
    .action(
      action(async (file: string, o: Json) => {
        const text = readTextFile(file);
        const result = await withServer(env, o.dataDir, (s) => s.syncClient.importResponseFile(text));
        print(
          o,
          result,
          () =>
            `synchronized ${result.licenseServerId} by file: allocation version ${result.allocationVersion}, ${result.licenses} license(s)`,
        );
      }),
    );
  return server;
}
