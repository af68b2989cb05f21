import {
  type Allocation,
  type AuditAnchor,
  LeaseholdError,
  SYNC_WINDOW_MS,
  type VerifiedCertificate,
} from '@leasehold/protocol';
import type Database from 'better-sqlite3';
import type { SyncWindow } from '../sync/state.ts';
import type { VerifyCertificate } from './signedState.ts';

export interface StoredAllocation {
  allocation: Allocation;
  receivedAt: string;
  method: string;
  /** The vendor-signed certificate the allocation was read from: what checkout and lease tokens carry. */
  certificate: string;
  /** When the sync counts from: the signed issue time, or the receipt if that was earlier. */
  lastSyncAt: Date;
  /** The signed end of the sync window (S1). */
  notAfter: Date;
}

export interface ApplyAllocation {
  /** The certificate, already verified by the caller with the keys it trusts for this response. */
  certificate: VerifiedCertificate & { compact: string };
  requestId: string;
  method: 'online' | 'file';
  receivedAt: Date;
  clockHighWater: Date;
  /**
   * The server was in CLOCK_ROLLBACK and this verified response's signed time agrees with the
   * system clock: the clock floor is set to `clockHighWater`, lower than before (S10, S12).
   */
  clockReset?: { from: number };
}

type AllocationRow = { version: number; certificate: string | null; received_at: string; method: string };
type Loaded = { version: number; stored?: StoredAllocation; invalid?: LeaseholdError; reason?: string };

/** The local server's durable state, over prepared better-sqlite3 statements. */
export class ServerStore {
  readonly #db: Database.Database;
  readonly #verify: VerifyCertificate;
  readonly #getMeta: Database.Statement<[string], { value: string }>;
  readonly #setMeta: Database.Statement<[string, string]>;
  readonly #row: Database.Statement<[number], AllocationRow>;
  readonly #latestVersion: Database.Statement<[], { v: number | null }>;
  readonly #floor: Database.Statement<[]>;
  #loaded: Loaded | undefined;

  /**
   * `verify` checks a stored certificate against the vendor keys (signedState.ts): the allocation,
   * the sync time and the sync window are read from the certificate only, so no edit of a row
   * grants anything.
   */
  constructor(db: Database.Database, verify: VerifyCertificate) {
    this.#db = db;
    this.#verify = verify;
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
    this.#row = db.prepare(
      'select version, certificate, received_at, method from allocations where version = ?',
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
   * The stored allocation, verified once per version: the lease path asks on every request, and
   * another process (a CLI sync) may have stored a newer one since, so the version is read each time.
   * Undefined when there is none or the newest does not verify (`stateError` says why): nothing is
   * ever granted from an allocation that does not verify, and an older one is not used instead.
   */
  currentAllocation(): StoredAllocation | undefined {
    return this.#load()?.stored;
  }

  /** LOCAL_STATE_INVALID when the newest stored allocation does not verify; undefined otherwise. */
  stateError(): LeaseholdError | undefined {
    return this.#load()?.invalid;
  }

  /** Why the newest stored allocation does not verify, for the status page; undefined when it does. */
  stateInvalidReason(): string | undefined {
    return this.#load()?.reason;
  }

  /**
   * The audit chain's head, and the entries earlier requests reported as head as they read now (hash
   * '' when one is gone): the last answered request's, and those of requests whose answer never came
   * (the central may have answered them). The central compares them with what it kept (S12).
   */
  auditAnchor(): AuditAnchor | undefined {
    const head = this.#db.prepare('select id, hash from audit_log order by id desc limit 1').get() as
      | { id: number; hash: string | null }
      | undefined;
    if (!head) return undefined;
    const answered = this.meta('audit.anchor');
    const pending = this.#db
      .prepare(
        // Every unanswered one, newest first: the central may have answered a request file after a
        // later online sync, and keeps the head of whichever it answered last.
        'select audit_head from sync_requests where answered_at is null and audit_head is not null order by rowid desc limit 31',
      )
      .pluck()
      .all() as number[];
    const ids = [...new Set([...(answered === undefined ? [] : [Number(answered)]), ...pending])];
    if (ids.length === 0) return { head: { id: head.id, hash: head.hash ?? '' } };
    const hashOf = this.#db.prepare('select hash from audit_log where id = ?').pluck();
    return {
      head: { id: head.id, hash: head.hash ?? '' },
      anchored: ids.map((id) => ({ id, hash: (hashOf.get(id) as string | null | undefined) ?? '' })),
    };
  }

  /** The highest version stored, verified or not: what a sync request claims, so the vendor sees an edit. */
  storedVersion(): number {
    return this.#latestVersion.get()?.v ?? 0;
  }

  #load(): Loaded | undefined {
    const latest = this.#latestVersion.get()?.v ?? null;
    if (latest === null) return undefined;
    if (this.#loaded?.version === latest) return this.#loaded;
    this.#loaded = this.#read(latest);
    return this.#loaded;
  }

  #read(version: number): Loaded {
    const row = this.#row.get(version);
    const invalid = (why: string) => {
      const reason = `allocation version ${version} in server.db ${why}; synchronize (\`leasehold server sync\`, or by file) to replace it`;
      return { version, reason, invalid: new LeaseholdError('LOCAL_STATE_INVALID', reason) };
    };
    if (!row) return invalid('could not be read');
    if (row.certificate === null)
      return invalid('was stored by an earlier Leasehold without its vendor certificate');
    let verified: VerifiedCertificate;
    try {
      verified = this.#verify(row.certificate);
    } catch (error) {
      return invalid(
        `does not verify with the vendor's keys (${error instanceof Error ? error.message : error})`,
      );
    }
    const { payload } = verified;
    if (payload.allocation.version !== row.version)
      return invalid(`carries a certificate for allocation version ${payload.allocation.version}`);
    const signedAt = Date.parse(payload.issuedAt);
    return {
      version,
      stored: {
        allocation: payload.allocation,
        receivedAt: row.received_at,
        method: row.method,
        certificate: row.certificate,
        lastSyncAt: new Date(Math.min(signedAt, Date.parse(row.received_at) || signedAt)),
        // S1 caps the window whatever a certificate says.
        notAfter: new Date(Math.min(Date.parse(payload.notAfter), signedAt + SYNC_WINDOW_MS)),
      },
    };
  }

