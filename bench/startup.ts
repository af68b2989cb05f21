import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { log, type Mode, round } from './common.ts';
import { benchFolder, benchLicense, createLocalFolder } from './fixtures.ts';
import type { Results } from './results.ts';

const CLI = fileURLToPath(new URL('../packages/cli/bin/leasehold.js', import.meta.url));
const STARTUP_TARGET_RATIO = 3;

/** Milliseconds from spawn to exit of `node ARGS`, which must exit 0. */
function run(args: string[]): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, args, { encoding: 'utf8', env: { PATH: process.env.PATH } });
  const ms = performance.now() - started;
  if (result.status !== 0)
    throw new Error(`node ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return ms;
}

const median = (samples: number[]) =>
  [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)] as number;

/**
 * How fast the `leasehold` program starts, against Node starting and doing nothing (`node -e 0`),
 * the two measured in turns so that both see the same machine: `--help`, and `server status --json`
 * on a synchronized server (its data folder opened, the status read and printed).
 */
export async function measureStartup(mode: Mode, results: Results): Promise<void> {
  const rounds = mode.name === 'quick' ? 5 : 10;
  log(`startup: node -e 0, leasehold --help and server status --json, ${rounds} rounds each`);
  const { dataDir } = await createLocalFolder(benchFolder('startup'), { licenses: [benchLicense()] });
  const commands: Record<string, string[]> = {
    'node -e 0': ['-e', '0'],
    'leasehold --help': [CLI, '--help'],
    'leasehold server status --json': [CLI, 'server', 'status', '--json', '--data-dir', dataDir],
  };
  for (const args of Object.values(commands)) run(args); // warm the page cache
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
  for (let i = 0; i < rounds; i++)
    for (const [name, args] of Object.entries(commands)) samples[name]?.push(run(args));
  const node = median(samples['node -e 0'] as number[]);
  for (const name of ['leasehold --help', 'leasehold server status --json']) {
    const value = median(samples[name] as number[]);
    const ratio = value / node;
    results.add({
      section: 'CLI start',
      name: `\`${name}\`: spawn to exit`,
      value: round(value, 0),
      unit: 'ms',
      baseline: { name: '`node -e 0`', value: round(node, 0), unit: 'ms' },
      ratio,
      note: `median of ${rounds}; ratio = ${name} / node -e 0`,
      target: `≤ ${STARTUP_TARGET_RATIO}× node -e 0`,
      met: ratio <= STARTUP_TARGET_RATIO,
    });
  }
  results.raw.startup = samples;
}
