import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain JavaScript module without declarations
import { buildTypes } from '../../scripts/build.mjs';
import { applicationFolder } from '../support/application.ts';
import { tempDir } from '../support/leasehold.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSC = join(ROOT, 'node_modules', '.bin', 'tsc');

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    noEmit: true,
    types: ['node'],
    typeRoots: [join(ROOT, 'node_modules', '@types')],
  },
  files: ['app.ts'],
};

function typeCheck(app: string) {
  const dir = applicationFolder(tempDir('sdk-types'), {
    'app.ts': app,
    'tsconfig.json': JSON.stringify(TSCONFIG),
  });
  const result = spawnSync(TSC, ['-p', dir], { encoding: 'utf8' });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('the SDK in a plain TypeScript project (the package as published, no source condition)', () => {
  // The declarations the package exports, made from the current sources.
  beforeAll(() => buildTypes(['protocol', 'client']));

  it('type-checks an application that imports @leasehold/client', () => {
    const result = typeCheck(
      [
        "import { readFileSync } from 'node:fs';",
        "import { type ActiveLease, LeaseholdClient, LeaseholdError } from '@leasehold/client';",
        'const client = new LeaseholdClient({',
        "  url: 'https://licenses.example:443',",
        "  vendorPublicKeys: readFileSync('vendor-public-keys.json', 'utf8'),",
        "  user: 'ann',",
        '});',
        "const held: Promise<ActiveLease> = client.activate({ components: ['Base'] });",
        'held.catch((error: unknown) => (error instanceof LeaseholdError ? error.code : undefined));',
      ].join('\n'),
    );
    expect(result, result.output).toMatchObject({ code: 0 });
  });

  it('refuses a wrong use, so the types are really checked', () => {
    const result = typeCheck(
      [
        "import { LeaseholdClient } from '@leasehold/client';",
        "new LeaseholdClient({ adress: 'https://licenses.example' });",
      ].join('\n'),
    );
    expect(result.code).not.toBe(0);
    expect(result.output).toContain("'adress' does not exist");
  });

  it('requires the vendor public keys: a client without them does not type-check', () => {
    const result = typeCheck(
      [
        "import { LeaseholdClient } from '@leasehold/client';",
        "new LeaseholdClient({ url: 'https://licenses.example:443', user: 'ann' });",
      ].join('\n'),
    );
    expect(result.code).not.toBe(0);
    expect(result.output).toContain("Property 'vendorPublicKeys' is missing");
  });
});
