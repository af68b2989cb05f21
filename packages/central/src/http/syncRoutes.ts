import { MAX_MESSAGE_BYTES } from '@leasehold/protocol';
import type { FastifyInstance, onErrorHookHandler, onRequestHookHandler } from 'fastify';
import { handleSyncRequest, type SyncContext } from '../sync/handleSync.ts';
import { respondToRequestFile } from '../sync/respondToFile.ts';
import { offlinePageHtml } from './offlinePage.ts';
import { retryAfterOf } from './rateLimit.ts';

/**
 * The public sync endpoint (S5): a sealed request in, a sealed response out, same on 443 and 8080.
 * `limit` runs before the body is read (rateLimit.ts), so a flood costs no decryption or database work.
 */
export function registerSyncRoutes(
  app: FastifyInstance,
  context: () => Promise<SyncContext>,
  limit?: onRequestHookHandler,
): void {
  // A per-id refusal (SYNC_RATE_LIMITED) comes from inside the sync code; its Retry-After is set here.
  const onError: onErrorHookHandler = async (_request, reply, error) => {
    const retryAfter = retryAfterOf(error);
    if (retryAfter) reply.header('retry-after', retryAfter);
  };
  const hooks = { onError, ...(limit ? { onRequest: limit } : {}) };
  app.addContentTypeParser(
    ['application/jose', 'text/plain'],
    { parseAs: 'string', bodyLimit: MAX_MESSAGE_BYTES },
    (_req, body, done) => done(null, body),
  );
  app.post('/v1/sync', { bodyLimit: MAX_MESSAGE_BYTES, ...hooks }, async (request, reply) => {
    const message = typeof request.body === 'string' ? request.body : '';
    const sealed = await handleSyncRequest(await context(), message, {
      method: 'online',
      sourceAddress: request.ip,
    });
    return reply.type('application/jose').send(sealed);
  });
  // The offline page and its endpoint need no login: a response only opens with the bound server's key.
  app.get('/sync', async (_request, reply) => reply.type('text/html; charset=utf-8').send(offlinePageHtml));
  app.post('/v1/sync/file', { bodyLimit: MAX_MESSAGE_BYTES, ...hooks }, async (request, reply) => {
    const file = typeof request.body === 'string' ? request.body : '';
    const response = await respondToRequestFile(await context(), file, request.ip);
    return reply
      .type('text/plain; charset=utf-8')
      .header('content-disposition', 'attachment; filename="leasehold-sync-response.txt"')
      .send(response);
  });
}
