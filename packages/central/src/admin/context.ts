import type { Clock } from '@leasehold/protocol';
import type { Kysely } from 'kysely';
import type { CentralDatabase } from '../store/schema.ts';

/** What every vendor operation needs: the database, the clock, and who is acting (for the audit log). */
export interface AdminContext {
  db: Kysely<CentralDatabase>;
  clock: Clock;
  actor: string;
}
