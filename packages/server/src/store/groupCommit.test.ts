import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServerApp } from '../http/app.ts';
import type { LocalServer } from '../localServer.ts';
import { syncedLocalServer } from '../test-support/localServer.ts';
import { license } from '../test-support/syncedServer.ts';
import { GroupCommit, walFlush } from './groupCommit.ts';

/** A flush the test finishes by hand, counting how many were started. */
function manualFlush() {
  const started: Array<{ finish: () => void; fail: (e: Error) => void }> = [];
  const flush = () =>
    new Promise<void>((resolve, reject) => {
      started.push({ finish: resolve, fail: reject });
    });
  return { flush, started };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
const settled = (p: Promise<unknown>) => {
  let done = false;
  p.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  return () => done;
};

describe('GroupCommit', () => {
  it('gives a burst of callers one flush, started after they all called', async () => {
    const { flush, started } = manualFlush();
    const group = new GroupCommit(flush);
    const waits = Array.from({ length: 50 }, () => group.durable());
    expect(started).toHaveLength(0);
    await turn();
    expect(started).toHaveLength(1);
    started[0]?.finish();
    await Promise.all(waits);
  });

  it('never lets a caller ride a flush that started before it called', async () => {
    const { flush, started } = manualFlush();
    const group = new GroupCommit(flush);
    const first = group.durable();
    await turn();
    expect(started).toHaveLength(1);
    // These commit while the first fsync runs: it may not cover them.
    const late = [group.durable(), group.durable()];
    const lateDone = settled(Promise.all(late));
    started[0]?.finish();
    await first;
    await turn();
    expect(lateDone()).toBe(false);
    expect(started).toHaveLength(2);
    started[1]?.finish();
    await Promise.all(late);
  });

  it('fails the callers of a failed flush, and the next caller gets a fresh one', async () => {
    const { flush, started } = manualFlush();
    const group = new GroupCommit(flush);
    const failed = group.durable();
    await turn();
    started[0]?.fail(new Error('EIO'));
    await expect(failed).rejects.toThrow('EIO');
    const next = group.durable();
    await turn();
    expect(started).toHaveLength(2);
    started[1]?.finish();
    await expect(next).resolves.toBeUndefined();
  });
});

describe('walFlush', () => {
  it('syncs the WAL of a live WAL-mode database, and treats a missing WAL as nothing to sync', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'leasehold-wal-'));
    const db = new Database(join(dir, 'db.sqlite'));
    db.pragma('journal_mode = WAL');
    db.exec('create table t (x)');
    db.prepare('insert into t values (1)').run();
    const flush = walFlush(join(dir, 'db.sqlite'));
    await expect(flush()).resolves.toBeUndefined();
    await expect(flush()).resolves.toBeUndefined();
    await flush.close();
    db.close();
    await expect(walFlush(join(dir, 'never.sqlite'))()).resolves.toBeUndefined();
  });
});

describe('answers to changes wait for the fsync (power-loss durability)', () => {
  let server: LocalServer;
  let app: ReturnType<typeof buildServerApp>;
  const manual = manualFlush();

  beforeAll(async () => {
    ({ server } = await syncedLocalServer([license({ components: [{ name: 'Base', seats: 5 }] })]));
    server.useGroupCommit(manual.flush);
    app = buildServerApp(server);
  });
  afterAll(async () => {
    await app.close();
    server.close();
  });

  it('holds a grant until the batch is on disk, then answers it', async () => {
    const answer = app.inject({
      method: 'POST',
      url: '/v1/leases',
      payload: { components: ['Base'], user: 'ann', computer: 'ws-1' },
    });
    const answered = settled(answer);
    for (let i = 0; i < 20 && manual.started.length === 0; i++) await turn();
    // Committed (another reader sees it) but not acknowledged before the fsync.
    expect(server.leases.list()).toHaveLength(1);
    expect(manual.started).toHaveLength(1);
    expect(answered()).toBe(false);
    manual.started[0]?.finish();
    expect((await answer).statusCode).toBe(201);
  });

  it('does not hold reads', async () => {
    const before = manual.started.length;
    const health = await app.inject({ method: 'GET', url: '/healthz' });
    expect(health.statusCode).toBe(200);
    expect(manual.started).toHaveLength(before);
  });
});
