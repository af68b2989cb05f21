import type { PGlite } from '@electric-sql/pglite';

/**
 * Presents one PGlite instance as the `pg` pool Kysely's PostgresDialect expects, so that PGlite
 * and PostgreSQL share one dialect and one set of migrations. PGlite has a single connection:
 * a mutex hands it to one Kysely connection (and so one transaction) at a time.
 */
export function pglitePool(db: PGlite) {
  let queue: Promise<void> = Promise.resolve();
  const client = {
    async query(sql: string, params: unknown[]) {
      // Without parameters, the simple protocol (as pg uses it) lets migrations hold several statements.
      const result =
        params.length === 0
          ? ((await db.exec(sql)).at(-1) ?? { rows: [], affectedRows: 0 })
          : await db.query<Record<string, unknown>>(sql, params);
      const command = /^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase();
      return { command, rowCount: result.affectedRows ?? 0, rows: result.rows };
    },
    release: () => {},
  };
  return {
    async connect() {
      let release!: () => void;
      const previous = queue;
      queue = new Promise<void>((resolve) => {
        release = resolve;
      });
      await previous;
      return { ...client, release };
    },
    async end() {
      await queue;
      await db.close();
    },
  };
}
