import { errorCatalogue } from '@leasehold/protocol';
import { z } from 'zod';
import { adminRoutes } from './policies.ts';
import { SECURE_SESSION_COOKIE, SESSION_COOKIE } from './sessions.ts';

const ERROR_SCHEMA = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', enum: Object.keys(errorCatalogue) },
        message: { type: 'string' },
        detail: { type: 'string' },
      },
    },
  },
};

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

/**
 * The admin API as OpenAPI 3.1, built from the authorization table and the zod body schemas, so
 * a route cannot be served undocumented. Answers are described in docs/admin-api.md.
 */
export function adminOpenApi(version = '1') {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of adminRoutes) {
    const path = route.url.replace(/:(\w+)/g, '{$1}');
    const params = [
      ...[...route.url.matchAll(/:(\w+)/g)].map((m) => ({
        name: m[1],
        in: 'path',
        required: true,
        schema: { type: 'string' },
      })),
      ...Object.entries(route.query ?? {}).map(([name, q]) => ({
        name,
        in: 'query',
        required: false,
        description: q.description,
        schema: q.schema,
      })),
    ];
    paths[path] ??= {};
    (paths[path] as Record<string, unknown>)[route.method.toLowerCase()] = {
      summary: route.summary,
      // Who may call it, as the route guard enforces it (and /docs shows it).
      'x-leasehold-access': route.access,
      ...(route.sessionOnly ? { 'x-leasehold-session-only': true } : {}),
      ...(params.length > 0 ? { parameters: params } : {}),
      ...(route.access === 'public' ? { security: [] } : {}),
      ...(route.access === 'write'
        ? { description: 'A change: with a session cookie it needs the `x-csrf-token` header.' }
        : {}),
      ...(route.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: z.toJSONSchema(route.body, { io: 'input' }) } },
            },
          }
        : {}),
      responses: {
        '200': {
          description: 'success (201 for created)',
          content: {
            'application/json': route.response
              ? { schema: z.toJSONSchema(route.response, { io: 'output' }) }
              : {},
          },
        },
        ...(route.access === 'public'
          ? {}
          : {
              '401': errorResponse('SERVER_ADMIN_AUTH_REQUIRED: no, unknown or revoked credentials'),
              ...(route.access === 'write'
                ? { '403': errorResponse('SERVER_ADMIN_CSRF_FAILED: a session without the CSRF header') }
                : {}),
            }),
        default: errorResponse('any other error, with its code (docs/errors.md)'),
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Leasehold local server admin API',
      version,
      description: 'The License Server Manager API. See docs/admin-api.md.',
    },
    components: {
      schemas: { Error: ERROR_SCHEMA },
      securitySchemes: {
        session: {
          type: 'apiKey',
          in: 'cookie',
          name: SECURE_SESSION_COOKIE,
          description: `${SECURE_SESSION_COOKIE} over TLS; ${SESSION_COOKIE} (Path=/v1/admin) on plain HTTP`,
        },
        token: { type: 'http', scheme: 'bearer' },
      },
    },
    security: [{ session: [] }, { token: [] }],
    paths,
  };
}
