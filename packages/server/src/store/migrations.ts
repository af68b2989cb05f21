import type Database from 'better-sqlite3';

/** Numbered migrations of the local server's SQLite database (`PRAGMA user_version` holds the last). */
const migrations: ReadonlyArray<string> = [
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
  -- The administrator's window (issue 5). Passwords are scrypt hashes with their parameters; session
  -- ids and API tokens are stored as SHA-256 hashes, so a copy of the database opens no session.
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
];

export function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let v = current; v < migrations.length; v++) {
    db.transaction(() => {
      db.exec(migrations[v] as string);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}
