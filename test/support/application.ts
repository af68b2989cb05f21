import { copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGES = fileURLToPath(new URL('../../packages/', import.meta.url));

/**
 * A vendor's application in its own folder: `node_modules/@leasehold/client` is the package (linked,
 * as `npm install` would put it), and `files` are written beside it. It runs with plain `node`: no
 * loader, no flags, the built JavaScript and declarations the package exports. With `vendorKeysFile`,
 * that file is shipped beside it as `vendor-public-keys.json`, which the application reads and passes
 * to `LeaseholdClient` as `vendorPublicKeys` (every lease is checked against it).
 */
export function applicationFolder(
  dir: string,
  files: Record<string, string>,
  options: { vendorKeysFile?: string } = {},
): string {
  mkdirSync(join(dir, 'node_modules', '@leasehold'), { recursive: true });
  symlinkSync(join(PACKAGES, 'client'), join(dir, 'node_modules', '@leasehold', 'client'), 'dir');
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: 'vendor-app', private: true, type: 'module' })}\n`,
  );
  if (options.vendorKeysFile) copyFileSync(options.vendorKeysFile, join(dir, 'vendor-public-keys.json'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}
