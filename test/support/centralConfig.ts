import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { World } from './world.ts';

/**
 * Restarts the world's central server without its per-address and per-id sync limits: load tests
 * sync far more often than any real server may, and a limit is not what they test.
 */
export async function withoutSyncLimits(world: World): Promise<void> {
  await world.stop();
  const path = join(world.centralDir, 'central.json');
  const config = JSON.parse(readFileSync(path, 'utf8'));
  const unlimited = { ...config, syncRequestsPerMinutePerAddress: 0, syncRequestsPerMinutePerId: 0 };
  writeFileSync(path, `${JSON.stringify(unlimited, null, 2)}\n`, { mode: 0o600 });
  await world.startCentral();
}
