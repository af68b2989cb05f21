import { armor, dearmor } from '@leasehold/protocol';
import { handleSyncRequest, type SyncContext } from './handleSync.ts';

/**
 * Sync via file (S5), the vendor's side: a request file in, a response file out. The same checks
 * as online sync; the response is sealed to the requesting server, so handing it back needs no login.
 */
export async function respondToRequestFile(
  ctx: SyncContext,
  requestFile: string,
  sourceAddress?: string,
): Promise<string> {
  const { headers, message } = dearmor(requestFile, 'REQUEST');
  const sealed = await handleSyncRequest(ctx, message, {
    method: 'file',
    ...(sourceAddress ? { sourceAddress } : {}),
  });
  return armor('RESPONSE', sealed, {
    'License-Server-Id': headers['License-Server-Id'] ?? 'unknown',
    Created: ctx.clock.now().toISOString(),
    ...(headers.Request ? { Request: headers.Request } : {}),
  });
}
