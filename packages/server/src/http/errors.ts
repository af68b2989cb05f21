import { errorReply, LeaseholdError } from '@leasehold/protocol';
import type { FastifyInstance } from 'fastify';

/** One mapping from any thrown error to `{ error: { code, message } }` with the catalogue's status. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const { status, body, unexpected } = errorReply(error);
    if (unexpected) request.log.error({ err: error }, 'unexpected error');
    return reply.status(status).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    reply
      .status(404)
      .send({ error: new LeaseholdError('NOT_FOUND', `${request.method} ${request.url}`).toJSON() });
  });
}
