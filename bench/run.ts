/**
 * `npm run bench` (full, ~8 minutes here) and `npm run bench -- --quick` (the CI smoke run, under a
 * minute). Options: `--only renew,sync` runs some benchmarks; `--profile` makes every server process
 * write a V8 CPU profile to bench/profiles/. Writes bench/results.json and bench/results.md.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { measureActivate } from './activate.ts';
import { Bare, measureLoadGeneratorPlacement } from './baseline.ts';
import { measureCapacity } from './capacity.ts';
import { measureCentral } from './central.ts';
import { profiling } from './child.ts';
import { log, MODES, round } from './common.ts';
import { removeBenchRoot } from './fixtures.ts';
import { measureLeaseTokens } from './leaseToken.ts';
import { measureRenew } from './renew.ts';
import { Results } from './results.ts';
import { measureSdk } from './sdk.ts';
import { measureStartup } from './startup.ts';
import { measureSync } from './sync.ts';

const args = process.argv.slice(2);
const mode = MODES[args.includes('--quick') ? 'quick' : 'full'];
profiling.enabled = args.includes('--profile');
const onlyArg = args.find((a) => a.startsWith('--only'));
const only = onlyArg
  ? new Set((onlyArg.includes('=') ? onlyArg.split('=')[1] : args[args.indexOf(onlyArg) + 1])?.split(','))
  : undefined;
const CONNECTIONS = [100, 1000];

async function main(): Promise<number> {
  const startedAt = new Date();
  const started = performance.now();
  const results = new Results();
  // Other work on the machine shows here: the ratios are what to compare between runs.
  results.raw.loadAverage.start = loadavg();
  log(`${mode.name} run${only ? ` of ${[...only].join(', ')}` : ''}`);
  const wanted = (name: string) => !only || only.has(name);
  const step = async (name: string, run: () => Promise<void>) => {
    if (!wanted(name)) return;
    const t = performance.now();
    try {
      await run();
    } catch (error) {
      log(`${name} failed: ${(error as Error).stack ?? error}`);
      results.failures.push({ benchmark: name, error: (error as Error).message ?? String(error) });
    }
    results.raw[`seconds.${name}`] = round((performance.now() - t) / 1000, 1);
  };

  const bare =
    wanted('baseline') || wanted('renew') || wanted('activate') ? await Bare.start(mode, results) : undefined;
  if (bare) {
    if (mode.inProcessBaseline)
      await step('baseline', () => measureLoadGeneratorPlacement(mode, results, bare));
    await step('renew', () => measureRenew(mode, results, bare, CONNECTIONS));
    await step('activate', () => measureActivate(mode, results, bare));
    await bare.stop();
  }
  await step('capacity', () => measureCapacity(mode, results));
  await step('sync', () => measureSync(mode, results));
  await step('central', () => measureCentral(mode, results));
  await step('sdk', () => measureSdk(mode, results));
  await step('leaseTokens', () => measureLeaseTokens(mode, results));
  await step('startup', () => measureStartup(mode, results));

  removeBenchRoot();
  results.raw.loadAverage.end = loadavg();
  const seconds = (performance.now() - started) / 1000;
  const written = results.write(mode, startedAt, seconds);
  process.stdout.write(readFileSync(written.md, 'utf8'));
  log(`done in ${round(seconds, 1)} s: ${written.json}, ${written.md}`);
  return results.failures.length === 0 ? 0 : 1;
}

// Explicit exit: a keep-alive socket or pool left by a library must not hold the run open.
main().then(
  (code) => process.exit(code),
  (error) => {
    log(`bench failed: ${(error as Error).stack ?? error}`);
    removeBenchRoot();
    process.exit(1);
  },
);
