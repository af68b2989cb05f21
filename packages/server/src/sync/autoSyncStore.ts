import { LeaseholdError } from '@leasehold/protocol';
import { z } from 'zod';
import type { ServerStore } from '../store/serverStore.ts';
import { AUTO_SYNC_MODES, type AutoSyncFacts, type AutoSyncMode, planAutoSync } from './schedule.ts';

// Two meta rows, not one: the CLI writes the mode while a running `serve` writes its runs, and
// neither may overwrite the other's half.
const MODE_KEY = 'autoSync.mode';
const RUN_KEY = 'autoSync.lastRun';

const modeSchema = z.enum(AUTO_SYNC_MODES);

const runSchema = z.strictObject({
  at: z.iso.datetime(),
  /** `ok`, or the error code of the failure. */
  outcome: z.string().min(1),
  consecutiveFailures: z.int().min(0),
  retryAt: z.iso.datetime().nullable(),
});
export type AutoSyncRunRecord = z.infer<typeof runSchema>;

/** `autoSync` in `server status --json` and the answer of `server sync auto`. */
export interface AutoSyncStatus {
  mode: AutoSyncMode;
  nextRunAt: string | null;
  lastRunAt: string | null;
  lastOutcome: string | null;
  consecutiveFailures: number;
  retryAt: string | null;
}

export function autoSyncMode(store: ServerStore): AutoSyncMode {
  const parsed = modeSchema.safeParse(store.meta(MODE_KEY));
  // Off is the default (S6), and the safe reading of a value this version does not know.
  return parsed.success ? parsed.data : 'off';
}

/** `server sync auto off|daily|weekly`: persisted, so it survives restarts; recorded in the audit log. */
export function setAutoSyncMode(store: ServerStore, mode: string, at: Date): AutoSyncMode {
  const parsed = modeSchema.safeParse(mode);
  if (!parsed.success) {
    throw new LeaseholdError(
      'INVALID_INPUT',
      `automatic sync is one of ${AUTO_SYNC_MODES.join(', ')}, not ${JSON.stringify(mode)}`,
    );
  }
  const before = autoSyncMode(store);
  store.db
    .transaction(() => {
      store.setMeta(MODE_KEY, parsed.data);
      store.db
        .prepare('insert into audit_log (at, action, detail) values (?, ?, ?)')
        .run(at.getTime(), 'sync.auto', `automatic sync ${parsed.data} (was ${before})`);
    })
    .immediate();
  return parsed.data;
}

export function lastAutoSyncRun(store: ServerStore): AutoSyncRunRecord | undefined {
  const value = store.meta(RUN_KEY);
  if (value === undefined) return undefined;
  try {
    const parsed = runSchema.safeParse(JSON.parse(value));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export function recordAutoSyncRun(store: ServerStore, run: AutoSyncRunRecord): void {
  store.setMeta(RUN_KEY, JSON.stringify(runSchema.parse(run)));
}

export function readAutoSyncFacts(
  store: ServerStore,
  run: AutoSyncRunRecord | undefined = lastAutoSyncRun(store),
): AutoSyncFacts {
  return {
    mode: autoSyncMode(store),
    lastSuccessAt: store.lastSyncAt(),
    lastAttemptAt: run ? new Date(run.at) : undefined,
    consecutiveFailures: run?.consecutiveFailures ?? 0,
    retryAt: run?.retryAt ? new Date(run.retryAt) : undefined,
  };
}

export function readAutoSyncStatus(store: ServerStore, now: Date): AutoSyncStatus {
  const run = lastAutoSyncRun(store);
  const facts = readAutoSyncFacts(store, run);
  const plan = planAutoSync(facts, now);
  return {
    mode: facts.mode,
    nextRunAt: plan.nextRunAt?.toISOString() ?? null,
    lastRunAt: run?.at ?? null,
    lastOutcome: run?.outcome ?? null,
    consecutiveFailures: plan.consecutiveFailures,
    retryAt: plan.retryAt?.toISOString() ?? null,
  };
}
