import { join } from 'node:path';
import Database from 'better-sqlite3';

export interface ServerDatabaseFacts {
  integrity: string;
  leases: Map<string, { kind: string; components: string[]; expiresAt: number }>;
  /** Seats held per component, counted from the seat rows. */
  seatsHeld: Record<string, number>;
  /** The trigger-kept counts (seat_usage), which must equal `seatsHeld`. */
  seatUsage: Record<string, number>;
  /** The current allocation as stored (the highest version), with its row version. */
  allocation: { rowVersion: number; document: any } | undefined;
  allocationRows: number;
  syncCount: number;
}

/**
 * Reads a local server's SQLite file directly, as a crash test must: after kill -9, what is on disk
 * is the truth, not what a restarted server says. Opening runs SQLite's WAL recovery, as a restart would.
 */
export function readServerDatabase(dataDir: string, file = 'server.db'): ServerDatabaseFacts {
  const db = new Database(join(dataDir, file), { fileMustExist: true });
  try {
    const integrity = String(db.pragma('integrity_check', { simple: true }));
    const leases = new Map<string, { kind: string; components: string[]; expiresAt: number }>();
    for (const row of db.prepare('select id, kind, components, expires_at from leases').all() as any[]) {
      leases.set(row.id, {
        kind: row.kind,
        components: JSON.parse(row.components),
        expiresAt: row.expires_at,
      });
    }
    const count = (sql: string) =>
      Object.fromEntries(
        (db.prepare(sql).all() as Array<{ component: string; n: number }>).map((r) => [r.component, r.n]),
      );
    const seatsHeld = count('select component, count(*) as n from seat_components group by component');
    const seatUsage = count(
      'select component, sum(seats) as n from seat_usage where seats > 0 group by component',
    );
    const top = db.prepare('select version, document from allocations order by version desc limit 1').get() as
      | { version: number; document: string }
      | undefined;
    const allocationRows = (db.prepare('select count(*) as n from allocations').get() as { n: number }).n;
    const syncCount = Number(
      (db.prepare("select value from meta where key = 'sync.count'").get() as { value: string } | undefined)
        ?.value ?? 0,
    );
    return {
      integrity,
      leases,
      seatsHeld,
      seatUsage,
      allocation: top ? { rowVersion: top.version, document: JSON.parse(top.document) } : undefined,
      allocationRows,
      syncCount,
    };
  } finally {
    db.close();
  }
}
