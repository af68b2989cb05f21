import { type Allocation, allocationSchema, LeaseholdError } from '@leasehold/protocol';
import type Database from 'better-sqlite3';

export interface StoredAllocation {
  allocation: Allocation;
  receivedAt: string;
  method: string;
}

export interface ApplyAllocation {
  allocation: Allocation;
  serverKeyCertificate: string;
  requestId: string;
  method: 'online' | 'file';
  receivedAt: Date;
  /** The vendor-signed issue time: the 366 days count from it (never from later than receipt). */
  signedAt: Date;
  clockHighWater: Date;
  /**
   * The server was in CLOCK_ROLLBACK and this verified response's signed time agrees with the
   * system clock: the clock floor is set to `clockHighWater`, lower than before (S10, S12).
   */
  clockReset?: { from: number };
}

/** The local server's durable state, over prepared better-sqlite3 statements. */
export class ServerStore {
  readonly #db: Database.Database;
  readonly #getMeta: Database.Statement<[string], { value: string }>;
  readonly #setMeta: Database.Statement<[string, string]>;
  readonly #current: Database.Statement<[], { document: string; received_at: string; method: string }>;
  readonly #latestVersion: Database.Statement<[], { v: number | null }>;
  readonly #floor: Database.Statement<[]>;
  #cached: StoredAllocation | undefined;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#getMeta = db.prepare('select value from meta where key = ?');
    this.#setMeta = db.prepare(
      'insert into meta (key, value) values (?, ?) on conflict(key) do update set value = excluded.value',
    );
    this.#latestVersion = db.prepare('select max(version) as v from allocations');
    // The newest audit row by id, not the largest time: one index step, and after a clock reset the
    // reset row itself is the newest, so rows written while the clock was ahead no longer count.
    this.#floor = db.prepare(
      `select (select cast(value as integer) from meta where key = 'clock.highWater') as mark,
              (select at from audit_log order by id desc limit 1) as tail`,
    );
    this.#current = db.prepare(
      'select document, received_at, method from allocations order by version desc limit 1',
    );
  }

  get db(): Database.Database {
    return this.#db;
  }

  meta(key: string): string | undefined {
    return this.#getMeta.get(key)?.value;
  }

  setMeta(key: string, value: string): void {
    this.#setMeta.run(key, value);
  }

  /**
   * The stored allocation, parsed once per version: the lease path asks on every request, and
   * another process (a CLI sync) may have stored a newer one since, so the version is read each time.
   */
  currentAllocation(): StoredAllocation | undefined {
    const latest = this.#latestVersion.get()?.v ?? null;
    if (latest === null) return undefined;
    if (this.#cached?.allocation.version === latest) return this.#cached;
    const row = this.#current.get();
    if (!row) return undefined;
    this.#cached = {
      allocation: allocationSchema.parse(JSON.parse(row.document)),
      receivedAt: row.received_at,
      method: row.method,
    };
    return this.#cached;
  }

  lastSyncAt(): Date | undefined {
    const value = this.meta('sync.lastAt');
    return value ? new Date(value) : undefined;
  }

  syncCount(): number {
    return Number(this.meta('sync.count') ?? 0);
  }

  recordPendingRequest(requestId: string, createdAt: Date, method: 'online' | 'file'): void {
    this.#db
      .prepare('insert into sync_requests (request_id, created_at, method) values (?, ?, ?)')
      .run(requestId, createdAt.toISOString(), method);
  }

  /** Every sync attempt goes to the sync history and the audit log (L7). */
  recordSyncOutcome(at: Date, method: string, outcome: string, detail?: string, version?: number): void {
    this.#db
      .prepare(
        'insert into sync_history (at, method, outcome, allocation_version, detail) values (?, ?, ?, ?, ?)',
      )
      .run(at.toISOString(), method, outcome, version ?? null, detail ?? null);
    this.#db
      .prepare('insert into audit_log (at, action, code, detail) values (?, ?, ?, ?)')
      .run(
        at.getTime(),
        outcome === 'ok' ? 'sync' : 'sync.failed',
        outcome === 'ok' ? null : outcome,
        outcome === 'ok' ? `${method} sync, allocation version ${version}` : `${method}: ${detail ?? ''}`,
      );
  }

  /**
   * Stores a verified allocation atomically with its version (S2): the version and the request are
   * checked again inside the write transaction, so that a second process applying the same or an
   * older response at the same moment is refused and nothing is half-written.
   */
  applyAllocation(input: ApplyAllocation): void {
    const run = this.#db.transaction(() => {
      const current = this.#db.prepare('select max(version) as v from allocations').get() as {
        v: number | null;
      };
      if ((current.v ?? 0) >= input.allocation.version) {
        throw new LeaseholdError(
          'RESPONSE_STALE',
          `stored version ${current.v}, response version ${input.allocation.version}`,
        );
      }
      const pending = this.#db
        .prepare('select answered_at from sync_requests where request_id = ?')
        .get(input.requestId) as { answered_at: string | null } | undefined;
      if (!pending)
        throw new LeaseholdError(
          'RESPONSE_NOT_FOR_THIS_REQUEST',
          'this server never sent the request it answers',
        );
      if (pending.answered_at)
        throw new LeaseholdError('RESPONSE_STALE', 'the request it answers was already answered');
      const at = input.receivedAt.toISOString();
      this.#db
        .prepare(
          'insert into allocations (version, issued_at, received_at, method, document) values (?, ?, ?, ?, ?)',
        )
        .run(
          input.allocation.version,
          input.allocation.issuedAt,
          at,
          input.method,
          JSON.stringify(input.allocation),
        );
      this.#db
        .prepare('update sync_requests set answered_at = ? where request_id = ?')
        .run(at, input.requestId);
      // S1: the 366 days count from the signed issue time, so a response imported late gains nothing.
      this.setMeta(
        'sync.lastAt',
        new Date(Math.min(input.signedAt.getTime(), input.receivedAt.getTime())).toISOString(),
      );
      this.setMeta('serverKeyCertificate', input.serverKeyCertificate);
      this.setMeta('sync.count', String(this.syncCount() + 1));
      if (input.clockReset) this.#resetClock(input.clockHighWater, input.clockReset.from);
      else this.raiseClockHighWater(input.clockHighWater);
      this.recordSyncOutcome(input.receivedAt, input.method, 'ok', undefined, input.allocation.version);
    });
    run.immediate();
  }

  clockHighWater(): number | undefined {
    const value = this.meta('clock.highWater');
    return value === undefined ? undefined : Number(value);
  }

  /**
   * The time the clock may not go back behind (S10): the later of the stored mark and the newest
   * audit row. Every grant, renewal, sync and admin action writes an audit row, so deleting the mark
   * (or restoring an older `meta`) lowers nothing; the audit log is append-only and hash-chained.
   */
  clockFloor(): number | undefined {
    const row = this.#floor.get() as { mark: number | null; tail: number | null };
    const times = [row.mark, row.tail].filter((t): t is number => t !== null);
    return times.length ? Math.max(...times) : undefined;
  }

  /** Lowers the floor to `to`, recorded in the audit log: only for a clock a signed sync proved right. */
  #resetClock(to: Date, from: number): void {
    this.setMeta('clock.highWater', String(to.getTime()));
    this.#db
      .prepare('insert into audit_log (at, action, detail) values (?, ?, ?)')
      .run(
        to.getTime(),
        'clock.reset',
        `the clock was behind ${new Date(from).toISOString()}; a signed sync response agreed with it at ${to.toISOString()}`,
      );
  }

  raiseClockHighWater(at: Date): void {
    this.#db
      .prepare(
        `insert into meta (key, value) values ('clock.highWater', ?)
         on conflict(key) do update set value = excluded.value where cast(value as integer) < cast(excluded.value as integer)`,
      )
      .run(String(at.getTime()));
  }
}
