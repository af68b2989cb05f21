import type Database from 'better-sqlite3';

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: Error };

/** A decision: runs inside a transaction, given what its batch computed once (the time, the gate…). */
export type Decision<C, T> = (context: C) => Outcome<T>;

interface Waiting<C> {
  decide: Decision<C, unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

type Result = Outcome<unknown> | { ok: 'thrown'; error: unknown };

/**
 * Decisions that arrive in one turn of the event loop run in one IMMEDIATE transaction and commit
 * once (docs/architecture.md, departure 11): a commit writes the WAL frames of every page it changed,
 * so a batch shares the audit log's and the indexes' tail pages, the locks and the commit itself.
 * Each decision runs in its own savepoint, so one that throws undoes only its own writes; refusals
 * (ok: false) keep theirs (the denial's audit row), as a lone transaction would. The context is
 * computed once per batch, inside the transaction: every decision in it sees the same time and
 * allocation.
 */
export class DecisionQueue<C> {
  #waiting: Waiting<C>[] = [];
  #scheduled = false;

  private readonly db: Database.Database;
  private readonly context: () => C;
  private readonly maxBatch: number;

  constructor(db: Database.Database, context: () => C, maxBatch = 256) {
    this.db = db;
    this.context = context;
    this.maxBatch = maxBatch;
  }

  submit<T>(decide: Decision<C, T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#waiting.push({ decide, resolve: resolve as (value: unknown) => void, reject });
      this.#schedule();
    });
  }

  // setImmediate runs after the poll phase, so every request read in this turn joins the batch.
  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.#run());
  }

  #run(): void {
    this.#scheduled = false;
    const batch = this.#waiting.splice(0, this.maxBatch);
    if (this.#waiting.length > 0) this.#schedule();
    const results: Result[] = [];
    try {
      this.db
        .transaction(() => {
          const context = this.context();
          for (const item of batch) {
            try {
              // Nested: better-sqlite3 makes it a savepoint.
              results.push(this.db.transaction(item.decide)(context));
            } catch (error) {
              results.push({ ok: 'thrown', error });
            }
          }
        })
        .immediate();
    } catch (error) {
      // Nothing of the batch was committed.
      for (const item of batch) item.reject(error);
      return;
    }
    batch.forEach((item, i) => {
      const result = results[i] as Result;
      if (result.ok === true) item.resolve(result.value);
      else item.reject(result.error);
    });
  }
}
