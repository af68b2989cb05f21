import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { migrate } from './migrations.ts';
import { pglitePool } from './pglite-pool.ts';
import type { CentralDatabase } from './schema.ts';

export type StorageConfig = { kind: 'pglite'; dataDir: string } | { kind: 'postgres'; url: string };

export interface CentralStore {
  db: Kysely<CentralDatabase>;
  kind: StorageConfig['kind'];
  close(): Promise<void>;
}

const INT8 = 20;

/** Opens the central database (PGlite folder or PostgreSQL URL) and brings its schema up to date. */
export async function openCentralStore(config: StorageConfig): Promise<CentralStore> {
  let dialect: PostgresDialect;
  if (config.kind === 'pglite') {
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    const lite = new PGlite(config.dataDir, { parsers: { [INT8]: (value: string) => Number(value) } });
    await lite.waitReady;
    dialect = new PostgresDialect({ pool: pglitePool(lite) as unknown as pg.Pool });
  } else {
    const pool = new pg.Pool({
      connectionString: config.url,
      max: 10,
      // A stuck query must not hold a sync forever.
      statement_timeout: 10_000,
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === INT8
            ? (value: string) => Number(value)
            : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
      },
    });
    dialect = new PostgresDialect({ pool });
  }
  const db = new Kysely<CentralDatabase>({ dialect });
  try {
    await migrate(db as Kysely<unknown>);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return { db, kind: config.kind, close: () => db.destroy() };
}
