/** The admin API's answers, as the Manager reads them (docs/admin-api.md is the contract). */

export interface ApiErrorBody {
  code: string;
  message: string;
  fix?: string;
  details?: unknown;
}

export interface Session {
  via: 'session' | 'token';
  user?: string;
  csrfToken?: string;
  expiresAt?: string;
}

export interface StatusMessage {
  level: 'info' | 'warning' | 'error';
  code: string;
  text: string;
}

export interface License {
  number: string;
  name?: string;
  startDate: string;
  expiryDate: string;
  domain?: string | null;
  maxCheckoutHours: number;
  components: { name: string; seats: number }[];
}

export interface AutoSync {
  mode: 'off' | 'daily' | 'weekly';
  nextRunAt: string | null;
  lastRunAt: string | null;
  lastOutcome: string | null;
  consecutiveFailures: number;
  retryAt: string | null;
}

export interface ServerStatus {
  licenseServerId: string;
  centralUrl: string;
  synchronized: boolean;
  lastSyncAt: string | null;
  synchronizedUntil: string | null;
  daysRemaining: number;
  allocationVersion: number;
  clientUrl?: string;
  lastSyncAttempt: { at: string; method: string; outcome: string; detail: string | null } | null;
  licenses: License[];
  autoSync: AutoSync;
  messages: StatusMessage[];
}

export interface ComponentUsage {
  licenseNumber: string;
  component: string;
  inUse: number;
  maxUsers: number;
  free: number;
  expiryDate: string;
  active: boolean;
}

export interface CurrentUser {
  user: string;
  computer: string;
  components: string[];
  kind: 'floating' | 'checkout';
  licenseNumber: string;
  leaseId: string;
  since: string;
  until: string;
}

export interface SyncResult {
  licenseServerId: string;
  allocationVersion: number;
  licenses: number;
  syncedAt: string;
  method: string;
}

export interface RequestFile {
  requestId: string;
  file: string;
  fileName: string;
}

export interface ProxyShown {
  proxy: string | null;
  source: 'stored' | 'environment' | null;
  authenticated: boolean;
  noProxy: string[];
}

export interface DiagnoseStep {
  step: string;
  status: 'passed' | 'failed' | 'skipped';
  detail: string;
  code?: string;
  fix?: string;
}

export interface Diagnosis {
  ok: boolean;
  licenseServerId: string;
  centralUrl: string;
  proxy?: string;
  steps: DiagnoseStep[];
}

export interface AuditEntry {
  at: string;
  action: string;
  leaseId?: string;
  licenseNumber?: string;
  user?: string;
  computer?: string;
  code?: string;
  detail?: string;
}

export interface HistoryPoint {
  /** ISO start of the bucket. */
  at: string;
  peak: number;
  denials: number;
}

export interface ComponentHistory {
  licenseNumber: string;
  component: string;
  maxUsers: number;
  points: HistoryPoint[];
}

export interface UsageHistory {
  from: string;
  to: string;
  bucket: 'hour' | 'day';
  components: ComponentHistory[];
}
