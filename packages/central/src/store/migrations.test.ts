import { ManualClock } from '@leasehold/protocol';
import { type Kysely, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createServerId, hashActivationCode, showServerId } from '../admin/serverIds.ts';
import {
  backends,
  postgresOnly,
  refusalOf,
  useSuiteResource,
  useTestDatabase,
  withPostgres,
} from '../test-support/databases.ts';
import { migrate, migrations } from './migrations.ts';
import { openCentralStore } from './open.ts';

const clock = new ManualClock('2026-03-01T10:00:00Z');
const allVersions = migrations.map((m) => m.version);

async function recorded(db: Kysely<unknown>) {
  const result = await sql<{
    version: number;
    applied_at: Date;
  }>`select version, applied_at from schema_migrations order by version`.execute(db);
  return result.rows;
}

describe.each(backends)('database migrations on $name', (backend) => {
  const database = useTestDatabase(backend);

  it('records every migration once when the store is opened', async () => {
    const rows = await recorded(database().store.db as Kysely<unknown>);
    expect(rows.map((r) => r.version)).toEqual(allVersions);
  });

  it('runs nothing and changes nothing when migrating a second time', async () => {
    const db = database().store.db;
    const ctx = { db, clock, actor: 'test' };
    const { id } = await createServerId(ctx, { customer: 'Kept' });
    const before = await recorded(db as Kysely<unknown>);
    expect(await migrate(db as Kysely<unknown>)).toEqual([]);
    expect(await migrate(db as Kysely<unknown>)).toEqual([]);
    expect(await recorded(db as Kysely<unknown>)).toEqual(before);
    expect((await showServerId(ctx, id)).customer).toBe('Kept');
  });

  it('keeps the data and runs no migration when a store is opened again on the same database', async () => {
    const { storage, remove } = await backend.create();
    try {
      const first = await openCentralStore(storage);
      const { id } = await createServerId({ db: first.db, clock, actor: 'test' }, {});
      const before = await recorded(first.db as Kysely<unknown>);
      await first.close();
      const second = await openCentralStore(storage);
      try {
        expect(await recorded(second.db as Kysely<unknown>)).toEqual(before);
        expect((await showServerId({ db: second.db, clock, actor: 'test' }, id)).id).toBe(id);
      } finally {
        await second.close();
      }
    } finally {
      await remove();
    }
  });
});

describe.each(backends)('a database migrated by a newer program on $name', (backend) => {
  it('is refused with DATA_FROM_NEWER_VERSION, and nothing in it changes', async () => {
    const { storage, remove } = await backend.create();
    try {
      const store = await openCentralStore(storage);
      const db = store.db as Kysely<unknown>;
      try {
        const ctx = { db: store.db, clock, actor: 'test' };
        const { id } = await createServerId(ctx, { customer: 'Kept' });
        const future = Math.max(...allVersions) + 1;
        await sql`insert into schema_migrations (version, name) values (${future}, 'from the future')`.execute(
          db,
        );
        const before = await recorded(db);
        const refusal = await refusalOf(migrate(db));
        expect(refusal.code).toBe('DATA_FROM_NEWER_VERSION');
        expect(refusal.message).toContain(`migration(s) ${future} applied`);
        expect(await recorded(db)).toEqual(before);
        expect((await showServerId(ctx, id)).customer).toBe('Kept');
      } finally {
        await store.close();
      }
      expect((await refusalOf(openCentralStore(storage))).code).toBe('DATA_FROM_NEWER_VERSION');
    } finally {
      await remove();
    }
  });
});

/** Takes a migrated database back to what version 1 left, as a database made before the later ones. */
async function rewindToVersion1(db: Kysely<unknown>) {
  await sql`alter table bindings drop column last_claimed_version, drop column audit_head_id, drop column audit_head_hash`.execute(
    db,
  );
  await sql`alter table license_server_ids drop column refuse_flagged`.execute(db);
  await sql`drop function leasehold_append_only() cascade`.execute(db);
  await sql`drop table usage_reports`.execute(db);
  await sql`drop table used_activation_codes`.execute(db);
  await sql`drop table admin_tokens`.execute(db);
  await sql`delete from schema_migrations where version > 1`.execute(db);
}

