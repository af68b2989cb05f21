import { createHash } from 'node:crypto';
import { LICENSE_SERVER_ID_PATTERN, ManualClock } from '@leasehold/protocol';
import { describe, expect, it } from 'vitest';
import { backends, codeOf, refusalOf, useTestDatabase } from '../test-support/databases.ts';
import type { AdminContext } from './context.ts';
import { createServerId, listServerIds, showServerId } from './serverIds.ts';

describe.each(backends)('license server ids on $name', (backend) => {
  let ctx: AdminContext;
  const clock = new ManualClock('2026-03-01T10:00:00Z');

  useTestDatabase(backend, (database) => {
    ctx = { db: database.store.db, clock, actor: 'test-vendor' };
  });

  const rowOf = (id: string) =>
    ctx.db.selectFrom('license_server_ids').selectAll().where('id', '=', id).executeTakeFirst();
  const auditOf = (id: string) =>
    ctx.db.selectFrom('audit_log').selectAll().where('license_server_id', '=', id).orderBy('id').execute();

  it('creates an id with a generated value in the LS-XXXX-XXXX-XXXX form and records it in the audit log', async () => {
    const created = await createServerId(ctx, {});
    expect(created.id).toMatch(LICENSE_SERVER_ID_PATTERN);
    expect(created).toEqual({ id: created.id, customer: null, createdAt: '2026-03-01T10:00:00.000Z' });
    const row = await rowOf(created.id);
    expect(row).toMatchObject({ allocation_revision: 0, response_version: 0, activation_code_hash: null });
    const audit = await auditOf(created.id);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: 'server-id.created', actor: 'test-vendor' });
    expect(audit[0]?.at.toISOString()).toBe('2026-03-01T10:00:00.000Z');
  });

  it('generates a different id on every call', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) ids.add((await createServerId(ctx, {})).id);
    expect(ids.size).toBe(5);
  });

  it('creates an id with the value and customer given, and shows it unbound with no licenses', async () => {
    const created = await createServerId(ctx, { id: 'LS-AAAA-0001-0001', customer: '  Acme GmbH ' });
    expect(created).toMatchObject({ id: 'LS-AAAA-0001-0001', customer: 'Acme GmbH' });
    const shown = await showServerId(ctx, 'LS-AAAA-0001-0001');
    expect(shown).toMatchObject({
      id: 'LS-AAAA-0001-0001',
      customer: 'Acme GmbH',
      activationCodeRequired: false,
      allocationRevision: 0,
      lastAllocationVersion: 0,
      binding: null,
      licenses: [],
      syncHistory: [],
    });
    const listed = (await listServerIds(ctx)).find((s) => s.id === 'LS-AAAA-0001-0001');
    expect(listed).toMatchObject({ bound: false, boundAt: null, licenseCount: 0, lastSyncAt: null });
  });

  it('refuses an id that already exists with SERVER_ID_EXISTS and leaves the existing one as it was', async () => {
    await createServerId(ctx, { id: 'LS-AAAA-0002-0002', customer: 'First' });
    expect(await codeOf(createServerId(ctx, { id: 'LS-AAAA-0002-0002', customer: 'Second' }))).toBe(
      'SERVER_ID_EXISTS',
    );
    expect((await rowOf('LS-AAAA-0002-0002'))?.customer).toBe('First');
    expect((await auditOf('LS-AAAA-0002-0002')).map((a) => a.action)).toEqual(['server-id.created']);
  });

  it('refuses ids that are not in the LS-XXXX-XXXX-XXXX form with INVALID_INPUT and stores nothing', async () => {
    for (const id of ['LS-AAAA-0003', 'ls-aaaa-0003-0003', 'LS-IIII-0003-0003', 'XX-AAAA-0003-0003', '']) {
      expect(await codeOf(createServerId(ctx, { id })), id).toBe('INVALID_INPUT');
    }
    expect(await rowOf('ls-aaaa-0003-0003')).toBeUndefined();
  });

  it('refuses unknown fields and a wrongly typed activation flag with INVALID_INPUT naming the field', async () => {
    const error = await refusalOf(createServerId(ctx, { id: 'LS-AAAA-0004-0004', activationCode: 'yes' }));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toContain('activationCode');
    expect(await codeOf(createServerId(ctx, { id: 'LS-AAAA-0004-0004', colour: 'red' }))).toBe(
      'INVALID_INPUT',
    );
    expect(await rowOf('LS-AAAA-0004-0004')).toBeUndefined();
  });

  it('returns the activation code once and stores only its SHA-256 hash', async () => {
    const created = await createServerId(ctx, { id: 'LS-AAAA-0005-0005', activationCode: true });
    const code = created.activationCode;
    expect(code).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    const row = await rowOf('LS-AAAA-0005-0005');
    expect(row?.activation_code_hash).toBe(
      createHash('sha256')
        .update(code as string)
        .digest('hex'),
    );
    expect(row?.activation_code_hash).not.toContain(code as string);

    const shown = await showServerId(ctx, 'LS-AAAA-0005-0005');
    expect(shown.activationCodeRequired).toBe(true);
    expect(JSON.stringify(shown)).not.toContain(code as string);
    expect(JSON.stringify(await listServerIds(ctx))).not.toContain(code as string);
    expect(JSON.stringify(await auditOf('LS-AAAA-0005-0005'))).not.toContain(code as string);
  });

  it('gives every id its own activation code', async () => {
    const a = await createServerId(ctx, { activationCode: true });
    const b = await createServerId(ctx, { activationCode: true });
    expect(a.activationCode).not.toBe(b.activationCode);
  });

  it('refuses to show an id it does not know with SERVER_ID_UNKNOWN', async () => {
    expect(await codeOf(showServerId(ctx, 'LS-ZZZZ-ZZZZ-ZZZZ'))).toBe('SERVER_ID_UNKNOWN');
  });

  it('creates each of several ids requested at once exactly once', async () => {
    const results = await Promise.all(
      Array.from({ length: 4 }, () => codeOf(createServerId(ctx, { id: 'LS-AAAA-0006-0006' }))),
    );
    expect(results.filter((r) => r === 'ACCEPTED')).toHaveLength(1);
    expect(results.filter((r) => r === 'SERVER_ID_EXISTS')).toHaveLength(3);
    expect(await auditOf('LS-AAAA-0006-0006')).toHaveLength(1);
  });
});
