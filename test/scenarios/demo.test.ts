import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, fetch } from 'undici';
import { describe, expect, it } from 'vitest';
import { leasehold, npmStart, tempDir } from '../support/leasehold.ts';

describe('`leasehold demo` (what `npm start` runs)', () => {
  it('runs both servers with a demo license, one sync, and prints where to go next', async () => {
    const dir = join(tempDir('demo'), 'demo');
    // Exactly what a new user types after `npm install`: `npm start` (with this test's folder).
    const demo = await npmStart(['--dir', dir, '--json']);
    try {
      const summary = demo.info;
      expect(summary.status).toMatchObject({ synchronized: true, allocationVersion: 1, daysRemaining: 365 });
      expect(summary.status.licenses[0].components.map((c: { name: string }) => c.name)).toEqual([
        'Base',
        'Analysis',
        'Export',
      ]);
      // Both servers speak HTTPS under the demo's own CA, and nothing else trusts it.
      expect(summary.central.url).toMatch(/^https:/);
      expect(summary.server.clientUrl).toMatch(/^https:/);
      await expect(fetch(`${summary.server.clientUrl}/healthz`)).rejects.toThrow();
      const dispatcher = new Agent({ connect: { ca: readFileSync(summary.tls.caFile, 'utf8') } });
      expect((await fetch(`${summary.central.url}/healthz`, { dispatcher })).status).toBe(200);
      expect((await fetch(`${summary.server.clientUrl}/healthz`, { dispatcher })).status).toBe(200);
      expect(summary.manager.webUi).toBe(`${summary.server.clientUrl}/manager/`);
      // The admin account the demo prints opens the Manager's admin API.
      const login = await fetch(`${summary.manager.adminApi}/session`, {
        dispatcher,
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
