import { Command } from 'commander';
import { print, table } from '../output.ts';
import type { VendorCommandKit } from './centralTokens.ts';
import { action, integer } from './shared.ts';

type Json = { json?: boolean; dataDir: string };

/** `leasehold central audit`: who did what and when on the central server (append-only). */
export function auditCommand(kit: VendorCommandKit): Command {
  return new Command('audit')
    .description('the audit log, newest first: bindings, clearings, licenses, tokens, keys')
    .addOption(kit.dataDir())
    .option('--server-id <id>', 'only this license server id')
    .option('--limit <n>', 'at most this many entries (default 200)', integer)
    .addOption(kit.json())
    .action(
      action(async (o: Json & { serverId?: string; limit?: number }) => {
        const entries = await kit.withVendor(o.dataDir, (api) =>
          api.listAudit({
            ...(o.serverId ? { licenseServerId: o.serverId } : {}),
            ...(o.limit ? { limit: o.limit } : {}),
          }),
        );
        print(o, { entries }, () =>
          entries.length
            ? entries
                .map(
                  (e) =>
                    `${e.at}  ${e.actor}  ${e.action}  ${e.licenseServerId ?? ''}  ${JSON.stringify(e.details)}`,
                )
                .join('\n')
            : '(no entries)',
        );
      }),
    );
}

/** `leasehold central usage ID`: what an id's local server reported with its syncs (docs/central.md, Usage reports). */
export function usageCommand(kit: VendorCommandKit): Command {
  return new Command('usage')
    .description("the usage an id's local server reported with its syncs: per day, peak in use and denials")
    .argument('<id>', 'license server id')
    .addOption(kit.dataDir())
    .option('--from <day>', 'from this day (YYYY-MM-DD)')
    .option('--to <day>', 'to this day (YYYY-MM-DD)')
    .addOption(kit.json())
    .action(
      action(async (id: string, o: Json & { from?: string; to?: string }) => {
        const usage = await kit.withVendor(o.dataDir, (api) =>
          api.listUsage(id, {
            ...(o.from ? { from: o.from } : {}),
            ...(o.to ? { to: o.to } : {}),
          }),
        );
        print(o, usage, () =>
          usage.days.length
            ? table(usage.days, ['day', 'licenseNumber', 'component', 'peakInUse', 'denials'])
            : '(no usage reported yet)',
        );
      }),
    );
}
