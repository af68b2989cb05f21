import { HOUR_MS } from '@leasehold/protocol';
import type Database from 'better-sqlite3';

/** History older than this is pruned: a year and a bit, so a yearly comparison always has its data. */
export const HISTORY_RETENTION_MS = 400 * 24 * HOUR_MS;

export interface HistoryRow {
  hour: number;
  license_number: string;
  component: string;
  peak: number;
  denials: number;
}

export const hourOf = (ms: number) => Math.floor(ms / HOUR_MS) * HOUR_MS;

/**
 * The usage_history table (M4). Peaks are raised from seat_usage, which the seat triggers keep in
 * the same transaction, so a peak is what was really counted; every statement is an upsert on the
 * primary key, a few microseconds inside the decision's transaction.
 */
export class UsageHistory {
  readonly #peak: Database.Statement<[number, string, string]>;
  readonly #sampleAll: Database.Statement<[number]>;
  readonly #denial: Database.Statement<[number, string, string]>;
  readonly #prune: Database.Statement<[number]>;
  readonly #read: Database.Statement<[number, number], HistoryRow>;

  private readonly db: Database.Database;

  constructor(db: Database.Database) {
    this.db = db;
    const raise = `on conflict (hour, license_number, component) do update set peak = max(peak, excluded.peak)`;
    this.#peak = db.prepare(
      `insert into usage_history (hour, license_number, component, peak)
       select ?, license_number, component, seats from seat_usage where license_number = ? and component = ?
       ${raise}`,
    );
    this.#sampleAll = db.prepare(
      `insert into usage_history (hour, license_number, component, peak)
       select ?, license_number, component, seats from seat_usage where seats > 0 ${raise}`,
    );
    this.#denial = db.prepare(
      `insert into usage_history (hour, license_number, component, denials) values (?, ?, ?, 1)
       on conflict (hour, license_number, component) do update set denials = denials + 1`,
    );
    this.#prune = db.prepare('delete from usage_history where hour < ?');
    this.#read = db.prepare(
      'select * from usage_history where hour >= ? and hour < ? order by hour, license_number, component',
    );
  }

  /** After a grant: the components' counts may have risen. */
  notePeaks(atMs: number, licenseNumber: string, components: readonly string[]): void {
    const hour = hourOf(atMs);
    for (const component of components) this.#peak.run(hour, licenseNumber, component);
  }

  /** A denial counts on every license it could have used: each of them was full, or refused it. */
  noteDenial(atMs: number, licenseNumbers: readonly string[], components: readonly string[]): void {
    const hour = hourOf(atMs);
    for (const number of licenseNumbers)
      for (const component of components) this.#denial.run(hour, number, component);
  }

  /**
   * Seats held across an hour boundary count in the new hour: the reaper calls this on each tick.
   * Only held seats are written (an idle hour reads as zeros anyway), so an idle server writes nothing.
   */
  sample(atMs: number): void {
    this.db.transaction(() => {
      this.#sampleAll.run(hourOf(atMs));
      this.#prune.run(hourOf(atMs) - HISTORY_RETENTION_MS);
    })();
  }

  read(fromMs: number, toMs: number): HistoryRow[] {
    return this.#read.all(fromMs, toMs);
  }
}
