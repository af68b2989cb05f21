import { errorCatalogue } from '@leasehold/protocol';
import { z } from 'zod';
import { type AdminPolicy, adminPolicies, grants } from './policies.ts';

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

/** Which roles a permission admits, for the reader of the document. */
const rolesFor = (policy: AdminPolicy) =>
  Object.entries(grants)
    .filter(([, permissions]) => permissions.includes(policy.permission))
    .map(([role]) => role);

function operation(policy: AdminPolicy) {
  const parameters = [
    ...[...policy.url.matchAll(/:(\w+)/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    })),
    ...(policy.query ?? []).map((name) => ({
      name,
      in: 'query',
      required: false,
      schema: { type: 'string' },
    })),
  ];
  return {
    summary: policy.summary,
    description: `Needs the \`${policy.permission}\` permission (roles: ${rolesFor(policy).join(', ')}).`,
    ...(parameters.length ? { parameters } : {}),
    ...(policy.body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: z.toJSONSchema(policy.body, { io: 'input' }) } },
          },
        }
      : {}),
    responses: {
      '200': { description: 'success (201 for created)', content: { 'application/json': {} } },
      '401': errorResponse('ADMIN_AUTH_REQUIRED: no, unknown or revoked token'),
      '403': errorResponse('ADMIN_FORBIDDEN: the token has a role without this permission'),
      default: errorResponse('any other error, with its code (docs/errors.md)'),
    },
  };
}

/**
 * The vendor admin API as OpenAPI 3.1, built from the authorization table (policies.ts): the route
 * guard refuses to register a route the table lacks, so no served admin route can be left out here.
 */
export function vendorAdminOpenApi() {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const policy of adminPolicies) {
    const path = policy.url.replace(/:(\w+)/g, '{$1}');
    paths[path] ??= {};
    (paths[path] as Record<string, unknown>)[policy.method.toLowerCase()] = operation(policy);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Leasehold central server: vendor admin API',
      version: '1',
      description:
        'License server ids, licenses, bindings, sync history, usage reports, admin tokens and vendor keys (docs/central.md).',
    },
    components: {
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: {
                code: { type: 'string', enum: Object.keys(errorCatalogue) },
                message: { type: 'string' },
              },
            },
          },
        },
      },
      securitySchemes: { token: { type: 'http', scheme: 'bearer' } },
    },
    security: [{ token: [] }],
    paths,
  };
}
