import { LeaseholdError, randomToken } from '@leasehold/protocol';
import { z } from 'zod';
import { recordAudit } from '../audit.ts';
import type { AdminContext } from './context.ts';
import { parseInput } from './input.ts';
import { hashActivationCode } from './serverIds.ts';

export const clearBindingInput = z.strictObject({ reason: z.string().trim().min(3).max(1000) });

/**
 * S4: the vendor clears a binding with a reason; the next server to sync with the id is bound. An id
 * that was issued with an activation code gets a new one here (shown once, stored hashed): the old
 * code was used by the binding just cleared and is never accepted again (S3).
 */
export async function clearBinding(ctx: AdminContext, licenseServerId: string, input: unknown) {
  const { reason } = parseInput(clearBindingInput, input);
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const id = await trx
      .selectFrom('license_server_ids')
      .select(['id', 'activation_code_hash'])
      .where('id', '=', licenseServerId)
      .forUpdate()
      .executeTakeFirst();
    if (!id) throw new LeaseholdError('SERVER_ID_UNKNOWN', licenseServerId);
    const binding = await trx
      .deleteFrom('bindings')
      .where('license_server_id', '=', licenseServerId)
      .returning(['signing_kid', 'bound_at'])
      .executeTakeFirst();
    if (!binding) throw new LeaseholdError('BINDING_NOT_FOUND', licenseServerId);
    const activationCode = id.activation_code_hash ? randomToken(12) : undefined;
    if (activationCode) {
      await trx
        .updateTable('license_server_ids')
        .set({ activation_code_hash: hashActivationCode(activationCode) })
        .where('id', '=', licenseServerId)
        .execute();
    }
    const details = {
      reason,
      serverKeyId: binding.signing_kid,
      boundAt: binding.bound_at.toISOString(),
      newActivationCode: activationCode !== undefined,
    };
    await recordAudit(trx, {
      at: now,
      actor: ctx.actor,
      action: 'binding.cleared',
      licenseServerId,
      details,
    });
    return { licenseServerId, cleared: true, ...details, ...(activationCode ? { activationCode } : {}) };
  });
}
