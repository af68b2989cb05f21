import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as turn } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { startCheckpointer } from './checkpointer.ts';

async function writeMegabytes(db: Database.Database, megabytes: number): Promise<void> {
  const insert = db.prepare('insert into t (blob) values (randomblob(4000))');
  for (let i = 0; i < megabytes * 256; i++) {
    db.transaction(() => insert.run()).immediate();
    // Like serve: transactions come in turns of the event loop, with the worker free to run between.
    if (i % 16 === 0) await turn();
  }
}

function fixture() {
  const path = join(mkdtempSync(join(tmpdir(), 'leasehold-checkpoint-')), 'db.sqlite');
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec('create table t (id integer primary key, blob blob)');
  return { db, walBytes: () => statSync(`${path}-wal`).size, dbBytes: () => statSync(path).size };
}

describe('background checkpoints', () => {
  it('keep the WAL bounded under steady writes, with the serving connection checkpointing rarely', async () => {
    const unchecked = fixture();
    unchecked.db.pragma('wal_autocheckpoint = 0');
    await writeMegabytes(unchecked.db, 24);
    expect(unchecked.walBytes()).toBeGreaterThan(24 * 1024 * 1024);
    unchecked.db.close();

    const served = fixture();
    const errors: string[] = [];
    const checkpointer = startCheckpointer(served.db, (message) => errors.push(message), 5, 1000);
    expect(served.db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    await writeMegabytes(served.db, 24);
    // How large the WAL grew during the burst depends on how the worker was scheduled (a slow
    // checkpoint delays the restart); that it is started over and cut back to the backstop's 4 MB
    // once the worker caught up does not. Each poll is one more write, where SQLite restarts a WAL.
    const insert = served.db.prepare('insert into t (blob) values (randomblob(10))');
    await expect
      .poll(() => (insert.run(), served.walBytes()), { timeout: 10_000, interval: 20 })
      .toBeLessThanOrEqual(4 * 1024 * 1024 + 64 * 1024);
    await checkpointer.stop();
    expect(errors).toEqual([]);
    expect(
      (served.db.prepare('select count(*) as n from t where length(blob) = 4000').get() as { n: number }).n,
    ).toBe(24 * 256);
    served.db.close();
  });

  it('copy pages into the database file from the worker, before the backstop would', async () => {
    const served = fixture();
    const checkpointer = startCheckpointer(served.db, () => undefined, 5, 4000);
    await writeMegabytes(served.db, 8);
    // 8 MB is half the backstop (4000 pages, 16 MB): only the worker can have filled the file.
    await expect.poll(() => served.dbBytes()).toBeGreaterThan(7 * 1024 * 1024);
    await checkpointer.stop();
    served.db.close();
  });
});
