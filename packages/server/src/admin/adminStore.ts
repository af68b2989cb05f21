import { LeaseholdError, randomToken } from '@leasehold/protocol';
import type Database from 'better-sqlite3';
import { hashSecret } from './password.ts';
import { type SessionTimes, sessionAlive } from './sessions.ts';

export interface AdminSession extends SessionTimes {
  idHash: string;
  user: string;
  csrfToken: string;
}

export interface ApiTokenInfo {
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

interface TokenRow {
  name: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

// Token names go into the audit log and onto the command line: keep them plain.
export const ADMIN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const API_TOKEN_PREFIX = 'lhs_';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The admin tables (migration 3): the account, sessions and API tokens, secrets stored hashed. */
export class AdminStore {
  readonly db: Database.Database;

  constructor(db: Database.Database) {
    this.db = db;
  }

  createUser(name: string, passwordHash: string, at: Date): void {
    if (!ADMIN_NAME.test(name))
      throw new LeaseholdError('INVALID_INPUT', 'the admin user name is 1-64 letters, digits, . _ -');
    this.db
      .prepare('insert into admin_users (name, password_hash, created_at) values (?, ?, ?)')
      .run(name, passwordHash, at.getTime());
    this.audit(at, 'admin.user-created', name);
  }

  userNames(): string[] {
    return (
      this.db.prepare('select name from admin_users order by name').all() as Array<{ name: string }>
    ).map((r) => r.name);
  }

  passwordHash(name: string): string | undefined {
    const row = this.db.prepare('select password_hash from admin_users where name = ?').get(name) as
      | { password_hash: string }
      | undefined;
    return row?.password_hash;
  }

  /** A new session: the id goes into the cookie, the CSRF token to the page; only a hash of the id is kept. */
  createSession(user: string, at: Date): { sessionId: string; csrfToken: string; session: AdminSession } {
    const sessionId = randomToken(32);
    const csrfToken = randomToken(32);
    const idHash = hashSecret(sessionId);
    this.db
      .prepare(
        'insert into admin_sessions (id_hash, user_name, csrf_token, created_at, last_seen_at) values (?, ?, ?, ?, ?)',
      )
      .run(idHash, user, csrfToken, at.getTime(), at.getTime());
    return {
      sessionId,
      csrfToken,
      session: { idHash, user, csrfToken, createdAt: at.getTime(), lastSeenAt: at.getTime() },
    };
  }

  /** The live session with this id, its idle timer restarted; an expired one is deleted. */
  useSession(sessionId: string, at: Date): AdminSession | undefined {
    const idHash = hashSecret(sessionId);
    const row = this.db
      .prepare(
        'select user_name as user, csrf_token as csrfToken, created_at as createdAt, last_seen_at as lastSeenAt from admin_sessions where id_hash = ?',
      )
      .get(idHash) as Omit<AdminSession, 'idHash'> | undefined;
    if (!row) return undefined;
    if (!sessionAlive(row, at.getTime())) {
      this.endSession(idHash);
      return undefined;
    }
    this.db.prepare('update admin_sessions set last_seen_at = ? where id_hash = ?').run(at.getTime(), idHash);
    return { ...row, idHash, lastSeenAt: at.getTime() };
  }

  setPassword(name: string, passwordHash: string, at: Date): void {
    this.db.prepare('update admin_users set password_hash = ? where name = ?').run(passwordHash, name);
    this.audit(at, 'admin.password-changed', name);
  }

  /** Ends every session of the user but `keep` (the hash of the one making the change, if any). */
  endSessionsOf(name: string, keep?: string): number {
    return this.db
      .prepare('delete from admin_sessions where user_name = ? and id_hash is not ?')
      .run(name, keep ?? null).changes;
  }

  endSession(idHash: string): void {
    this.db.prepare('delete from admin_sessions where id_hash = ?').run(idHash);
  }

  /** A new API token, returned once; names are never reused so the audit log stays unambiguous. */
  createToken(name: string, at: Date): { name: string; token: string } {
    if (!ADMIN_NAME.test(name))
      throw new LeaseholdError('INVALID_INPUT', 'a token name is 1-64 letters, digits, . _ -');
    if (this.db.prepare('select 1 from admin_tokens where name = ?').get(name))
      throw new LeaseholdError('SERVER_ADMIN_TOKEN_EXISTS', name);
    const token = `${API_TOKEN_PREFIX}${randomToken(32)}`;
    this.db
      .prepare('insert into admin_tokens (name, token_hash, created_at) values (?, ?, ?)')
      .run(name, hashSecret(token), at.getTime());
    this.audit(at, 'admin.token-created', name);
    return { name, token };
  }

  listTokens(): ApiTokenInfo[] {
    const rows = this.db
      .prepare(
        'select name, created_at, last_used_at, revoked_at from admin_tokens order by created_at, name',
      )
      .all() as TokenRow[];
    return rows.map((r) => ({
      name: r.name,
      createdAt: iso(r.created_at) as string,
      lastUsedAt: iso(r.last_used_at),
      revokedAt: iso(r.revoked_at),
    }));
  }

  revokeToken(name: string, at: Date): { revoked: string } {
    const changed = this.db
      .prepare('update admin_tokens set revoked_at = ? where name = ? and revoked_at is null')
      .run(at.getTime(), name).changes;
    if (changed === 0) throw new LeaseholdError('SERVER_ADMIN_TOKEN_NOT_FOUND', name);
    this.audit(at, 'admin.token-revoked', name);
    return { revoked: name };
  }

  /** The name of the active token with this value, its use recorded; undefined when unknown or revoked. */
  useToken(token: string, at: Date): string | undefined {
    const row = this.db
      .prepare('select name from admin_tokens where token_hash = ? and revoked_at is null')
      .get(hashSecret(token)) as { name: string } | undefined;
    if (!row) return undefined;
    this.db.prepare('update admin_tokens set last_used_at = ? where name = ?').run(at.getTime(), row.name);
    return row.name;
  }

  /** Admin events share the audit log with lease events (L7); `detail` names who or what. */
  audit(at: Date, action: string, detail: string): void {
    this.db
      .prepare('insert into audit_log (at, action, detail) values (?, ?, ?)')
      .run(at.getTime(), action, detail);
  }
}
