import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestLicense } from '../support/clockOffsets.ts';
import { type LocalServerHandle, World } from '../support/world.ts';

/** Drops the append-only triggers and runs `sql` on the real server.db, as a customer with a shell can. */
function withoutTriggers(server: LocalServerHandle, sql: string): void {
  const db = new Database(join(server.dataDir, 'server.db'));
  try {
    db.exec(
      'drop trigger if exists audit_append_only_update; drop trigger if exists audit_append_only_delete;',
    );
    db.exec(sql);
  } finally {
    db.close();
  }
}

/**
 * The anchored audit chain (S12; docs/leases.md, Audit integrity): a chain cut short verifies on the
 * machine, as any prefix of a hash chain does; the vendor, who holds the head of the last sync, sees
 * it at the next one.
 */
describe('the customer cuts the tail of the audit log', () => {
  let world: World;
  let server: LocalServerHandle;
  let id: string;

  beforeAll(async () => {
    world = await World.start();
    id = await world.createServerId();
    await world.addLicense(id);
    server = await world.localServer(id);
    expect((await server.sync()).code).toBe(0);
  });
  afterAll(() => world?.stop());

  const flagsOfLastSync = async () => {
    const shown = await world.vendor(['server-id', 'show', id, '--json']);
    return shown.json.syncHistory[0].flags as string[];
  };

  it('is not flagged while the chain only grows', async () => {
    expect((await requestLicense(server, 0)).status).toBe(201);
    expect((await server.sync()).code).toBe(0);
    expect(await flagsOfLastSync()).toEqual([]);
    const verify = await server.run(['audit', 'verify']);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/anchored through entry \d+/);
  });

  it('still verifies on the machine once the tail is cut, and the next sync shows the vendor AUDIT_CHAIN_NOT_EXTENDING', async () => {
    // Everything since the last sync's head is removed: the grants of the day, and the sync rows.
    withoutTriggers(
      server,
      "delete from audit_log where id >= (select min(id) from audit_log where action = 'lease.granted')",
    );
    const verify = await server.run(['audit', 'verify', '--json']);
    expect(verify.code).toBe(0);
    expect(verify.json.ok).toBe(true);
    expect((await server.sync()).code).toBe(0);
    expect(await flagsOfLastSync()).toContain('AUDIT_CHAIN_NOT_EXTENDING');
    const shown = await world.vendor(['server-id', 'show', id]);
    expect(shown.stdout).toContain('warning AUDIT_CHAIN_NOT_EXTENDING');
  });

  it('shows a chain recomputed from the start too', async () => {
    expect((await server.sync()).code).toBe(0);
    expect(await flagsOfLastSync()).toEqual([]);
    // Rewrite every detail and recompute every hash: `audit verify` cannot tell, the vendor can.
    withoutTriggers(server, "update audit_log set detail = 'nothing happened', hash = null");
    const db = new Database(join(server.dataDir, 'server.db'));
    const { auditHash } = await import('../../packages/server/src/store/auditChain.ts');
    let previous = '';
    for (const row of db.prepare('select * from audit_log order by id').all() as Array<
      Record<string, unknown>
    >) {
      previous = auditHash(previous, row as never);
      db.prepare('update audit_log set hash = ? where id = ?').run(previous, row.id);
    }
    db.close();
    expect((await server.run(['audit', 'verify'])).code).toBe(0);
    expect((await server.sync()).code).toBe(0);
    expect(await flagsOfLastSync()).toContain('AUDIT_CHAIN_NOT_EXTENDING');
  });
});
