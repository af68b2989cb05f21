import type { FastifyInstance } from 'fastify';

/**
 * The Manager's pages load only their own files: no inline script or style, no framing
 * (clickjacking), no <base> or plugin tricks, forms post only here.
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

export function securityHeaders(options: { tls: boolean }): Record<string, string> {
  return {
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    // Only over TLS: a browser ignores it on plain HTTP, and it would pin a server that has no certificate.
    ...(options.tls ? { 'strict-transport-security': 'max-age=31536000' } : {}),
  };
}

/** On every response of the local server app, errors and 404s included. */
export function registerSecurityHeaders(app: FastifyInstance, options: { tls: boolean }): void {
  const headers = securityHeaders(options);
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.headers(headers);
    return payload;
  });
}
