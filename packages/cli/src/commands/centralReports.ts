import { Command } from 'commander';
import { print, table } from '../output.ts';
import type { VendorCommandKit } from './centralTokens.ts';
import { action } from './shared.ts';

type Json = { json?: boolean; dataDir: string };

/** `leasehold central usage ID`: what an id's local server reported with its syncs (issue 6, item 4). */
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
