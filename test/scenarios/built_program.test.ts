import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BIN, leaseholdProcess, tempDir } from '../support/leasehold.ts';

const DIST = fileURLToPath(new URL('../../packages/cli/dist/', import.meta.url));

/** Smoke tests of the real program as a process; the other scenarios call its main() in-process. */
describe('the built `leasehold` program', () => {
  it('prints its help and exits 0', async () => {
    const result = await leaseholdProcess(['--help']);
    expect(result, result.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^Usage: leasehold /);
  });

  it('exits 1 with the error code on stderr and the document on stdout with --json', async () => {
    const dataDir = join(tempDir('built'), 'none');
    const result = await leaseholdProcess(['server', 'status', '--json', '--data-dir', dataDir]);
    expect(result.code).toBe(1);
    expect(result.json.error.code).toBe('NOT_INITIALIZED');
    expect(result.stderr).toMatch(/^error NOT_INITIALIZED: /);
  });

  it('exits 2 on an unknown command', async () => {
    expect((await leaseholdProcess(['nonsense'])).code).toBe(2);
  });

  it('runs built JavaScript with no TypeScript loader', () => {
    expect(readFileSync(BIN, 'utf8')).toContain("import('../dist/main.js')");
    const files = readdirSync(DIST, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.js'));
    expect(files).toContain('main.js');
    for (const file of files) {
      const code = readFileSync(join(DIST, file), 'utf8');
      // No loader, and no import of a TypeScript file.
      expect(code, file).not.toMatch(/(?:from|import\()\s*["'](?:tsx(?:\/[^"']*)?|[^"']+(?<!\.d)\.ts)["']/);
    }
  });
});
