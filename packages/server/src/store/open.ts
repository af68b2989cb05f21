import Database from 'better-sqlite3';
import { registerAuditHash } from './auditChain.ts';
import { migrate, refuseNewerSchema } from './migrations.ts';

/** Opens the local server's database: WAL so that the CLI can read while `serve` writes. */
export function openServerDatabase(path: string): Database.Database {
  const db = new Database(path);
  try {
    refuseNewerSchema(db);
  } catch (error) {
    db.close();
    throw error;
  }
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  // Before migrating: the audit trigger calls it on every insert, from every connection.
  registerAuditHash(db);
  migrate(db);
  return db;
}
