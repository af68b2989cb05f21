import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

// Runs in a worker thread with its own connection: a checkpoint copies WAL pages into the database
// file and fsyncs it, which on the serving connection would stall every request behind the disk.
const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.path, { fileMustExist: true });
const run = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (error) {
    parentPort.postMessage({ error: String(error && error.message ? error.message : error) });
  }
};
const timer = setInterval(run, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  db.close();
  parentPort.postMessage({ stopped: true });
});
`;

export interface Checkpointer {
  /** Stops the worker after closing its connection, so the serving connection closes last. */
  stop(): Promise<void>;
}

/**
 * Background checkpoints for `serve` (docs/architecture.md, departure 11): a worker thread runs a
 * PASSIVE checkpoint every `intervalMs`, copying WAL pages into the database file off the event loop;
 * PASSIVE never waits for a lock, so it cannot block a decision. It cannot finish alone under steady
 * writes (new frames arrive while it copies, and SQLite starts the WAL over only after a complete
 * checkpoint), so the serving connection keeps a checkpoint of its own at a larger size,
 * `backstopPages`: by then the worker has copied nearly everything, and what is left is the tail and
 * the fsyncs. Durability is unchanged: SQLite syncs the WAL before a checkpoint copies it and the
 * database file before the WAL is reused, whichever connection checkpoints.
 */
export function startCheckpointer(
  db: Database.Database,
  onError: (message: string) => void,
  intervalMs = 100,
  backstopPages = 4000,
): Checkpointer {
  db.pragma(`wal_autocheckpoint = ${backstopPages}`);
  // A WAL that once grew (a burst while a checkpoint was slow) would otherwise keep its size on disk:
  // SQLite reuses the file; with a limit it cuts it back when it starts the WAL over.
  const pageBytes = db.pragma('page_size', { simple: true }) as number;
  db.pragma(`journal_size_limit = ${backstopPages * pageBytes}`);
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: {
      module: createRequire(import.meta.url).resolve('better-sqlite3'),
      path: db.name,
      intervalMs,
    },
  });
  // The worker must not keep a stopping program alive.
  worker.unref();
  const stopped = new Promise<void>((resolve) => {
    worker.on('message', (message: { error?: string; stopped?: boolean }) => {
      if (message.error) onError(message.error);
      if (message.stopped) resolve();
    });
    worker.on('error', (error) => {
      onError(error.message);
      resolve();
    });
    worker.on('exit', () => resolve());
  });
  return {
    async stop() {
      worker.postMessage('stop');
      await stopped;
      await worker.terminate();
      // Back to SQLite's default, for whatever the connection does before it closes.
      db.pragma('wal_autocheckpoint = 1000');
      db.pragma('journal_size_limit = -1');
    },
  };
}
