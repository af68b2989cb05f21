import { describe, expect, it } from 'vitest';
import { license, syncedEngine } from '../test-support/syncedServer.ts';
import { auditHash, type ChainedRow, verifyAuditChain } from './auditChain.ts';

const CAD = license({ components: [{ name: 'Base', seats: 3 }] });

function busyLog() {
  const setup = syncedEngine([CAD]);
  const { engine } = setup;
  const db = setup.store.db;
  for (const user of ['ann', 'bob', 'cat']) {
    const lease = engine.activate({ components: ['Base'], user, computer: `${user}-pc` });
    engine.renew(lease.id);
    if (user !== 'cat') engine.release(lease.id, { kind: 'floating', by: 'client' });
  }
  expect(() => engine.activate({ components: ['Nope'], user: 'dan', computer: 'x' })).toThrow();
  return { db, engine };
}

describe('the audit hash chain', () => {
  it('chains every entry from every writer, and verifies', () => {
    const { db } = busyLog();
    const rows = db.prepare('select id, hash from audit_log order by id').all() as Array<{ hash: string }>;
    expect(rows.length).toBeGreaterThan(8);
    expect(rows.every((r: { hash: string }) => /^[0-9a-f]{64}$/.test(r.hash))).toBe(true);
    expect(verifyAuditChain(db)).toMatchObject({ ok: true, entries: rows.length });
  });

  it('refuses edits and deletions through SQL', () => {
    const { db } = busyLog();
    expect(() => db.prepare("update audit_log set detail = 'x' where id = 2").run()).toThrow(/append-only/);
    expect(() => db.prepare('delete from audit_log where id = 2').run()).toThrow(/append-only/);
    expect(verifyAuditChain(db).ok).toBe(true);
  });

  it('names the first edited entry when someone drops the guards and edits one', () => {
    const { db } = busyLog();
    db.exec('drop trigger audit_append_only_update');
    db.prepare("update audit_log set user_name = 'mallory' where id = 4").run();
    expect(verifyAuditChain(db)).toMatchObject({ ok: false, brokenAt: 4 });
  });

  it('names the entry after a deleted one', () => {
    const { db } = busyLog();
    db.exec('drop trigger audit_append_only_delete');
    db.prepare('delete from audit_log where id = 5').run();
    expect(verifyAuditChain(db)).toMatchObject({ ok: false, brokenAt: 6 });
  });

  it('is not fooled by an edit whose hash was recomputed for that entry alone', () => {
    const { db } = busyLog();
    db.exec('drop trigger audit_append_only_update');
    // Rewriting entry 3 consistently breaks entry 4's link instead.
    const row = db.prepare('select * from audit_log where id = 3').get() as ChainedRow;
    const previous = (db.prepare('select hash from audit_log where id = 2').get() as ChainedRow)
      .hash as string;
    const forged = { ...row, detail: 'forged' };
    db.prepare('update audit_log set detail = ?, hash = ? where id = 3').run(
      'forged',
      auditHash(previous, forged),
    );
    expect(verifyAuditChain(db)).toMatchObject({ ok: false, brokenAt: 4 });
  });
});
