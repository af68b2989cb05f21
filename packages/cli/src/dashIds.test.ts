import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from './main.ts';

const scratch = mkdtempSync(join(tmpdir(), 'leasehold-cli-dash-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function run(args: string[]) {
  let stderr = '';
  const code = await main(['node', 'leasehold', ...args], {
    stdout: { write: () => undefined },
    stderr: { write: (text: string) => (stderr += text) },
    env: {},
    stdin: () => '',
  });
  return { code, stderr };
}

// Key ids and lease ids are base64url: one in 64 starts with '-'. A vendor retiring such a key, or an
// administrator releasing such a lease, must reach the command, not "unknown option" (it happened in CI).
describe('ids that start with a dash', () => {
  const missing = join(scratch, 'not-initialized');
  it.each([
    ['central', 'keys', 'retire', '-sbQ3u2HTpsy04t_5FEndUUNFJIszY01dNsC0w6lX98'],
    ['server', 'release', '-AAAAAAAAAAAAAAAAAAAAA'],
  ])('%s %s %s takes %s as the id', async (...command) => {
    const result = await run([...command, '--data-dir', missing, '--json']);
    expect(result.stderr).not.toContain('unknown option');
    expect(result.stderr).toContain('NOT_INITIALIZED');
  });
});
