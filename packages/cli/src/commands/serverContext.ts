import { type AutoSyncStatus, type LocalServer, openLocalServer, type ServerStatus } from '@leasehold/server';
import { Option } from 'commander';
import type { Environment } from '../environment.ts';

/** What every `leasehold server …` command shares: its data folder, --json, an opened server. */
export type Json = { json?: boolean; dataDir: string };

export const dataDirOption = (env: Environment) =>
  new Option('--data-dir <dir>', 'server data folder (env LEASEHOLD_SERVER_DIR)').default(env.serverDir);
export const jsonOption = () => new Option('--json', 'print one JSON document');

export async function withServer<T>(
  env: Environment,
  dataDir: string,
  fn: (s: LocalServer) => Promise<T>,
): Promise<T> {
  const server = await openLocalServer(dataDir, env.clock, { proxyEnvironment: env.proxy });
  try {
    return await fn(server);
  } finally {
    server.close();
  }
}

/** The server's time for records: the clock's high-water mark while the clock is wound back. */
export function effectiveNow(server: LocalServer): Date {
  const judgement = server.guard.judge();
  return judgement.ok ? judgement.now : judgement.highWater;
}

export function describeAutoSync(a: AutoSyncStatus): string {
  if (a.mode === 'off') return 'off';
  const parts = [`${a.mode}, next run ${a.nextRunAt}`];
  if (a.lastRunAt) parts.push(`last run ${a.lastRunAt} ${a.lastOutcome}`);
  if (a.consecutiveFailures > 0) parts.push(`${a.consecutiveFailures} failure(s) in a row`);
  return parts.join('; ');
}

const LEVEL_LABEL = { error: 'ERROR  ', warning: 'WARNING', info: 'info   ' } as const;

export function describeStatus(s: ServerStatus): string {
  const lines = [
    `license server id: ${s.licenseServerId}`,
    `synchronized:      ${s.synchronized ? 'yes' : 'NO'}${s.synchronized ? `, ${s.daysRemaining} day(s) left to sync (synchronized until ${s.synchronizedUntil})` : ''}`,
    `last sync:         ${s.lastSyncAt ?? 'never'} (allocation version ${s.allocationVersion})`,
    `automatic sync:    ${describeAutoSync(s.autoSync)}`,
  ];
  if (s.lastSyncAttempt && s.lastSyncAttempt.outcome !== 'ok') {
    lines.push(`last attempt:      ${s.lastSyncAttempt.at} ${s.lastSyncAttempt.outcome}`);
  }
  lines.push(`licenses:          ${s.licenses.length}`);
  for (const l of s.licenses) {
    lines.push(
      `  ${l.number}  until ${l.expiryDate}  ${l.components.map((c) => `${c.name}=${c.seats}`).join(' ')}`,
    );
  }
  // A wound-back clock, a sync falling due, an expiring license: all come as messages (S11).
  if (s.messages.length > 0) {
    lines.push('messages:');
    for (const m of s.messages) lines.push(`  ${LEVEL_LABEL[m.level]}  ${m.code}: ${m.text}`);
  }
  return lines.join('\n');
}
