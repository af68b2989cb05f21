import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date, Date>;
type Json<T> = ColumnType<T, string, string>;

export interface LicenseServerIdTable {
  id: string;
  customer: string | null;
  activation_code_hash: string | null;
  /** Bumped by every license change; shows whether the last sync delivered the current licenses. */
  allocation_revision: number;
  /** Bumped by every sync response: the allocation version the local server sees (S8: never equal twice). */
  response_version: number;
  created_at: Timestamp;
  /** Refuse (SERVER_STATE_REFUSED) instead of answering a sync that would be flagged (migration 8). */
  refuse_flagged: Generated<boolean>;
}

export interface LicenseTable {
  license_server_id: string;
  number: string;
  document: Json<unknown>;
  updated_at: Timestamp;
}

export interface BindingTable {
  license_server_id: string;
  signing_kid: string;
  signing_jwk: Json<unknown>;
  encryption_jwk: Json<unknown>;
  bound_at: Timestamp;
  last_sync_count: number;
  /** The allocation version the server claimed at its latest sync count (null: bound before migration 6). */
  last_claimed_version: number | null;
  /** The local audit chain's head at the last sync that reported one (migration 7). */
  audit_head_id: number | null;
  audit_head_hash: string | null;
}

export interface SyncLogTable {
  id: Generated<number>;
  license_server_id: string;
  request_id: string | null;
  at: Timestamp;
  method: string;
  source_address: string | null;
  signing_kid: string | null;
  outcome: string;
  allocation_version: number | null;
  allocation_revision: number | null;
  flags: string | null;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: Timestamp;
  actor: string;
  action: string;
  license_server_id: string | null;
  details: Json<unknown>;
}

export interface AdminTokenTable {
  name: string;
  /** 'admin' or 'reader' (http/policies.ts says what each may do). */
  role: string;
  token_sha256: string;
  created_at: Timestamp;
  revoked_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

export interface UsedActivationCodeTable {
  license_server_id: string;
  code_hash: string;
  used_at: Timestamp;
}

export interface UsageReportTable {
  license_server_id: string;
  /** A UTC day, YYYY-MM-DD (read back as text: see usage.ts). */
  day: string;
  license_number: string;
  component: string;
  peak_in_use: number;
  denials: number;
  received_at: Timestamp;
}

export interface CentralDatabase {
  license_server_ids: LicenseServerIdTable;
  licenses: LicenseTable;
  bindings: BindingTable;
  sync_log: SyncLogTable;
  audit_log: AuditLogTable;
  admin_tokens: AdminTokenTable;
  used_activation_codes: UsedActivationCodeTable;
  usage_reports: UsageReportTable;
}
