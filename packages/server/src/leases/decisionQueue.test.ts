import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { DecisionQueue, type Outcome } from './decisionQueue.ts';

function fixture(maxBatch?: number) {
  const db = new Database(join(mkdtempSync(join(tmpdir(), 'leasehold-queue-')), 'q.db'));
  db.pragma('journal_mode = WAL');
  db.exec('create table t (x integer primary key)');
  let contexts = 0;
  const queue = new DecisionQueue(db, () => ({ batch: ++contexts }), maxBatch);
  const insert = db.prepare('insert into t (x) values (?)');
  const rows = () => (db.prepare('select x from t order by x').all() as { x: number }[]).map((r) => r.x);
  return { db, queue, insert, rows, contexts: () => contexts };
}

const settle = (promises: Promise<unknown>[]) =>
  Promise.allSettled(promises).then((all) =>
    all.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)),
  );

describe('DecisionQueue', () => {
  it('runs the decisions of one event-loop turn in one transaction, each kept or undone on its own', async () => {
    const { queue, insert, rows, contexts } = fixture();
    const ok = (x: number) => (context: { batch: number }) => {
      insert.run(x);
      return { ok: true, value: `${x} in batch ${context.batch}` } as Outcome<string>;
    };
    const results = await settle([
      queue.submit(ok(1)),
      queue.submit(() => {
        insert.run(2);
        throw new Error('decision 2 broke');
      }),
      // A refusal keeps its writes (a denial's audit row), as a lone transaction would.
      queue.submit(() => {
        insert.run(3);
        return { ok: false, error: new Error('decision 3 refused') };
      }),
      queue.submit(ok(4)),
    ]);
    expect(results).toEqual(['1 in batch 1', 'decision 2 broke', 'decision 3 refused', '4 in batch 1']);
    expect(rows()).toEqual([1, 3, 4]);
    expect(contexts()).toBe(1);

    // The next turn is the next batch.
    expect(await queue.submit(ok(5))).toBe('5 in batch 2');
  });

  it('splits a burst larger than the batch size over several transactions, in order', async () => {
    const { queue, insert, rows, contexts } = fixture(2);
    const results = await settle(
      [1, 2, 3, 4, 5].map((x) =>
        queue.submit((c: { batch: number }) => {
          insert.run(x);
          return { ok: true, value: c.batch };
        }),
      ),
    );
    expect(results).toEqual([1, 1, 2, 2, 3]);
    expect(contexts()).toBe(3);
    expect(rows()).toEqual([1, 2, 3, 4, 5]);
  });

  it('rejects the whole batch and writes nothing when the transaction itself fails', async () => {
    const { db, queue, insert, rows } = fixture();
    // Another connection holds the write lock past the busy timeout: BEGIN IMMEDIATE fails.
    const other = new Database(db.name);
    db.pragma('busy_timeout = 0');
    other.exec('begin immediate');
    const results = await settle(
      [1, 2].map((x) =>
        queue.submit(() => {
          insert.run(x);
          return { ok: true, value: x };
        }),
      ),
    );
    other.exec('rollback');
    expect(results).toEqual(['database is locked', 'database is locked']);
    expect(rows()).toEqual([]);
    other.close();
  });
});
