import { ManualClock } from '@leasehold/protocol';
import { type Kysely, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createServerId, showServerId } from '../admin/serverIds.ts';
import {
  backends,
  postgresOnly,
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
      'audit_log',
      'bindings',
      'license_server_ids',
      'licenses',
      'schema_migrations',
      'sync_log',
    ]);
  });
});
