import type { License } from '@leasehold/protocol';
import type { LocalServer } from './localServer.ts';
import { type StatusMessage, statusMessages } from './status/messages.ts';
import { type AutoSyncStatus, readAutoSyncStatus } from './sync/autoSyncStore.ts';
import { syncState } from './sync/state.ts';

export interface ServerStatus {
  licenseServerId: string;
  serverKeyId: string;
  centralUrl: string;
  synchronized: boolean;
  lastSyncAt: string | null;
  synchronizedUntil: string | null;
  daysRemaining: number;
  allocationVersion: number;
  syncCount: number;
  clock: { state: 'ok' | 'rollback'; now: string; highWater: string | null };
  lastSyncAttempt: { at: string; method: string; outcome: string; detail: string | null } | null;
  licenses: License[];
  /** Automatic synchronization (S6): its mode, the next run, and how the last one went. */
  autoSync: AutoSyncStatus;
  /** What the administrator should know or do (S11), most serious first. */
  messages: StatusMessage[];
}

/** `leasehold server status`: the document the CLI prints and, later, the Manager shows. */
export function readStatus(server: LocalServer): ServerStatus {
  const judgement = server.guard.judge();
  const now = judgement.ok ? judgement.now : judgement.highWater;
  const state = syncState(server.store.syncWindow(), now);
  const invalid = server.store.stateError();
  const stored = server.store.currentAllocation();
  const highWater = server.guard.floor();
  const attempt = server.store.db
    .prepare('select at, method, outcome, detail from sync_history order by id desc limit 1')
    .get() as ServerStatus['lastSyncAttempt'] | undefined;
  const clock: ServerStatus['clock'] = {
    state: judgement.ok ? 'ok' : 'rollback',
    now: now.toISOString(),
    highWater: highWater === undefined ? null : new Date(highWater).toISOString(),
  };
  const licenses = stored?.allocation.licenses ?? [];
  const autoSync = readAutoSyncStatus(server.store, now);
  return {
    licenseServerId: server.config.licenseServerId,
    serverKeyId: server.keys.signing.kid,
    centralUrl: server.config.centralUrl,
    ...state,
    // S10: a rolled-back clock stops issuing, so the server does not count as synchronized.
    synchronized: state.synchronized && judgement.ok && !invalid,
    allocationVersion: stored?.allocation.version ?? 0,
    syncCount: server.store.syncCount(),
    clock,
    lastSyncAttempt: attempt ?? null,
    licenses,
    autoSync,
    messages: statusMessages({
      now,
      sync: state,
      clock,
      licenses,
      autoSync,
      stateRollbackAt: server.store.meta('sync.stateRollbackAt') ?? null,
      stateInvalid: server.store.stateInvalidReason() ?? null,
    }),
  };
}
