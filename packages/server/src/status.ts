import type { License } from '@leasehold/protocol';
import type { LocalServer } from './localServer.ts';
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
}

/** `leasehold server status`: the document the CLI prints and, later, the Manager shows. */
export function readStatus(server: LocalServer): ServerStatus {
  const judgement = server.guard.judge();
  const now = judgement.ok ? judgement.now : judgement.highWater;
  const state = syncState(server.store.lastSyncAt(), now);
  const stored = server.store.currentAllocation();
  const highWater = server.store.clockHighWater();
  const attempt = server.store.db
    .prepare('select at, method, outcome, detail from sync_history order by id desc limit 1')
    .get() as ServerStatus['lastSyncAttempt'] | undefined;
  return {
    licenseServerId: server.config.licenseServerId,
    serverKeyId: server.keys.signing.kid,
    centralUrl: server.config.centralUrl,
    ...state,
    // S10: a rolled-back clock stops issuing, so the server does not count as synchronized.
    synchronized: state.synchronized && judgement.ok,
    allocationVersion: stored?.allocation.version ?? 0,
    syncCount: server.store.syncCount(),
    clock: {
      state: judgement.ok ? 'ok' : 'rollback',
      now: now.toISOString(),
      highWater: highWater === undefined ? null : new Date(highWater).toISOString(),
    },
    lastSyncAttempt: attempt ?? null,
    licenses: stored?.allocation.licenses ?? [],
  };
}
