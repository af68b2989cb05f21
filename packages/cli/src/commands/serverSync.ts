import { writeFileAtomic } from '@leasehold/protocol';
import { AUTO_SYNC_MODES, readAutoSyncStatus, setAutoSyncMode } from '@leasehold/server';
import type { Command } from 'commander';
import type { Environment } from '../environment.ts';
import { print } from '../output.ts';
import {
  dataDirOption,
  describeAutoSync,
  effectiveNow,
  type Json,
  jsonOption,
  withServer,
} from './serverContext.ts';
import { action, readTextFile } from './shared.ts';

/** `server sync [now] | export | import | auto` (S5, S6). */
export function registerSyncCommands(server: Command, env: Environment): void {
  const dataDir = () => dataDirOption(env);
  const json = jsonOption;
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
  sync
    .command('auto')
    .description(`automatic synchronization while \`server serve\` runs: ${AUTO_SYNC_MODES.join(' | ')}`)
    .argument('<mode>', AUTO_SYNC_MODES.join(' | '))
    .addOption(dataDir())
    .addOption(json())
    .action(
      action(async (mode: string, o: Json) => {
        const status = await withServer(env, o.dataDir, async (s) => {
          const now = effectiveNow(s);
          setAutoSyncMode(s.store, mode, now);
          return readAutoSyncStatus(s.store, now);
        });
        print(o, status, () =>
          [
            `automatic sync: ${describeAutoSync(status)}`,
            ...(status.mode === 'off'
              ? []
              : [
                  'it runs while `leasehold server serve` runs; a running one picks this up at its next check',
                ]),
          ].join('\n'),
        );
      }),
    );
}