  /** The newest version whose certificate verifies (0 if none): the one a response must be newer than. */
  verifiedVersion(): number {
    const versions = this.#db
      .prepare('select version from allocations order by version desc')
      .pluck()
      .all() as number[];
    for (const version of versions) if (this.#read(version).stored) return version;
    return 0;
  }

  lastSyncAt(): Date | undefined {
    return this.currentAllocation()?.lastSyncAt;
  }

  /** The signed sync window of the stored allocation, if it verifies (S1). */
  syncWindow(): SyncWindow | undefined {
    const stored = this.currentAllocation();
    return stored ? { lastSyncAt: stored.lastSyncAt, notAfter: stored.notAfter } : undefined;
  }

  syncCount(): number {
    return Number(this.meta('sync.count') ?? 0);
  }

  recordPendingRequest(
    requestId: string,
    createdAt: Date,
    method: 'online' | 'file',
    auditHead?: number,
  ): void {
    this.#db
      .prepare('insert into sync_requests (request_id, created_at, method, audit_head) values (?, ?, ?, ?)')
      .run(requestId, createdAt.toISOString(), method, auditHead ?? null);
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
    const { payload } = input.certificate;
    const allocation = payload.allocation;
    const run = this.#db.transaction(() => {
      // S2 against the newest version that verifies: a row that does not (an edit, a forged version
      // 99) cannot block the vendor's answer; it is removed, and the audit log says so.
      const verified = this.verifiedVersion();
      if (verified >= allocation.version) {
        throw new LeaseholdError(
          'RESPONSE_STALE',
          `stored version ${verified}, response version ${allocation.version}`,
        );
      }
      const pending = this.#db
        .prepare('select answered_at, audit_head from sync_requests where request_id = ?')
        .get(input.requestId) as { answered_at: string | null; audit_head: number | null } | undefined;
      if (!pending)
        throw new LeaseholdError(
          'RESPONSE_NOT_FOR_THIS_REQUEST',
          'this server never sent the request it answers',
        );
      if (pending.answered_at)
        throw new LeaseholdError('RESPONSE_STALE', 'the request it answers was already answered');
      const discarded = this.#db
        .prepare('delete from allocations where version > ? returning version')
        .pluck()
        .all(verified) as number[];
      const at = input.receivedAt.toISOString();
      if (discarded.length)
        this.#db
          .prepare('insert into audit_log (at, action, code, detail) values (?, ?, ?, ?)')
          .run(
            input.receivedAt.getTime(),
            'state.discarded',
            'LOCAL_STATE_INVALID',
            `allocation version(s) ${discarded.join(', ')} did not verify and were replaced by version ${allocation.version}`,
          );
      // `document` is a readable copy; what the server enforces is read from the certificate.
      this.#db
        .prepare(
          'insert into allocations (version, issued_at, received_at, method, document, certificate) values (?, ?, ?, ?, ?, ?)',
        )
        .run(
          allocation.version,
          payload.issuedAt,
          at,
          input.method,
          JSON.stringify(allocation),
          input.certificate.compact,
        );
      this.#db
        .prepare('update sync_requests set answered_at = ? where request_id = ?')
        .run(at, input.requestId);
      this.setMeta('sync.count', String(this.syncCount() + 1));
      if (pending.audit_head !== null) this.setMeta('audit.anchor', String(pending.audit_head));
      if (input.clockReset) this.#resetClock(input.clockHighWater, input.clockReset.from);
      else this.raiseClockHighWater(input.clockHighWater);
      this.recordSyncOutcome(input.receivedAt, input.method, 'ok', undefined, allocation.version);
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
