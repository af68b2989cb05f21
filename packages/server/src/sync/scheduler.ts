import { LeaseholdError } from '@leasehold/protocol';
import type { LocalServer } from '../localServer.ts';
import { readAutoSyncFacts, recordAutoSyncRun } from './autoSyncStore.ts';
import { afterFailedRun, planAutoSync } from './schedule.ts';
import type { SyncResult } from './syncClient.ts';
import type { SyncTransport } from './transport.ts';

/** What the scheduler uses of a local server; tests hand it one whose transport they control. */
export type AutoSyncServer = Pick<LocalServer, 'store' | 'guard' | 'syncClient' | 'durable'> & {
  onlineTransport(): SyncTransport;
};

export interface AutoSyncOptions {
  server: AutoSyncServer;
  /** How often the schedule is checked (`autoSyncCheckSeconds`); the check itself costs two meta reads. */
  intervalMs: number;
  signal: AbortSignal;
  /** Draws the back-off jitter, in [0, 1). */
  random?: () => number;
  onRun?: (run: AutoSyncRun) => void;
  onError?: (error: unknown) => void;
}

export type AutoSyncRun =
  | { ok: true; at: string; result: SyncResult }
  | { ok: false; at: string; code: string; error: unknown; consecutiveFailures: number; retryAt: string };

export interface AutoSyncScheduler {
  /**
   * One check: runs an online sync when one is due and none is running. The timer calls it; tests
   * call it after moving their clock. Resolves to the run, or undefined when nothing ran.
   */
  tick(): Promise<AutoSyncRun | undefined>;
  /** Resolves once no run is in flight. */
  settled(): Promise<void>;
}

/**
 * Automatic synchronization (S6), until the signal aborts. The mode and the last run live in the
 * database and are read at every check, so `server sync auto` takes effect in a running `serve`, and a
 * run missed while the server was down is due at the first check, made at once on start.
 */
export function startAutoSync(options: AutoSyncOptions): AutoSyncScheduler {
  const { server, signal } = options;
  const random = options.random ?? Math.random;
  let inFlight: Promise<AutoSyncRun> | undefined;

  async function run(at: Date, failuresBefore: number): Promise<AutoSyncRun> {
    try {
      const result = await server.syncClient.sync(server.onlineTransport());
      // An applied allocation must not roll back at a power cut: the central already counts it.
      await server.durable();
      recordAutoSyncRun(server.store, {
        at: at.toISOString(),
        outcome: 'ok',
        consecutiveFailures: 0,
        retryAt: null,
      });
      return { ok: true, at: at.toISOString(), result };
    } catch (error) {
      // Closing the server mid-run shuts the database under it: that is no failure to record.
      if (signal.aborted) throw error;
      // SyncClient.sync has already put the failure, with its code, in the sync history and audit log.
      const code = error instanceof LeaseholdError ? error.code : 'INTERNAL';
      const next = afterFailedRun(failuresBefore, at, random);
      const retryAt = next.retryAt.toISOString();
      recordAutoSyncRun(server.store, {
        at: at.toISOString(),
        outcome: code,
        consecutiveFailures: next.consecutiveFailures,
        retryAt,
      });
      return { ok: false, at: at.toISOString(), code, error, ...next, retryAt };
    }
  }

  async function tick(): Promise<AutoSyncRun | undefined> {
    // Only one sync at a time: a check that comes while one runs leaves it alone.
    if (signal.aborted || inFlight) return undefined;
    const judgement = server.guard.judge();
    // A wound-back clock refuses every sync (CLOCK_ROLLBACK) and the status says so already;
    // retrying would only fill the history.
    if (!judgement.ok) return undefined;
    const plan = planAutoSync(readAutoSyncFacts(server.store), judgement.now);
    if (!plan.due) return undefined;
    const current = run(judgement.now, plan.consecutiveFailures);
    inFlight = current;
    try {
      return await current;
    } finally {
      inFlight = undefined;
    }
  }

  const check = () => {
    tick().then(
      (result) => {
        if (result) options.onRun?.(result);
      },
      (error) => {
        if (!signal.aborted) options.onError?.(error);
      },
    );
  };

  if (!signal.aborted) {
    const timer = setInterval(check, options.intervalMs);
    timer.unref();
    signal.addEventListener('abort', () => clearInterval(timer), { once: true });
    check();
  }

  return {
    tick,
    settled: async () => {
      await inFlight?.catch(() => undefined);
    },
  };
}
