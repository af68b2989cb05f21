import type Database from 'better-sqlite3';
import type { Usage } from './choose.ts';

export interface LeaseRow {
  id: string;
  seat_id: string;
  kind: 'floating' | 'checkout';
  license_number: string;
  components: string;
  user_name: string;
  computer: string;
  domain: string | null;
  instance: string | null;
  granted_at: number;
  renewed_at: number;
  expires_at: number;
}

export interface AuditRow {
  id: number;
  at: number;
  action: string;
  lease_id: string | null;
  license_number: string | null;
  user_name: string | null;
  computer: string | null;
  code: string | null;
  detail: string | null;
}

export type AuditInput = Omit<
  AuditRow,
  'id' | 'lease_id' | 'license_number' | 'user_name' | 'computer' | 'code' | 'detail'
> &
  Partial<Omit<AuditRow, 'id' | 'at' | 'action'>>;

/**
 * The lease tables, over prepared statements (the hot path: ~100k statements/s here). Callers
 * run these inside one IMMEDIATE transaction per decision, so that no interleaving of requests,
 * in this process or another, can count a seat twice.
 */
export class LeaseStore {
  readonly #usage: Database.Statement<[string, string], { n: number }>;
  readonly #due: Database.Statement<[number], LeaseRow>;
  readonly #deleteLease: Database.Statement<[string]>;
  readonly #deleteSeatIfEmpty: Database.Statement<[string, string]>;
  readonly #insertSeat: Database.Statement<unknown[]>;
  readonly #insertSeatComponent: Database.Statement<[string, string, string]>;
  readonly #insertLease: Database.Statement<unknown[]>;
  readonly #find: Database.Statement<[string], LeaseRow>;
  readonly #sharedSeat: Database.Statement<[string], { id: string }>;
  readonly #seatComponents: Database.Statement<[string], { component: string }>;
  readonly #renew: Database.Statement<[number, number, string]>;
  readonly #audit: Database.Statement<unknown[]>;

  readonly db: Database.Database;

  constructor(db: Database.Database) {
    this.db = db;
    this.#usage = db.prepare('select seats as n from seat_usage where license_number = ? and component = ?');
    this.#due = db.prepare('select * from leases where expires_at <= ? order by expires_at');
    this.#deleteLease = db.prepare('delete from leases where id = ?');
    this.#deleteSeatIfEmpty = db.prepare(
      'delete from seats where id = ? and not exists (select 1 from leases where seat_id = ?)',
    );
    this.#insertSeat = db.prepare(
      'insert into seats (id, license_number, user_name, computer, share_key, created_at) values (?, ?, ?, ?, ?, ?)',
    );
    this.#insertSeatComponent = db.prepare(
      'insert into seat_components (seat_id, license_number, component) values (?, ?, ?)',
    );
    this.#insertLease = db.prepare(
      `insert into leases (id, seat_id, kind, license_number, components, user_name, computer, domain, instance, granted_at, renewed_at, expires_at)
       values (@id, @seat_id, @kind, @license_number, @components, @user_name, @computer, @domain, @instance, @granted_at, @renewed_at, @expires_at)`,
    );
    this.#find = db.prepare('select * from leases where id = ?');
    this.#sharedSeat = db.prepare('select id from seats where share_key = ? limit 1');
    this.#seatComponents = db.prepare('select component from seat_components where seat_id = ?');
    this.#renew = db.prepare('update leases set renewed_at = ?, expires_at = ? where id = ?');
    this.#audit = db.prepare(
      `insert into audit_log (at, action, lease_id, license_number, user_name, computer, code, detail)
       values (@at, @action, @lease_id, @license_number, @user_name, @computer, @code, @detail)`,
    );
  }

  readonly usage: Usage = (licenseNumber, component) => this.#usage.get(licenseNumber, component)?.n ?? 0;

  /** Removes every lease whose time is up and frees seats no lease holds any more. */
  expireDue(nowMs: number): LeaseRow[] {
    const due = this.#due.all(nowMs);
    for (const lease of due) {
      this.delete(lease);
      this.audit({ at: nowMs, action: 'lease.expired', ...leaseFacts(lease) });
    }
    return due;
  }

  /** A checkout returned before its end: recorded so that its token can be refused online. */
  recordReturn(lease: LeaseRow, nowMs: number): void {
    this.db
      .prepare('insert or ignore into returned_checkouts (id, returned_at, expires_at) values (?, ?, ?)')
      .run(lease.id, nowMs, lease.expires_at);
  }

  /** Forgets returns whose checkout would have ended anyway: their tokens no longer verify. */
  pruneReturns(nowMs: number): void {
    this.db.prepare('delete from returned_checkouts where expires_at <= ?').run(nowMs);
  }

  /** The state of a checkout as this server knows it. */
  checkoutState(id: string, nowMs: number): 'active' | 'returned' | 'unknown' {
    const held = this.#find.get(id) as LeaseRow | undefined;
    if (held?.kind === 'checkout' && held.expires_at > nowMs) return 'active';
    const returned = this.db.prepare('select 1 from returned_checkouts where id = ?').get(id);
    return returned ? 'returned' : 'unknown';
  }

  delete(lease: LeaseRow): void {
    this.#deleteLease.run(lease.id);
    this.#deleteSeatIfEmpty.run(lease.seat_id, lease.seat_id);
  }

  insertSeat(seat: {
    id: string;
    licenseNumber: string;
    user: string;
    computer: string;
    shareKey: string | null;
    components: string[];
    at: number;
  }) {
    this.#insertSeat.run(seat.id, seat.licenseNumber, seat.user, seat.computer, seat.shareKey, seat.at);
    for (const component of seat.components)
      this.#insertSeatComponent.run(seat.id, seat.licenseNumber, component);
  }

  insertLease(lease: LeaseRow): void {
    this.#insertLease.run(lease);
  }

  find(id: string): LeaseRow | undefined {
    return this.#find.get(id);
  }

  /** A seat shared by one user on one computer (L5) that already covers the components. */
  sharedSeat(shareKey: string, components: readonly string[]): string | undefined {
    const seat = this.#sharedSeat.get(shareKey);
    if (!seat) return undefined;
    const held = new Set(this.#seatComponents.all(seat.id).map((r) => r.component));
    return components.every((c) => held.has(c)) ? seat.id : undefined;
  }

  renew(id: string, nowMs: number, expiresAt: number): void {
    this.#renew.run(nowMs, expiresAt, id);
  }

  audit(entry: AuditInput): void {
    this.#audit.run({
      lease_id: null,
      license_number: null,
      user_name: null,
      computer: null,
      code: null,
      detail: null,
      ...entry,
    });
  }

  list(kind?: 'floating' | 'checkout'): LeaseRow[] {
    return kind
      ? (this.db.prepare('select * from leases where kind = ? order by granted_at').all(kind) as LeaseRow[])
      : (this.db.prepare('select * from leases order by granted_at').all() as LeaseRow[]);
  }

  auditEntries(options: { action?: string; sinceMs?: number; limit?: number } = {}): AuditRow[] {
    return this.db
      .prepare(
        `select * from audit_log where (@action is null or action = @action) and at >= @since order by id limit @limit`,
      )
      .all({
        action: options.action ?? null,
        since: options.sinceMs ?? 0,
        limit: options.limit ?? 1_000_000,
      }) as AuditRow[];
  }
}

export function leaseFacts(lease: LeaseRow) {
  return {
    lease_id: lease.id,
    license_number: lease.license_number,
    user_name: lease.user_name,
    computer: lease.computer,
  };
}
