import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { LeaseholdError, machineFingerprint } from '@leasehold/protocol';

/**
 * The operating system's id of this machine (L3: checkouts are bound to it): Linux
 * `/etc/machine-id` (or D-Bus's copy), Windows `MachineGuid`, macOS `IOPlatformUUID`. A container
 * without one must be given `machineId`.
 */
export function readMachineId(platform: NodeJS.Platform = process.platform): string {
  try {
    if (platform === 'win32') {
      const out = execFileSync(
        'reg',
        ['query', 'HKLM\\SOFTWARE\\Microsoft\\Cryptography', '/v', 'MachineGuid'],
        {
          encoding: 'utf8',
          windowsHide: true,
        },
      );
      const guid = /MachineGuid\s+REG_SZ\s+(\S+)/.exec(out)?.[1];
      if (guid) return guid;
    } else if (platform === 'darwin') {
      const out = execFileSync('ioreg', ['-rd1', '-c', 'IOPlatformExpertDevice'], { encoding: 'utf8' });
      const uuid = /"IOPlatformUUID" = "([^"]+)"/.exec(out)?.[1];
      if (uuid) return uuid;
    } else {
      for (const path of ['/etc/machine-id', '/var/lib/dbus/machine-id']) {
        try {
          const id = readFileSync(path, 'utf8').trim();
          if (id) return id;
        } catch {
          // the next place
        }
      }
    }
  } catch {
    // reported below
  }
  throw new LeaseholdError(
    'INVALID_INPUT',
    "this machine's id cannot be read (no /etc/machine-id, MachineGuid or IOPlatformUUID); pass `machineId` to LeaseholdClient and verifyCheckout",
  );
}

let cached: string | undefined;

/** This machine's fingerprint for `product`, from `machineId` when given, else from the system's id. */
export function thisMachine(product: string, machineId?: string): string {
  if (machineId !== undefined) {
    if (machineId.trim() === '') throw new LeaseholdError('INVALID_INPUT', '`machineId` is empty');
    return machineFingerprint(machineId, product);
  }
  cached ??= readMachineId();
  return machineFingerprint(cached, product);
}
