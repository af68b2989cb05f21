import type { License } from '@leasehold/protocol';
import { Command, Option } from 'commander';
import { print } from '../output.ts';
import type { VendorCommandKit } from './centralTokens.ts';
import { action, componentSeats, integer } from './shared.ts';

type Json = { json?: boolean; dataDir: string };

export function licenseLine(l: License): string {
  const components = l.components.map((c) => `${c.name}=${c.seats}`).join(' ');
  const checkout = l.maxCheckoutHours
    ? `  checkout≤${l.maxCheckoutHours}h${l.earlyReturn === false ? ' (no early return)' : ''}`
    : '';
  return `${l.number}  ${l.startDate}..${l.expiryDate}  ${components}${checkout}${l.domain ? `  domain=${l.domain}` : ''}${l.name ? `  "${l.name}"` : ''}`;
}

/** `leasehold central license add|change|remove|list` (C1). */
export function licenseCommand(kit: VendorCommandKit): Command {
  const license = new Command('license').description('licenses of a license server id');
  const licenseFields = (cmd: Command) =>
    cmd
      .option('--name <text>', 'display name')
      .option('--start <date>', 'start date YYYY-MM-DD')
      .option('--expiry <date>', 'expiry date YYYY-MM-DD')
      .option('--domain <domain>', 'only clients of this domain are served')
      .option('--max-checkout-hours <hours>', 'longest checkout, 0 = no checkout', integer)
      .addOption(
        new Option('--early-return <on|off>', 'off: a checkout cannot be returned before its end').choices([
          'on',
          'off',
        ]),
      )
      .option(
        '--component <NAME=SEATS>',
        'a component and its seats; repeat; Base is required',
        componentSeats,
      );
  type LicenseFlags = Json & {
    serverId: string;
    number?: string;
    name?: string;
    start?: string;
    expiry?: string;
    domain?: string;
    maxCheckoutHours?: number;
    earlyReturn?: 'on' | 'off';
    component?: Array<{ name: string; seats: number }>;
    clearDomain?: boolean;
    clearName?: boolean;
  };
  licenseFields(
    license
      .command('add')
      .description('add a license to an id; it reaches the local server at its next sync')
      .addOption(kit.dataDir())
      .requiredOption('--server-id <id>', 'license server id')
      .option('--number <number>', 'license number (a new one when omitted)'),
  )
    .addOption(kit.json())
    .action(
      action(async (o: LicenseFlags) => {
        const added = await kit.withVendor(o.dataDir, (api) =>
          api.addLicense(o.serverId, {
            number: o.number,
            name: o.name,
            startDate: o.start,
            expiryDate: o.expiry,
            domain: o.domain,
            maxCheckoutHours: o.maxCheckoutHours,
            ...(o.earlyReturn ? { earlyReturn: o.earlyReturn === 'on' } : {}),
            components: o.component ?? [],
          }),
        );
        print(o, added, () => `added ${licenseLine(added)}`);
      }),
    );
  licenseFields(
    license
      .command('change')
      .description('change a license; components merge by name, NAME=0 removes one')
      .addOption(kit.dataDir())
      .requiredOption('--server-id <id>', 'license server id')
      .requiredOption('--number <number>', 'license number')
      .option('--clear-domain', 'remove the domain')
      .option('--clear-name', 'remove the display name'),
  )
    .addOption(kit.json())
    .action(
      action(async (o: LicenseFlags) => {
        const changed = await kit.withVendor(o.dataDir, (api) =>
          api.changeLicense(o.serverId, o.number as string, {
            name: o.clearName ? null : o.name,
            startDate: o.start,
            expiryDate: o.expiry,
            domain: o.clearDomain ? null : o.domain,
            maxCheckoutHours: o.maxCheckoutHours,
            ...(o.earlyReturn ? { earlyReturn: o.earlyReturn === 'on' } : {}),
            components: o.component,
          }),
        );
        print(o, changed, () => `changed ${licenseLine(changed)}`);
      }),
    );
  license
    .command('remove')
    .addOption(kit.dataDir())
    .requiredOption('--server-id <id>', 'license server id')
    .requiredOption('--number <number>', 'license number')
    .addOption(kit.json())
    .action(
      action(async (o: LicenseFlags) => {
        const removed = await kit.withVendor(o.dataDir, (api) =>
          api.removeLicense(o.serverId, o.number as string),
        );
        print(o, removed, () => `removed ${removed.removed}`);
      }),
    );
  license
    .command('list')
    .addOption(kit.dataDir())
    .requiredOption('--server-id <id>', 'license server id')
    .addOption(kit.json())
    .action(
      action(async (o: LicenseFlags) => {
        const licenses = await kit.withVendor(o.dataDir, (api) => api.listLicenses(o.serverId));
        print(o, { licenses }, () => (licenses.length ? licenses.map(licenseLine).join('\n') : '(none)'));
      }),
    );

  return license;
}
