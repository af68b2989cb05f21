import Database from 'better-sqlite3';
import { migrate } from './migrations.ts';

/** Opens the local server's database: WAL so that the CLI can read while `serve` writes. */
export function openServerDatabase(path: string): Database.Database {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  migrate(db);
  return db;
}
