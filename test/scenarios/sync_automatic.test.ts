import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS, type Daemon, daemon } from '../support/leasehold.ts';
import { type LocalServerHandle, World } from '../support/world.ts';

const MINUTE_MS = 60_000;
const at = (ms: number) => ({ LEASEHOLD_CLOCK_OFFSET_MS: String(ms) });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Edits server.json as an administrator would, with the server stopped. */
function configure(server: LocalServerHandle, patch: Record<string, unknown>): void {
  const path = join(server.dataDir, 'server.json');
  writeFileSync(path, JSON.stringify({ ...JSON.parse(readFileSync(path, 'utf8')), ...patch }, null, 2));
}

function serve(server: LocalServerHandle, offsetMs: number): Promise<Daemon> {
  return daemon(
    ['server', 'serve', '--data-dir', server.dataDir, '--port', '0', '--host', '127.0.0.1'],
    at(offsetMs),
  );
}

/** Reads `server status --json` until it shows what the test waits for. */
async function statusWhen(server: LocalServerHandle, offsetMs: number, done: (status: any) => boolean) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const status = await server.status(at(offsetMs));
    if (done(status)) return status;
    if (Date.now() > deadline) throw new Error(`gave up waiting: ${JSON.stringify(status.autoSync)}`);
    await sleep(200);
  }
}

describe('automatic synchronization, off by default, daily or weekly, with retries (S6, S11)', () => {
  let world: World;
  let id: string;
  let server: LocalServerHandle;

  /** The central server runs on the same shifted clock as the local one, or the sync is CLOCK_SKEW. */
  async function restartCentral(offsetMs: number) {
    await world.stop();
    world.env = at(offsetMs);
    await world.startCentral();
    configure(server, { centralPorts: [world.ports.primary, world.ports.fallback] });
  }

  async function centralSyncLog() {
    const shown = await world.vendor(['server-id', 'show', id, '--json']);
    expect(shown.code, shown.stderr).toBe(0);
    return shown.json.syncHistory as Array<{ outcome: string }>;
  }

  beforeAll(async () => {
    world = await World.start();
    id = await world.createServerId();
    await world.addLicense(id);
    server = await world.localServer(id);
    configure(server, { autoSyncCheckSeconds: 1 });
    const sync = await server.sync();
    expect(sync.code, sync.stderr).toBe(0);
  });
  afterAll(() => world?.stop());

  it('is off until `server sync auto` sets it, and keeps the setting in the database', async () => {
    expect((await server.status()).autoSync).toEqual({
      mode: 'off',
      nextRunAt: null,
      lastRunAt: null,
      lastOutcome: null,
      consecutiveFailures: 0,
      retryAt: null,
    });
    const wrong = await server.run(['sync', 'auto', 'hourly', '--json']);
    expect(wrong.code).not.toBe(0);
    expect(wrong.json.error.code).toBe('INVALID_INPUT');

    const set = await server.run(['sync', 'auto', 'weekly', '--json']);
    expect(set.code, set.stderr).toBe(0);
    const status = await server.status();
    const weekLater = new Date(Date.parse(status.lastSyncAt) + 7 * DAY_MS).toISOString();
    expect(set.json).toMatchObject({ mode: 'weekly', nextRunAt: weekLater });
    expect(status.autoSync).toMatchObject({ mode: 'weekly', nextRunAt: weekLater, lastRunAt: null });
    const human = await server.run(['status']);
    expect(human.stdout).toContain(`automatic sync:    weekly, next run ${weekLater}`);
  });

  it('syncs at start when the server was down at the scheduled time', async () => {
    const eightDays = 8 * DAY_MS;
    await restartCentral(eightDays);
    const before = await server.status(at(eightDays));
    expect((await centralSyncLog()).length).toBe(1);

    const running = await serve(server, eightDays);
    try {
      const after = await statusWhen(server, eightDays, (s) => s.autoSync.lastOutcome !== null);
      expect(after.autoSync).toMatchObject({ mode: 'weekly', lastOutcome: 'ok', consecutiveFailures: 0 });
      expect(Date.parse(after.lastSyncAt)).toBeGreaterThan(Date.parse(before.lastSyncAt) + 7 * DAY_MS);
      expect(after.allocationVersion).toBe(before.allocationVersion + 1);
      expect(after.autoSync.nextRunAt).toBe(
        new Date(Date.parse(after.lastSyncAt) + 7 * DAY_MS).toISOString(),
      );
      expect((await centralSyncLog()).map((row) => row.outcome)).toEqual(['ok', 'ok']);
    } finally {
      await running.stop();
    }
  });

  it('records a failed run with its code, waits its back-off, retries, and recovers', async () => {
    const due = 16 * DAY_MS;
    await world.stop();

    let running = await serve(server, due);
    let failed: any;
    try {
      failed = await statusWhen(server, due, (s) => s.autoSync.consecutiveFailures > 0);
      // The server checks every second, but waits out the back-off rather than retrying at once.
      await sleep(2_500);
      expect((await server.status(at(due))).autoSync.consecutiveFailures).toBe(1);
    } finally {
      await running.stop();
    }
    expect(failed.autoSync).toMatchObject({
      mode: 'weekly',
      lastOutcome: 'PORTS_BLOCKED',
      consecutiveFailures: 1,
    });
    const firstWait = Date.parse(failed.autoSync.retryAt) - Date.parse(failed.autoSync.lastRunAt);
    expect(firstWait).toBeGreaterThanOrEqual(4 * MINUTE_MS);
    expect(firstWait).toBeLessThanOrEqual(6 * MINUTE_MS);
    expect(failed.lastSyncAttempt).toMatchObject({ outcome: 'PORTS_BLOCKED', method: 'online' });
    expect(failed.messages).toContainEqual({
      level: 'warning',
      code: 'AUTO_SYNC_FAILED',
      text: expect.stringContaining('failed with PORTS_BLOCKED'),
    });
    expect((await server.run(['status'], at(due))).stdout).toContain('WARNING  AUTO_SYNC_FAILED');

    // Past the back-off (at most 6 minutes for the first failure), the retry fails again and waits longer.
    const retry = due + 7 * MINUTE_MS;
    running = await serve(server, retry);
    let again: any;
    try {
      again = await statusWhen(server, retry, (s) => s.autoSync.consecutiveFailures > 1);
    } finally {
      await running.stop();
    }
    const secondWait = Date.parse(again.autoSync.retryAt) - Date.parse(again.autoSync.lastRunAt);
    expect(secondWait).toBeGreaterThanOrEqual(8 * MINUTE_MS);
    expect(secondWait).toBeLessThanOrEqual(12 * MINUTE_MS);

    const recovery = due + 30 * MINUTE_MS;
    await restartCentral(recovery);
    running = await serve(server, recovery);
    try {
      const recovered = await statusWhen(server, recovery, (s) => s.autoSync.lastOutcome === 'ok');
      expect(recovered.autoSync).toMatchObject({ consecutiveFailures: 0, retryAt: null });
      expect(recovered.messages.map((m: { code: string }) => m.code)).not.toContain('AUTO_SYNC_FAILED');
      expect((await centralSyncLog()).map((row) => row.outcome)).toEqual(['ok', 'ok', 'ok']);
    } finally {
      await running.stop();
    }
  });
});
