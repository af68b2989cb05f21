import { type LocalServer, openLocalServer, type ServerStatus } from '@leasehold/server';
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
  const server = await openLocalServer(dataDir, env.clock);
  try {
    return await fn(server);
  } finally {
    server.close();
  }
}

export function describeStatus(s: ServerStatus): string {
  const lines = [
    `license server id: ${s.licenseServerId}`,
    `synchronized:      ${s.synchronized ? 'yes' : 'NO'}${s.synchronized ? `, ${s.daysRemaining} day(s) left to sync (synchronized until ${s.synchronizedUntil})` : ''}`,
    `last sync:         ${s.lastSyncAt ?? 'never'} (allocation version ${s.allocationVersion})`,
  ];
  if (s.clock.state === 'rollback')
    lines.push(`clock:             ROLLED BACK behind ${s.clock.highWater}; set the system clock right`);
  if (s.lastSyncAttempt && s.lastSyncAttempt.outcome !== 'ok') {
    lines.push(`last attempt:      ${s.lastSyncAttempt.at} ${s.lastSyncAttempt.outcome}`);
  }
  lines.push(`licenses:          ${s.licenses.length}`);
  for (const l of s.licenses) {
    lines.push(
      `  ${l.number}  until ${l.expiryDate}  ${l.components.map((c) => `${c.name}=${c.seats}`).join(' ')}`,
    );
  }
  return lines.join('\n');
}
