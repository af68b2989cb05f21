import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { vendorAdminOpenApi } from './openapi.ts';
import { adminPolicies } from './policies.ts';

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1d232b}
code,pre{background:#f1f3f5;padding:0 .25rem}pre{padding:.5rem;overflow:auto}
h2{font-size:1.05rem;margin-top:2rem}.m{font-weight:bold;display:inline-block;min-width:4.5rem}`;
// The one inline style is allowed by its hash; the page has no script at all.
const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');
export const DOCS_CSP = `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

/** The HTML page: every route of the table, its permission and body schema; built once, from the table. */
export function docsHtml(): string {
  const routes = adminPolicies
    .map(
      (p) => `<h2><span class="m">${p.method}</span> <code>${escapeHtml(p.url)}</code></h2>
<p>${escapeHtml(p.summary)}. Needs <code>${p.permission}</code>.${p.query ? ` Query: ${p.query.map((q) => `<code>${q}</code>`).join(', ')}.` : ''}</p>
${p.body ? `<pre>${escapeHtml(JSON.stringify(z.toJSONSchema(p.body, { io: 'input' }), null, 2))}</pre>` : ''}`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Leasehold vendor admin API</title><style>${STYLE}</style></head>
<body><h1>Leasehold vendor admin API</h1>
<p>Send <code>Authorization: Bearer &lt;token&gt;</code> (from <code>leasehold central init</code> or
<code>leasehold central token create</code>). Errors are <code>{"error":{"code","message"}}</code>.
The same routes as OpenAPI 3.1: <a href="/v1/admin/openapi.json">/v1/admin/openapi.json</a>.</p>
${routes}
</body></html>
`;
}

/**
 * `/docs` and `/v1/admin/openapi.json`: public (they describe the API, they open nothing), built
 * once at start from the same table the route guard enforces.
 */
export function registerDocsRoutes(app: FastifyInstance): void {
  const html = docsHtml();
  const document = vendorAdminOpenApi();
  app.get('/docs', async (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', DOCS_CSP)
      .header('x-content-type-options', 'nosniff')
      .send(html),
  );
  app.get('/v1/admin/openapi.json', async () => document);
}
