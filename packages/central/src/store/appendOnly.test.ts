import { ManualClock } from '@leasehold/protocol';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createServerId } from '../admin/serverIds.ts';
import { recordAudit } from '../audit.ts';
import { backends, useTestDatabase } from '../test-support/databases.ts';

describe.each(backends)('the audit log and the sync log on $name', (backend) => {
  const database = useTestDatabase(backend);
  const clock = new ManualClock('2026-03-01T10:00:00Z');
  const db = () => database().store.db;

  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => 'ACCEPTED',
      (error: Error) => error.message,
    );

  it('take new rows, and refuse to change, remove or truncate any, leaving them as they were', async () => {
    const { id } = await createServerId({ db: db(), clock, actor: 'test' }, {});
    await recordAudit(db(), { at: clock.now(), actor: 'test', action: 'test.appended', licenseServerId: id });
    await db()
      .insertInto('sync_log')
      .values({
        license_server_id: id,
        request_id: 'r1',
        at: clock.now(),
        method: 'online',
        source_address: '192.0.2.1',
        signing_kid: 'k',
        outcome: 'ok',
        allocation_version: 1,
        allocation_revision: 0,
        flags: null,
      })
      .execute();
    const snapshot = async () => ({
      audit: await db().selectFrom('audit_log').selectAll().orderBy('id').execute(),
      sync: await db().selectFrom('sync_log').selectAll().orderBy('id').execute(),
    });
    const before = await snapshot();
    expect(before.audit.length).toBeGreaterThanOrEqual(2);

    const attempts = [
      () =>
        db()
          .updateTable('audit_log')
          .set({ actor: 'someone-else' })
          .where('license_server_id', '=', id)
          .execute(),
      () => db().deleteFrom('audit_log').where('license_server_id', '=', id).execute(),
      () => sql`truncate audit_log`.execute(db()),
      () => db().updateTable('sync_log').set({ outcome: 'SERVER_ID_IN_USE' }).execute(),
      () => db().deleteFrom('sync_log').execute(),
      () => sql`truncate sync_log`.execute(db()),
    ];
    for (const attempt of attempts) expect(await refusal(attempt())).toMatch(/append-only/);
    // In a transaction too: the refusal rolls the whole transaction back.
    const inTransaction = db()
      .transaction()
      .execute(async (trx) => {
        await recordAudit(trx, { at: clock.now(), actor: 'test', action: 'test.rolled-back' });
        await trx.deleteFrom('audit_log').where('action', '=', 'test.appended').execute();
      });
    expect(await refusal(inTransaction)).toMatch(/append-only/);
    expect(await snapshot()).toEqual(before);
  });
});