describe.each(backends)('upgrading a version-1 database on $name', (backend) => {
  const database = useTestDatabase(backend);

  it('counts the code of an id bound before the upgrade as used and renames the rollback flag', async () => {
    const db = database().store.db;
    const ctx = { db, clock, actor: 'test' };
    const bound = await createServerId(ctx, { activationCode: true });
    const unbound = await createServerId(ctx, { activationCode: true });
    await rewindToVersion1(db as Kysely<unknown>);
    await db
      .insertInto('bindings')
      .values({
        license_server_id: bound.id,
        signing_kid: 'kid-before-upgrade',
        signing_jwk: '{}',
        encryption_jwk: '{}',
        bound_at: clock.now(),
        last_sync_count: 3,
      })
      .execute();
    await db
      .insertInto('sync_log')
      .values({
        license_server_id: bound.id,
        at: clock.now(),
        method: 'online',
        outcome: 'ok',
        request_id: null,
        source_address: null,
        signing_kid: 'kid-before-upgrade',
        allocation_version: 2,
        allocation_revision: 0,
        flags: 'SYNC_COUNT_REGRESSED',
      })
      .execute();

    expect(await migrate(db as Kysely<unknown>)).toEqual(allVersions.filter((v) => v > 1));
    const used = await db.selectFrom('used_activation_codes').selectAll().execute();
    expect(used).toEqual([
      {
        license_server_id: bound.id,
        code_hash: hashActivationCode(bound.activationCode as string),
        used_at: clock.now(),
      },
    ]);
    expect(used.map((u) => u.license_server_id)).not.toContain(unbound.id);
    const flags = await db
      .selectFrom('sync_log')
      .select('flags')
      .where('license_server_id', '=', bound.id)
      .execute();
    expect(flags).toEqual([{ flags: 'SERVER_STATE_ROLLBACK' }]);
    expect((await showServerId(ctx, bound.id)).serverStateRollback).toMatchObject({ count: 1 });
  });
});

describe.each(postgresOnly)('several nodes starting together on one $name schema', (backend) => {
  const location = useSuiteResource(
    () => backend.create(),
    (created) => created.remove(),
  );

  it('opens every store and records each migration exactly once', async () => {
    const open = () => openCentralStore(location().storage);
    const stores = await Promise.all([open(), open(), open(), open()]);
    try {
      const rows = await recorded(stores[0].db as Kysely<unknown>);
      expect(rows.map((r) => r.version)).toEqual(allVersions);
      // Every node works on the same tables: an id created through one is seen through another.
      const { id } = await createServerId({ db: stores[1].db, clock, actor: 'node-2' }, {});
      expect((await showServerId({ db: stores[3].db, clock, actor: 'node-4' }, id)).id).toBe(id);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('runs each new migration exactly once when several nodes of a new version start on an old database', async () => {
    const first = await openCentralStore(location().storage);
    try {
      await rewindToVersion1(first.db as Kysely<unknown>);
    } finally {
      await first.close();
    }
    const open = () => openCentralStore(location().storage);
    const stores = await Promise.all([open(), open(), open(), open(), open()]);
    try {
      const rows = await recorded(stores[0].db as Kysely<unknown>);
      expect(rows.map((r) => r.version)).toEqual(allVersions);
      expect(await migrate(stores[4].db as Kysely<unknown>)).toEqual([]);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('works in the schema its URL selects, where all its tables are', async () => {
    const store = await openCentralStore(location().storage);
    try {
      const current = await sql<{ schema: string }>`select current_schema() as schema`.execute(store.db);
      expect(current.rows[0]?.schema).toBe(location().schema);
    } finally {
      await store.close();
    }
    const tables = await withPostgres(async (client) => {
      const result = await client.query<{ table_name: string }>(
        'select table_name from information_schema.tables where table_schema = $1 order by table_name',
        [location().schema],
      );
      return result.rows.map((r) => r.table_name);
    });
    expect(tables).toEqual([
      'admin_tokens',
      'audit_log',
      'bindings',
      'license_server_ids',
      'licenses',
      'schema_migrations',
      'sync_log',
      'usage_reports',
      'used_activation_codes',
    ]);
  });
});
