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
