import { createHash, timingSafeEqual } from 'node:crypto';
import { LeaseholdError, randomToken } from '@leasehold/protocol';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { recordAudit } from '../audit.ts';
import type { CentralDatabase } from '../store/schema.ts';
import type { AdminContext } from './context.ts';
import { parseInput } from './input.ts';

/** What a token may do is decided by its role; http/policies.ts grants each role its permissions. */
export const adminRoles = ['admin', 'reader'] as const;
export type AdminRole = (typeof adminRoles)[number];

/** Who is calling the admin API: a named token, or the one `central init` wrote (hash in central.json). */
export interface AdminPrincipal {
  name: string;
  role: AdminRole;
}

/** The name the token from `central init` goes by; no database token may take it. */
export const BOOTSTRAP_TOKEN_NAME = 'init';

export const createAdminTokenInput = z.strictObject({
  name: z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/,
      'a name is 1-63 letters, digits, dots, underscores or hyphens',
    ),
  role: z.enum(adminRoles).default('admin'),
});

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** C1: a new admin token, shown once here; only its SHA-256 is stored. */
export async function createAdminToken(ctx: AdminContext, input: unknown) {
  const { name, role } = parseInput(createAdminTokenInput, input);
  if (name === BOOTSTRAP_TOKEN_NAME) throw new LeaseholdError('ADMIN_TOKEN_EXISTS', name);
  const token = randomToken(32);
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    // A revoked token keeps its row, so its name stays taken: the audit log names one token per name.
    const inserted = await trx
      .insertInto('admin_tokens')
      .values({ name, role, token_sha256: sha256Hex(token), created_at: now })
      .onConflict((oc) => oc.column('name').doNothing())
      .returning('name')
      .executeTakeFirst();
    if (!inserted) throw new LeaseholdError('ADMIN_TOKEN_EXISTS', name);
    await recordAudit(trx, {
      at: now,
      actor: ctx.actor,
      action: 'admin-token.created',
      details: { name, role },
    });
    return { name, role, createdAt: now.toISOString(), token };
  });
}

export async function listAdminTokens(ctx: AdminContext) {
  const rows = await ctx.db
    .selectFrom('admin_tokens')
    .select(['name', 'role', 'created_at', 'revoked_at'])
    .orderBy('created_at')
    .orderBy('name')
    .execute();
  return rows.map((r) => ({
    name: r.name,
    role: r.role,
    createdAt: r.created_at.toISOString(),
    revokedAt: r.revoked_at ? r.revoked_at.toISOString() : null,
  }));
}

/** Revokes a token at once on every node (each request reads the table); revoking twice changes nothing. */
export async function revokeAdminToken(ctx: AdminContext, name: string) {
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('admin_tokens')
      .select(['name', 'revoked_at'])
      .where('name', '=', name)
      .forUpdate()
      .executeTakeFirst();
    if (!row) throw new LeaseholdError('ADMIN_TOKEN_NOT_FOUND', name);
    if (row.revoked_at) return { name, revokedAt: row.revoked_at.toISOString(), alreadyRevoked: true };
    await trx.updateTable('admin_tokens').set({ revoked_at: now }).where('name', '=', name).execute();
    await recordAudit(trx, { at: now, actor: ctx.actor, action: 'admin-token.revoked', details: { name } });
    return { name, revokedAt: now.toISOString(), alreadyRevoked: false };
  });
}

/**
 * The principal a presented bearer token stands for, or undefined. Every candidate hash is compared
 * in constant time and the loop never stops early, so response times say nothing about how close a
 * guess came. The table is read on every request: a revocation holds on every node at once.
 */
export async function authenticateAdminToken(
  db: Kysely<CentralDatabase>,
  bootstrapTokenSha256: string,
  presented: string,
): Promise<AdminPrincipal | undefined> {
  if (!presented) return undefined;
  const digest = createHash('sha256').update(presented).digest();
  const active = await db
    .selectFrom('admin_tokens')
    .select(['name', 'role', 'token_sha256'])
    .where('revoked_at', 'is', null)
    .execute();
  const candidates = [
    { name: BOOTSTRAP_TOKEN_NAME, role: 'admin', token_sha256: bootstrapTokenSha256 },
    ...active,
  ];
  let found: AdminPrincipal | undefined;
  for (const candidate of candidates) {
    const expected = Buffer.from(candidate.token_sha256, 'hex');
    const role = adminRoles.find((r) => r === candidate.role);
    const same = expected.length === digest.length && timingSafeEqual(digest, expected);
    if (same && role && !found) found = { name: candidate.name, role };
  }
  return found;
}
