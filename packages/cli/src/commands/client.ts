import {
  type Checkout,
  type CheckoutToken,
  type Lease,
  LeaseholdClient,
  verifyCheckout,
} from '@leasehold/client';
import { Command, Option } from 'commander';
import type { Environment } from '../environment.ts';
import { print } from '../output.ts';
import { action, integer, readTextFile } from './shared.ts';

type Flags = {
  json?: boolean;
  url: string;
  vendorKeys: string;
  user?: string;
  computer?: string;
  domain?: string;
  component?: string[];
  licenseNumber?: string;
  instance?: string;
  hours?: number;
};

/**
 * `leasehold client …`: the SDK's calls for scripts and for checking a server by hand. `activate`
 * takes one lease and exits: nothing renews it, so it runs out after the server's lease length
 * unless `renew` is called in time.
 */
export function clientCommand(env: Environment): Command {
  const client = new Command('client');
  const withUrl = (cmd: Command) =>
    cmd
      .requiredOption('--url <url>', 'the local license server URL, as the administrator gives it')
      .requiredOption(
        '--vendor-keys <file>',
        "the vendor's vendor-public-keys.json, shipped with the application: every lease is checked against it",
      )
      .option('--user <name>', 'user name (default: the operating system user)')
      .option('--computer <name>', 'computer name (default: the host name)')
      .option('--domain <domain>', 'the domain sent with the request')
      .addOption(new Option('--json', 'print one JSON document'));
  const components = (cmd: Command) =>
    cmd
      .option(
        '--component <name>',
        'a component to license; repeat for several (default: Base, which every activation includes)',
        collect,
      )
      .option('--license-number <number>', 'take the seats from this license only');
  const connect = (o: Flags) =>
    new LeaseholdClient({
      url: o.url,
      vendorPublicKeys: readTextFile(o.vendorKeys),
      clock: env.clock,
      releaseOnExit: false,
      ...(o.user ? { user: o.user } : {}),
      ...(o.computer ? { computer: o.computer } : {}),
      ...(o.domain ? { domain: o.domain } : {}),
    });
  const wanted = (o: Flags) => ({
    components: o.component ?? ['Base'],
    ...(o.licenseNumber ? { licenseNumber: o.licenseNumber } : {}),
  });

  components(withUrl(client.command('activate')))
    .description('take a floating lease and print it (it is not renewed: see `renew`)')
    .option('--instance <text>', 'tells instances on one computer apart')
    .action(
      action(async (o: Flags) => {
        const lease = await connect(o).requestLease({
          ...wanted(o),
          ...(o.instance ? { instance: o.instance } : {}),
        });
        print(o, { lease }, () => describeLease('activated', lease));
      }),
    );

  withUrl(client.command('renew'))
    .description('renew a floating lease once')
    .argument('<leaseId>', 'the lease id `activate` printed')
    // Ids are base64url and one in 64 starts with '-': it must not be taken for an option.
    .allowUnknownOption()
    .action(
      action(async (leaseId: string, o: Flags) => {
        const lease = await connect(o).renewLease(leaseId);
        print(o, { lease }, () => describeLease('renewed', lease));
      }),
    );

  withUrl(client.command('release'))
    .description('release a floating lease: its seats go back at once')
    .argument('<leaseId>', 'the lease id `activate` printed')
    // Ids are base64url and one in 64 starts with '-': it must not be taken for an option.
    .allowUnknownOption()
    .action(
      action(async (leaseId: string, o: Flags) => {
        const released = await connect(o).releaseLease(leaseId);
        print(o, released, () => `released ${released.released}`);
      }),
    );

  components(withUrl(client.command('checkout')))
    .description('check out a license for some hours; the token proves it with no contact')
    .requiredOption('--hours <hours>', 'how long, up to the license maximum', integer)
    .action(
      action(async (o: Flags) => {
        const checkout = await connect(o).checkout({ ...wanted(o), hours: o.hours as number });
        print(o, { checkout }, () => describeCheckout(checkout));
      }),
    );

  withUrl(client.command('return'))
    .description('return a checkout early (needs the server that issued it)')
    .argument('<idOrToken>', 'the checkout id, the token, or @FILE holding the token')
    // Ids are base64url and one in 64 starts with '-': it must not be taken for an option.
    .allowUnknownOption()
    .action(
      action(async (idOrToken: string, o: Flags) => {
        const returned = await connect(o).returnCheckout(readValue(idOrToken));
        print(o, returned, () => `returned ${returned.returned}`);
      }),
    );

  client
    .command('show')
    .description('verify a checkout token offline, with the vendor public key file, and print it')
    .requiredOption('--token <token>', 'the token, or @FILE holding it')
    .requiredOption('--vendor-keys <file>', 'the vendor public key file shipped with the application')
    .option('--user <name>', 'also check it was checked out to this user')
    .option('--computer <name>', 'also check it was checked out on this computer')
    .addOption(new Option('--json', 'print one JSON document'))
    .action(
      action(
        async (o: {
          json?: boolean;
          token: string;
          vendorKeys: string;
          user?: string;
          computer?: string;
        }) => {
          const checkout = await verifyCheckout(readValue(o.token), readTextFile(o.vendorKeys), {
            now: env.clock.now(),
            ...(o.user ? { user: o.user } : {}),
            ...(o.computer ? { computer: o.computer } : {}),
          });
          print(o, { checkout }, () => describeToken(checkout));
        },
      ),
    );
  return client;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `@FILE` reads the value from a file, as curl does: tokens are long and live in files. */
function readValue(value: string): string {
  return value.startsWith('@') ? readTextFile(value.slice(1)).trim() : value;
}

function describeLease(what: string, lease: Lease): string {
  return [
    `${what} lease ${lease.id}`,
    `license:    ${lease.licenseNumber}`,
    `components: ${lease.components.join(', ')}`,
    `holder:     ${lease.user} on ${lease.computer}`,
    `until:      ${lease.expiresAt} (renew within ${lease.renewAfterSeconds} s: leasehold client renew ${lease.id})`,
  ].join('\n');
}

function describeCheckout(checkout: Checkout): string {
  return [
    `checked out ${checkout.id}`,
    `license:    ${checkout.licenseNumber}`,
    `components: ${checkout.components.join(', ')}`,
    `holder:     ${checkout.user} on ${checkout.computer}`,
    `until:      ${checkout.expiresAt}`,
    `token:      ${checkout.token}`,
  ].join('\n');
}

function describeToken(token: CheckoutToken): string {
  return [
    `checkout ${token.checkoutId} verifies (license server ${token.licenseServerId})`,
    `license:    ${token.licenseNumber}`,
    `components: ${token.components.join(', ')}`,
    `holder:     ${token.user} on ${token.computer}`,
    `from:       ${token.issuedAt}`,
    `until:      ${token.expiresAt}`,
  ].join('\n');
}
