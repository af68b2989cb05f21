import { type FileHandle, open, stat } from 'node:fs/promises';
import type Database from 'better-sqlite3';

/** Makes everything committed so far survive power loss. */
export type Flush = () => Promise<void>;

/**
 * Group commit for `serve` (L2; docs/architecture.md, departure 11): transactions commit with
 * `synchronous = NORMAL` (in the WAL, safe from a killed process, not yet from power loss), and an
 * answer that acknowledges a change waits for `durable()`: one fdatasync of the WAL file, off the
 * event loop, covers every transaction committed before it started. Decisions go on while it runs;
 * they wait for the next one. So the cost is one fsync per batch, not one per decision.
 *
 * Why the WAL file alone: in WAL mode SQLite syncs the WAL before a checkpoint copies it into the
 * database and syncs the database before it restarts the WAL, so a synced WAL holds every commit
 * not already synced into the database file. The WAL is only deleted when the last connection
 * closes, which `serve`'s connection never is while it runs; a changed or missing file is still
 * handled (reopened, or nothing left to sync).
 */
const ignore = () => undefined;

export class GroupCommit {
  #running: Promise<void> | undefined;
  #pending: Promise<void> | undefined;
  readonly #flush: Flush;

  constructor(flush: Flush) {
    this.#flush = flush;
  }

  /** Resolves once every transaction committed before this call is on stable storage. */
  durable(): Promise<void> {
    this.#pending ??= this.#schedule();
    return this.#pending;
  }

  // A flush starts after every caller that joined it has committed: at the next turn of the event
  // loop when none runs (so one request burst shares it), else when the running one, which may
  // have started before their commits, has finished.
  #schedule(): Promise<void> {
    const gate = this.#running ?? new Promise<void>((resolve) => setImmediate(resolve));
    return gate.then(() => {
      this.#pending = undefined;
      const run = this.#flush();
      const tracked: Promise<void> = run.then(ignore, ignore).then(() => {
        if (this.#running === tracked) this.#running = undefined;
      });
      this.#running = tracked;
      return run;
    });
  }
}

/** The WAL file's fdatasync, reopening the file when SQLite has replaced it. */
export function walFlush(databasePath: string): Flush & { close(): Promise<void> } {
  const walPath = `${databasePath}-wal`;
  let handle: FileHandle | undefined;
  let inode: number | undefined;
  const flush = async () => {
    let current: number;
    try {
      current = (await stat(walPath)).ino;
    } catch (error) {
      // No WAL: everything was checkpointed (and synced) into the database file.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    if (!handle || inode !== current) {
      await handle?.close();
      handle = await open(walPath, 'r');
      inode = (await handle.stat()).ino;
    }
    await handle.datasync();
  };
  return Object.assign(flush, { close: async () => handle?.close() });
}

/** Switches a connection to group commit: commits stop waiting for fsync, `durable()` does it. */
export function enableGroupCommit(db: Database.Database, flush: Flush): GroupCommit {
  db.pragma('synchronous = NORMAL');
  return new GroupCommit(flush);
}
