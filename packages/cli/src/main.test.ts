import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from './main.ts';

const scratch = mkdtempSync(join(tmpdir(), 'leasehold-cli-main-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** One run of the program in this process, with buffers for its streams. */
async function run(args: string[], env: NodeJS.ProcessEnv = {}, stdin = '') {
  let stdout = '';
  let stderr = '';
  const code = await main(['node', 'leasehold', ...args], {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env,
    stdin: () => stdin,
  });
  return { code, stdout, stderr };
}

describe('main(argv, io) in-process', () => {
  it('writes help to the given stdout and returns 0, touching neither process stream nor exit code', async () => {
    const before = process.exitCode;
    const result = await run(['--help']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain('Usage: leasehold');
    for (const group of ['central', 'server', 'client', 'demo']) expect(result.stdout).toContain(group);
    expect(process.exitCode).toBe(before);
  });

  it('returns 1 with the error code on the given stderr, and the error document with --json', async () => {
    const dataDir = join(scratch, 'nothing-here');
    const plain = await run(['server', 'status', '--data-dir', dataDir]);
    expect(plain.code).toBe(1);
    expect(plain.stdout).toBe('');
    expect(plain.stderr).toMatch(/^error NOT_INITIALIZED: /);
    const json = await run(['server', 'status', '--data-dir', dataDir, '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).error.code).toBe('NOT_INITIALIZED');
  });

  it('reads its environment from io.env, not from the process', async () => {
    const result = await run(['server', 'status', '--json'], {
      LEASEHOLD_SERVER_DIR: join(scratch, 'from-env'),
    });
    expect(JSON.parse(result.stdout).error.message).toContain(join(scratch, 'from-env'));
    const bad = await run(['server', 'status', '--json'], { LEASEHOLD_CLOCK_OFFSET_MS: 'soon' });
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout).error.code).toBe('CONFIG_INVALID');
  });

  it('returns 2 for an unknown command, with the message on stderr', async () => {
    const result = await run(['nonsense']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown command 'nonsense'");
  });

  it('keeps the streams and exit codes of runs side by side apart', async () => {
    const runs = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        i % 2 === 0 ? run(['--help']) : run(['server', 'status', '--data-dir', join(scratch, `none-${i}`)]),
      ),
    );
    runs.forEach((result, i) => {
      if (i % 2 === 0) {
        expect(result).toMatchObject({ code: 0, stderr: '' });
      } else {
        expect(result.code).toBe(1);
        expect(result.stdout).toBe('');
        expect(result.stderr).toContain(join(scratch, `none-${i}`));
        expect(result.stderr.match(/error /g)).toHaveLength(1);
      }
    });
  });

  it('requires the vendor public key file for every client command that talks to a server', async () => {
    for (const command of ['activate', 'renew', 'release', 'checkout', 'return']) {
      const help = await run(['client', command, '--help']);
      expect(help.code, command).toBe(0);
      expect(help.stdout, command).toContain('--vendor-keys <file>');
    }
    const missing = await run(['client', 'activate', '--url', 'http://127.0.0.1:1', '--json']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("required option '--vendor-keys <file>' not specified");
  });

  it('reads a password from the given stdin', async () => {
    const args = ['server', 'proxy', 'set', 'http://proxy.example:3128', '--user', 'u', '--password-stdin'];
    const dataDir = join(scratch, 'proxy');
    const set = await run([...args, '--data-dir', dataDir, '--json'], {}, 'from-stdin\n');
    expect(set.code).toBe(0);
    expect(JSON.parse(set.stdout).proxy).toBe('http://u:****@proxy.example:3128');
    expect(readFileSync(join(dataDir, 'proxy.json'), 'utf8')).toContain('from-stdin');
    const empty = await run([...args, '--data-dir', dataDir, '--json'], {}, '');
    expect(JSON.parse(empty.stdout).error).toMatchObject({ code: 'INVALID_INPUT' });
    expect(empty.stderr).toContain('--password-stdin read no password');
  });
});

describe('help texts', () => {
  it('speak the users’ words: no rule ids such as "(L6)" in any command or option', async () => {
    const { COMMAND_TREES } = await import('./main.ts');
    const { readEnvironment } = await import('./environment.ts');
    const env = readEnvironment({});
    const texts: string[] = [];
    const walk = (command: Command) => {
      texts.push(`${command.name()}: ${command.description()}`);
      for (const option of command.options)
        texts.push(`${command.name()} ${option.flags}: ${option.description}`);
      for (const sub of command.commands) walk(sub);
    };
    for (const load of Object.values(COMMAND_TREES)) walk((await load.load())(env));
    expect(texts.length).toBeGreaterThan(100);
    expect(texts.filter((text) => /\(([SLMC]\d{1,2})(,\s*[SLMC]\d{1,2})*\)|\bissue \d/.test(text))).toEqual(
      [],
    );
  });
});
