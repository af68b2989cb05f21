import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { daemon, leasehold, tempDir } from '../support/leasehold.ts';

describe('`leasehold demo` (what `npm start` runs)', () => {
  it('runs both servers with a demo license, one sync, and prints where to go next', async () => {
    const dir = join(tempDir('demo'), 'demo');
    const demo = await daemon(['demo', '--dir', dir, '--json']);
    try {
      const summary = demo.info;
      expect(summary.status).toMatchObject({ synchronized: true, allocationVersion: 1, daysRemaining: 366 });
      expect(summary.status.licenses[0].components.map((c: { name: string }) => c.name)).toEqual([
        'Base',
        'Analysis',
        'Export',
      ]);
      expect((await fetch(`${summary.central.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${summary.server.clientUrl}/healthz`)).status).toBe(200);
      // The admin account the demo prints opens the Manager's admin API.
      const login = await fetch(`${summary.manager.adminApi}/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user: summary.manager.adminUser, password: summary.manager.adminPassword }),
      });
      expect(login.status).toBe(200);

      // The commands the demo suggests work against its folders while it runs.
      const env = {
        LEASEHOLD_CENTRAL_DIR: summary.central.dataDir,
        LEASEHOLD_SERVER_DIR: summary.server.dataDir,
      };
      const listed = await leasehold(['central', 'server-id', 'list', '--json'], env);
      expect(listed.json.serverIds).toHaveLength(1);
      const sync = await leasehold(['server', 'sync', '--json'], env);
      expect(sync.code, sync.stderr).toBe(0);
      const status = await leasehold(['server', 'status', '--json'], env);
      expect(status.json.allocationVersion).toBe(2);
    } finally {
      await demo.stop();
    }
  });
});
