import { LeaseholdError } from '@leasehold/protocol';
import type Database from 'better-sqlite3';
import { auditHash, type ChainedRow } from './auditChain.ts';

type Migration = string | ((db: Database.Database) => void);

/** Numbered migrations of the local server's SQLite database (`PRAGMA user_version` holds the last). */
export const migrations: ReadonlyArray<Migration> = [
  `
  create table meta (key text primary key, value text not null) strict;
  create table allocations (
    version integer primary key,
    issued_at text not null,
    received_at text not null,
    method text not null,
    document text not null
  ) strict;
  create table sync_requests (
    request_id text primary key,
    created_at text not null,
    method text not null,
    answered_at text
  ) strict;
  create table sync_history (
    id integer primary key,
    at text not null,
    method text not null,
    outcome text not null,
    allocation_version integer,
    detail text
  ) strict;
  `,
  `
  -- A seat is what the license counts; leases hold seats (several leases share one seat when the
  -- administrator lets one user on one computer share it, L5). Times are epoch milliseconds.
  create table seats (
    id text primary key,
    license_number text not null,
    user_name text not null,
    computer text not null,
    share_key text,
    created_at integer not null
  ) strict;
  create index seats_by_share_key on seats (share_key) where share_key is not null;
  create table seat_components (
    seat_id text not null references seats(id) on delete cascade,
    license_number text not null,
    component text not null,
    primary key (seat_id, component)
  ) strict;
  create index seat_components_usage on seat_components (license_number, component);
  create table leases (
    id text primary key,
    seat_id text not null references seats(id),
    kind text not null check (kind in ('floating', 'checkout')),
    license_number text not null,
    components text not null,
    user_name text not null,
    computer text not null,
    domain text,
    instance text,
    granted_at integer not null,
    renewed_at integer not null,
    expires_at integer not null
  ) strict;
  create index leases_by_expiry on leases (expires_at);
  create index leases_by_seat on leases (seat_id);
  create table audit_log (
    id integer primary key,
    at integer not null,
    action text not null,
    lease_id text,
    license_number text,
    user_name text,
    computer text,
    code text,
    detail text
  ) strict;
  create index audit_by_action on audit_log (action, at);
  `,
  `
  -- The administrator's window (M1; docs/admin-api.md). Passwords are scrypt hashes with their
  -- parameters; session ids and API tokens are stored as SHA-256 hashes, so a copy of the database
  -- opens no session.
  create table admin_users (
    name text primary key,
    password_hash text not null,
    created_at integer not null
  ) strict;
  create table admin_sessions (
    id_hash text primary key,
    user_name text not null references admin_users(name) on delete cascade,
    csrf_token text not null,
    created_at integer not null,
    last_seen_at integer not null
  ) strict;
  create table admin_tokens (
    name text primary key,
    token_hash text not null unique,
    created_at integer not null,
    last_used_at integer,
    revoked_at integer
  ) strict;
  `,
  `
  -- Seats in use per license and component, kept by triggers in the same transaction as the seat
  -- rows: a count is one indexed read instead of a scan of every held seat (docs/performance.md).
  -- Cascaded deletes of seat_components fire the delete trigger too.
  create table seat_usage (
    license_number text not null,
    component text not null,
    seats integer not null,
    primary key (license_number, component)
  ) strict, without rowid;
  insert into seat_usage (license_number, component, seats)
    select license_number, component, count(*) from seat_components group by license_number, component;
  create trigger seat_usage_add after insert on seat_components begin
    insert into seat_usage (license_number, component, seats) values (new.license_number, new.component, 1)
      on conflict (license_number, component) do update set seats = seats + 1;
  end;
  create trigger seat_usage_remove after delete on seat_components begin
    update seat_usage set seats = seats - 1
      where license_number = old.license_number and component = old.component;
  end;
  `,
  `
  -- Usage history (M4): per hour (epoch ms of its start, on the server's judged clock), license and
  -- component, the most seats in use and the number of denials. Written by the lease engine at each
  -- grant and denial and sampled from seat_usage by the reaper, so held seats count in every hour.
  create table usage_history (
    hour integer not null,
    license_number text not null,
    component text not null,
    peak integer not null default 0,
    denials integer not null default 0,
    primary key (hour, license_number, component)
  ) strict, without rowid;
  `,
  `
  -- Audit integrity (L7; docs/leases.md): each entry carries SHA-256(previous hash, its own fields),
  -- filled by a trigger so that every writer chains alike; entries cannot be changed or deleted through
  -- SQL (someone who drops the triggers is caught by \`leasehold server audit verify\`). Ids are never
  -- reused (autoincrement semantics via the chain's gap check).
  alter table audit_log add column hash text;
  create trigger audit_chain after insert on audit_log begin
    update audit_log set hash = leasehold_audit_hash(
      coalesce((select hash from audit_log where id < new.id order by id desc limit 1), ''),
      new.id, new.at, new.action, new.lease_id, new.license_number, new.user_name, new.computer,
      new.code, new.detail)
    where id = new.id;
  end;
  create trigger audit_append_only_update before update on audit_log when old.hash is not null begin
    select raise(abort, 'audit_log is append-only');
  end;
  create trigger audit_append_only_delete before delete on audit_log begin
    select raise(abort, 'audit_log is append-only');
  end;
  `,
  // Chains the entries written before migration 6, oldest first (the update trigger lets a null hash be set).
  (db: Database.Database) => {
    let previous = '';
    const set = db.prepare('update audit_log set hash = ? where id = ?');
    const rows = db.prepare('select * from audit_log order by id').all() as Array<Omit<ChainedRow, 'hash'>>;
    for (const row of rows) {
      previous = auditHash(previous, row);
      set.run(previous, row.id);
    }
  },
  `
  -- Signed state at rest (docs/security.md): the vendor's certificate of the server key carries the
  -- allocation and the sync window; the server reads both from it. Rows stored before this migration
  -- have none and do not count until the next sync replaces them.
  alter table allocations add column certificate text;
  `,
  `
  -- Returned checkouts (L3; docs/security.md): the token of a returned checkout still verifies
  -- offline until its end, so the SDK asks the server whenever it can reach it. Kept until the
  -- checkout's own end had passed.
  create table returned_checkouts (
    id text primary key,
    returned_at integer not null,
    expires_at integer not null
  ) strict;
  -- S12: the audit head each request reported; once answered, the next request proves it extends it.
  alter table sync_requests add column audit_head integer;
  `,
];

/**
 * The schema version, or DATA_FROM_NEWER_VERSION when a newer program migrated the file: its schema
 * may mean things this one would get wrong, so nothing is opened for writing (a downgrade is a
 * restore of a backup made by this version, docs/operations.md).
 */
export function refuseNewerSchema(db: Database.Database): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > migrations.length)
    throw new LeaseholdError(
      'DATA_FROM_NEWER_VERSION',
      `the database is at schema version ${current}; this program knows versions up to ${migrations.length}`,
    );
  return current;
}

export function migrate(db: Database.Database): void {
  const current = refuseNewerSchema(db);
  for (let v = current; v < migrations.length; v++) {
    db.transaction(() => {
      const step = migrations[v] as Migration;
      if (typeof step === 'string') db.exec(step);
      else step(db);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}
