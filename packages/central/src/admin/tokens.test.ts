import { ManualClock } from '@leasehold/protocol';
import { describe, expect, it } from 'vitest';
import { backends, codeOf, refusalOf, useTestDatabase } from '../test-support/databases.ts';
import type { AdminContext } from './context.ts';
import {
  authenticateAdminToken,
  BOOTSTRAP_TOKEN_NAME,
  createAdminToken,
  listAdminTokens,
  revokeAdminToken,
  sha256Hex,
} from './tokens.ts';

const BOOTSTRAP = 'bootstrap-token-from-central-init';

describe.each(backends)('admin tokens on $name', (backend) => {
  let ctx: AdminContext;
  const clock = new ManualClock('2026-03-01T10:00:00Z');

  useTestDatabase(backend, (database) => {
    ctx = { db: database.store.db, clock, actor: 'test-vendor' };
  });

  const authenticate = (token: string) => authenticateAdminToken(ctx.db, sha256Hex(BOOTSTRAP), token);
  const auditOf = async (action: string) =>
    (
      await ctx.db.selectFrom('audit_log').select(['actor', 'details']).where('action', '=', action).execute()
    ).map((r) => ({ actor: r.actor, details: r.details as Record<string, unknown> }));

  it('creates a token shown once, stores only its SHA-256, and records who created it', async () => {
    const created = await createAdminToken(ctx, { name: 'ci-deploy' });
    expect(created).toEqual({
      name: 'ci-deploy',
      role: 'admin',
      createdAt: '2026-03-01T10:00:00.000Z',
      token: expect.stringMatching(/^[A-Za-z0-9_-]{40,}$/),
    });
    const row = await ctx.db
      .selectFrom('admin_tokens')
      .selectAll()
      .where('name', '=', 'ci-deploy')
      .executeTakeFirstOrThrow();
    expect(row.token_sha256).toBe(sha256Hex(created.token));
    expect(JSON.stringify(row)).not.toContain(created.token);
    expect(JSON.stringify(await listAdminTokens(ctx))).not.toContain(created.token);
    expect(await auditOf('admin-token.created')).toContainEqual({
      actor: 'test-vendor',
      details: { name: 'ci-deploy', role: 'admin' },
    });
  });

  it('authenticates a named token, a reader token and the bootstrap token, and nothing else', async () => {
    const admin = await createAdminToken(ctx, { name: 'ops' });
    const reader = await createAdminToken(ctx, { name: 'dashboard', role: 'reader' });
    expect(await authenticate(admin.token)).toEqual({ name: 'ops', role: 'admin' });
    expect(await authenticate(reader.token)).toEqual({ name: 'dashboard', role: 'reader' });
    expect(await authenticate(BOOTSTRAP)).toEqual({ name: BOOTSTRAP_TOKEN_NAME, role: 'admin' });
    for (const wrong of ['', 'nope', `${admin.token}x`, admin.token.slice(1), sha256Hex(admin.token)]) {
      expect(await authenticate(wrong), wrong).toBeUndefined();
    }
  });

  it('refuses a revoked token from the next request on, and revoking twice changes nothing', async () => {
    const created = await createAdminToken(ctx, { name: 'leaver' });
    expect(await authenticate(created.token)).toBeDefined();
    clock.advance(60_000);
    const revoked = await revokeAdminToken(ctx, 'leaver');
    expect(revoked).toEqual({ name: 'leaver', revokedAt: clock.now().toISOString(), alreadyRevoked: false });
    expect(await authenticate(created.token)).toBeUndefined();
    clock.advance(60_000);
    const again = await revokeAdminToken(ctx, 'leaver');
    expect(again).toEqual({ ...revoked, alreadyRevoked: true });
    expect((await listAdminTokens(ctx)).find((t) => t.name === 'leaver')?.revokedAt).toBe(revoked.revokedAt);
    expect((await auditOf('admin-token.revoked')).filter((a) => a.details.name === 'leaver')).toHaveLength(1);
  });

  it('never reuses a name, not even of a revoked token, nor the bootstrap token name', async () => {
    await createAdminToken(ctx, { name: 'once' });
    await revokeAdminToken(ctx, 'once');
    expect(await codeOf(createAdminToken(ctx, { name: 'once' }))).toBe('ADMIN_TOKEN_EXISTS');
    expect(await codeOf(createAdminToken(ctx, { name: BOOTSTRAP_TOKEN_NAME }))).toBe('ADMIN_TOKEN_EXISTS');
    const racing = await Promise.all(
      Array.from({ length: 4 }, () => codeOf(createAdminToken(ctx, { name: 'racing' }))),
    );
    expect(racing.sort()).toEqual([
      'ACCEPTED',
      'ADMIN_TOKEN_EXISTS',
      'ADMIN_TOKEN_EXISTS',
      'ADMIN_TOKEN_EXISTS',
    ]);
  });

  it('refuses bad names and roles with INVALID_INPUT naming the field, and unknown names on revoke', async () => {
    for (const input of [{}, { name: '' }, { name: 'has space' }, { name: '-x' }, { name: 'a'.repeat(64) }]) {
      expect(await codeOf(createAdminToken(ctx, input)), JSON.stringify(input)).toBe('INVALID_INPUT');
    }
    const role = await refusalOf(createAdminToken(ctx, { name: 'r', role: 'root' }));
    expect([role.code, role.message]).toEqual(['INVALID_INPUT', expect.stringContaining('role')]);
    expect(await codeOf(revokeAdminToken(ctx, 'nobody'))).toBe('ADMIN_TOKEN_NOT_FOUND');
  });

  it('lists tokens by creation time with role and revocation, never a hash', async () => {
    const before = (await listAdminTokens(ctx)).length;
    clock.advance(1_000);
    await createAdminToken(ctx, { name: 'listed-b', role: 'reader' });
    clock.advance(1_000);
    await createAdminToken(ctx, { name: 'listed-a' });
    const listed = await listAdminTokens(ctx);
    expect(listed.slice(before)).toEqual([
      { name: 'listed-b', role: 'reader', createdAt: expect.any(String), revokedAt: null },
      { name: 'listed-a', role: 'admin', createdAt: expect.any(String), revokedAt: null },
    ]);
  });
});
