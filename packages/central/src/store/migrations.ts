import { LeaseholdError } from '@leasehold/protocol';
import { type Kysely, sql } from 'kysely';

/** Numbered migrations; the same SQL runs on PGlite and PostgreSQL. Never edit one that has shipped. */
export const migrations: ReadonlyArray<{ version: number; name: string; sql: string }> = [
  {
    version: 1,
    name: 'ids, licenses, bindings, sync log, audit log',
    sql: `
      create table license_server_ids (
        id text primary key,
        customer text,
        activation_code_hash text,
        allocation_revision integer not null default 0,
        response_version integer not null default 0,
        created_at timestamptz not null
      );
      create table licenses (
        license_server_id text not null references license_server_ids(id) on delete cascade,
        number text not null unique,
        document jsonb not null,
        updated_at timestamptz not null,
        primary key (license_server_id, number)
      );
      create table bindings (
        license_server_id text primary key references license_server_ids(id) on delete cascade,
        signing_kid text not null,
        signing_jwk jsonb not null,
        encryption_jwk jsonb not null,
        bound_at timestamptz not null,
        last_sync_count integer not null default 0
      );
      create table sync_log (
        id integer generated always as identity primary key,
        license_server_id text not null,
        request_id text,
        at timestamptz not null,
        method text not null,
        source_address text,
        signing_kid text,
        outcome text not null,
        allocation_version integer,
        allocation_revision integer,
        flags text
      );
      create index sync_log_by_id on sync_log (license_server_id, at desc);
      create unique index sync_log_answered_request on sync_log (request_id) where outcome = 'ok';
      create table audit_log (
        id integer generated always as identity primary key,
        at timestamptz not null,
        actor text not null,
        action text not null,
        license_server_id text,
        details jsonb not null
      );
    `,
  },
  {
    version: 2,
    name: 'named admin tokens',
    // Only the SHA-256 of a token is kept; a revoked token keeps its row (and its name) for the audit log.
    sql: `
      create table admin_tokens (
        name text primary key,
        role text not null,
        token_sha256 text not null unique,
        created_at timestamptz not null,
        revoked_at timestamptz
      );
    `,
  },
  {
    version: 3,
    name: 'used activation codes; SERVER_STATE_ROLLBACK flag',
    // An id bound while it had a code has used that code. Older sync log rows get the flag's new name.
    sql: `
      create table used_activation_codes (
        license_server_id text not null references license_server_ids(id) on delete cascade,
        code_hash text not null,
        used_at timestamptz not null,
        primary key (license_server_id, code_hash)
      );
      insert into used_activation_codes (license_server_id, code_hash, used_at)
        select s.id, s.activation_code_hash, b.bound_at
        from license_server_ids s join bindings b on b.license_server_id = s.id
        where s.activation_code_hash is not null;
      update sync_log set flags = replace(flags, 'SYNC_COUNT_REGRESSED', 'SERVER_STATE_ROLLBACK')
        where flags like '%SYNC_COUNT_REGRESSED%';
    `,
  },
  {
    version: 4,
    name: 'usage reports from local servers',
    // One row per (id, day, license, component); a day reported again is merged with the larger numbers.
    sql: `
      create table usage_reports (
        license_server_id text not null references license_server_ids(id) on delete cascade,
        day date not null,
        license_number text not null,
        component text not null,
        peak_in_use integer not null,
        denials integer not null,
        received_at timestamptz not null,
        primary key (license_server_id, day, license_number, component)
      );
    `,
  },
  {
    version: 5,
    name: 'the audit log and the sync log are append-only',
    // Who did what and when must not be rewritable, not even by a bug in this program: the database
    // itself refuses to change or remove a row (TRUNCATE included). Dropping the trigger needs the
    // table owner, which leaves a trace in the database's own logs.
    sql: `
      create function leasehold_append_only() returns trigger language plpgsql as $$
      begin
        raise exception 'the % table is append-only: rows cannot be changed or removed', tg_table_name
          using errcode = 'P0001', hint = 'leasehold_append_only';
      end
      $$;
      create trigger audit_log_append_only before update or delete on audit_log
        for each row execute function leasehold_append_only();
      create trigger audit_log_no_truncate before truncate on audit_log
        for each statement execute function leasehold_append_only();
      create trigger sync_log_append_only before update or delete on sync_log
        for each row execute function leasehold_append_only();
      create trigger sync_log_no_truncate before truncate on sync_log
        for each statement execute function leasehold_append_only();
    `,
  },
  {
    version: 6,
    name: 'the allocation version each bound server last claimed (fork detection)',
    // S3, S12: a server that syncs twice with one count must claim the same version both times; a
    // copy syncing in turns with the original claims another (SERVER_STATE_FORK).
    sql: `alter table bindings add column last_claimed_version integer;`,
  },
  {
    version: 7,
    name: "the local audit chain's last reported head (anchoring)",
    // S12: each sync reports the head of the local audit chain and, as it reads now, the entry the
    // previous sync reported; one that changed or is gone is AUDIT_CHAIN_NOT_EXTENDING.
    sql: `alter table bindings add column audit_head_id integer;
          alter table bindings add column audit_head_hash text;`,
  },
  {
    version: 8,
    name: 'refuse flagged syncs, per id',
    // S3, S12: a vendor who would rather stop a copied or restored server than be told of it.
    sql: `alter table license_server_ids add column refuse_flagged boolean not null default false;`,
  },
];

// Any fixed number: several nodes starting together take this lock, so migrations run exactly once.
const MIGRATION_LOCK = 7_361_120;

export async function migrate(db: Kysely<unknown>): Promise<number[]> {
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${MIGRATION_LOCK})`.execute(trx);
    await sql`create table if not exists schema_migrations (version integer primary key, name text not null, applied_at timestamptz not null default now())`.execute(
      trx,
    );
    const done = await sql<{ version: number }>`select version from schema_migrations`.execute(trx);
    const applied = new Set(done.rows.map((r) => r.version));
    // Refused inside the transaction, before any migration: a newer program's schema is not this one's.
    const known = new Set(migrations.map((m) => m.version));
    const unknown = [...applied].filter((v) => !known.has(v)).sort((x, y) => x - y);
    if (unknown.length > 0)
      throw new LeaseholdError(
        'DATA_FROM_NEWER_VERSION',
        `the database has migration(s) ${unknown.join(', ')} applied; this program knows ${Math.min(...known)} to ${Math.max(...known)}`,
      );
    const ran: number[] = [];
    for (const migration of migrations) {
      if (applied.has(migration.version)) continue;
      await sql.raw(migration.sql).execute(trx);
      await sql`insert into schema_migrations (version, name) values (${migration.version}, ${migration.name})`.execute(
        trx,
      );
      ran.push(migration.version);
    }
    return ran;
  });
}
