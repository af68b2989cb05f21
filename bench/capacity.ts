import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { startTarget } from './child.ts';
import { load, log, MB, type Mode, round, settle, timed } from './common.ts';
import { benchFolder, benchLicense, createLocalFolder, insertLeases, leaseId } from './fixtures.ts';
import { renewRequests } from './requests.ts';
import type { Results } from './results.ts';

const RSS_TARGET_MB = 1024;
const RESTART_TARGET_MS = 2000;
const CLI = fileURLToPath(new URL('../packages/cli/bin/leasehold.js', import.meta.url));

async function renewOnce(url: string, i: number): Promise<number> {
  const response = await fetch(`${url}/v1/leases/${leaseId(i)}/renew`, { method: 'POST' });
  await response.arrayBuffer();
  return response.status;
}

/**
 * Capacity: leases inserted through LeaseStore in one transaction, then the real server opened on
 * them (`serveServer` in its own process), answering renewals over all of them; its RSS and peak RSS.
 */
export async function measureCapacity(mode: Mode, results: Results): Promise<void> {
  let restartDir: string | undefined;
  for (const n of mode.capacityLeases) {
    const label = n.toLocaleString('en-US');
    const dir = benchFolder(`capacity-${n}`);
    await createLocalFolder(dir, { licenses: [benchLicense()] });
    log(`capacity: inserting ${label} leases`);
    const inserted = insertLeases(dir, n);
    if (n === mode.restartLeases) restartDir = dir;
    results.add({
      section: 'Capacity',
      name: `insert ${label} active leases (LeaseStore, one transaction)`,
      value: round(inserted.ms / 1000, 2),
      unit: 's',
      note: `${Math.round(n / (inserted.ms / 1000)).toLocaleString('en-US')} leases/s; database ${round(inserted.dbBytes / MB, 1)} MB`,
    });
    const started = performance.now();
    const target = await startTarget({ kind: 'local', dataDir: dir }, `capacity-${n}`);
    try {
      const status = await renewOnce(target.url, n - 1);
      const firstAnswerMs = performance.now() - started;
      if (status !== 200) throw new Error(`the first renewal answered ${status}`);
      const opened = await target.stats();
      results.add({
        section: 'Capacity',
        name: `start with ${label} leases: process start to first answered renewal`,
        value: round(firstAnswerMs, 0),
        unit: 'ms',
        note: `open + listen inside the process ${round(target.ready.openMs, 0)} ms; RSS then ${round(opened.rss / MB, 0)} MB`,
      });
      log(`capacity: renewals over ${label} leases, 100 connections`);
      await settle(target.url);
      const served = await load({
        url: target.url,
        connections: 100,
        seconds: mode.loadSeconds,
        requests: renewRequests(n),
      });
      await settle(target.url);
      const stats = await target.stats();
      results.add({
        section: 'Capacity',
        name: `serve ${label} leases: renewals/s at 100 connections`,
        value: served.rate,
        unit: 'renewals/s',
        note: `p50 ${served.p50} ms, p99 ${served.p99} ms`,
      });
      const peakMb = stats.maxRss / MB;
      results.add({
        section: 'Capacity',
        name: `peak RSS holding and serving ${label} leases`,
        value: round(peakMb, 1),
        unit: 'MB',
        note: `RSS ${round(stats.rss / MB, 0)} MB, heap ${round(stats.heapUsed / MB, 0)} MB`,
        ...(n >= 1_000_000 ? { target: `≤ ${RSS_TARGET_MB} MB`, met: peakMb <= RSS_TARGET_MB } : {}),
      });
      results.raw[`capacity.${n}`] = { inserted, firstAnswerMs, openMs: target.ready.openMs, served, stats };
    } finally {
      await target.stop();
    }
  }
  if (restartDir) await measureRestart(mode, results, restartDir);
}

/** Restart: the real `leasehold server serve` program on a folder with leases on disk, start to first answer. */
async function measureRestart(mode: Mode, results: Results, dir: string): Promise<void> {
  const label = mode.restartLeases.toLocaleString('en-US');
  log(`capacity: restart of \`leasehold server serve\` with ${label} leases`);
  const samples: number[] = [];
  const rounds = mode.name === 'quick' ? 1 : 3;
  for (let i = 0; i < rounds; i++) {
    const { ms } = await timed(async () => {
      const child = spawn(
        process.execPath,
        [CLI, 'server', 'serve', '--data-dir', dir, '--port', '0', '--host', '127.0.0.1'],
        { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, LEASEHOLD_LOG_LEVEL: 'warn' } },
      );
      try {
        const port = await new Promise<number>((resolve, reject) => {
          let out = '';
          child.stdout.on('data', (chunk: Buffer) => {
            out += chunk.toString();
            const match = /"listening":\s*(\d+)/.exec(out);
            if (match) resolve(Number(match[1]));
          });
          child.once('exit', (code) => reject(new Error(`leasehold server serve exited (${code})`)));
        });
        const status = await renewOnce(`http://127.0.0.1:${port}`, i);
        if (status !== 200) throw new Error(`the first renewal answered ${status}`);
      } finally {
        // kill -9: the next start also recovers the WAL, as after a crash.
        const exited = once(child, 'exit');
        child.kill('SIGKILL');
        await exited;
      }
    });
    samples.push(ms);
  }
  const best = Math.min(...samples);
  const median = [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)] as number;
  results.add({
    section: 'Capacity',
    name: `restart with ${label} leases on disk: \`leasehold server serve\` start to first answered renewal`,
    value: round(median, 0),
    unit: 'ms',
    note: `median of ${rounds}, best ${round(best, 0)} ms; after kill -9; includes Node's own start`,
    target: `≤ ${RESTART_TARGET_MS} ms${mode.restartLeases < 100_000 ? ' (at 100,000)' : ''}`,
    met: median <= RESTART_TARGET_MS,
  });
  results.raw.restart = samples;
}
