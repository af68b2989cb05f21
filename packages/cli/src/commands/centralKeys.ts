import { Command } from 'commander';
import { print, table } from '../output.ts';
import type { VendorCommandKit } from './centralTokens.ts';
import { action } from './shared.ts';

type Json = { json?: boolean; dataDir: string };

/**
 * `leasehold central keys list|rotate|retire`: the vendor signing keys (S8, docs/key-rotation.md).
 * Rotation makes a new active key that the old one announces; retiring a previous key stops that.
 */
export function keysCommand(kit: VendorCommandKit): Command {
  const keys = new Command('keys').description('vendor signing keys: list, rotate, retire');
  keys
    .command('list')
    .description('list the vendor signing keys: active, previous (still announcing) and retired')
    .addOption(kit.dataDir())
    .addOption(kit.json())
    .action(
      action(async (o: Json) => {
        const listed = await kit.withVendor(o.dataDir, (api) => api.listVendorKeys());
        const behind = listed.notSyncedSinceRotation;
        print(o, listed, () =>
          [
            table(listed.keys, ['kid', 'status', 'createdAt', 'rotatedAt', 'retiredAt']),
            ...(behind.count
              ? [
                  `${behind.count} bound id(s) have not synced since the active key was made; they learn it at their next sync,`,
                  `  and refuse every response if the keys announcing it are retired first: ${behind.licenseServerIds.join(' ')}`,
                ]
              : []),
          ].join('\n'),
        );
      }),
    );
  keys
    .command('rotate')
    .description('create a new active signing key; the current one announces it until retired')
    .addOption(kit.dataDir())
    .addOption(kit.json())
    .action(
      action(async (o: Json) => {
        const rotated = await kit.withVendor(o.dataDir, (api) => api.rotateVendorKey());
        print(o, rotated, () =>
          [
            `active vendor signing key: ${rotated.activeKeyId}`,
            `previous key ${rotated.previousKeyId} now announces it in every response;`,
            '  local servers learn the new key at their next sync. Ship the updated vendor-public-keys.json',
            '  with new installations and applications, then retire the previous key:',
            `  leasehold central keys retire ${rotated.previousKeyId}`,
          ].join('\n'),
        );
      }),
    );
  keys
    .command('retire')
    .description('stop announcing and using a previous signing key (its private key is deleted)')
    .argument('<kid>', 'the key id, from `central keys list`')
    // Ids are base64url and one in 64 starts with '-': it must not be taken for an option.
    .allowUnknownOption()
    .addOption(kit.dataDir())
    .addOption(kit.json())
    .action(
      action(async (kid: string, o: Json) => {
        const retired = await kit.withVendor(o.dataDir, (api) => api.retireVendorKey(kid));
        print(o, retired, () => `vendor signing key ${retired.retiredKeyId} retired`);
      }),
    );
  return keys;
}
