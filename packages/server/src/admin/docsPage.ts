import { z } from 'zod';
import { adminRoutes } from './policies.ts';

const escape = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

function bodyFields(schema: z.ZodType | undefined): string {
  if (!schema) return '';
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as {
    properties?: Record<string, { type?: string; description?: string; minLength?: number; enum?: string[] }>;
    required?: string[];
  };
  return Object.entries(json.properties ?? {})
    .map(([name, p]) => {
      const type = p.enum ? p.enum.join(' | ') : (p.type ?? 'value');
      const optional = json.required?.includes(name) ? '' : ' (optional)';
      return `<code>${escape(name)}</code>: ${escape(type)}${optional}${p.description ? ` — ${escape(p.description)}` : ''}`;
    })
    .join('<br>');
}

/**
 * `GET /docs`: the admin API for people, from the same route table as the OpenAPI document, so it
 * cannot miss a route. Plain HTML with no script or inline style (the strict CSP forbids both).
 */
export function adminDocsPage(): string {
  const rows = adminRoutes
    .map(
      (r) =>
        `<tr><td>${r.method}</td><td><code>${escape(r.url)}</code></td><td>${r.access}${r.sessionOnly ? ' (session only)' : ''}</td><td>${escape(r.summary)}</td><td>${bodyFields(r.body)}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Leasehold local server — admin API</title></head>
<body>
<main>
<h1>Local license server: admin API</h1>
<p>JSON over HTTPS under <code>/v1/admin/</code>, for the License Server Manager and scripts.
Access: <em>public</em> needs nothing; <em>read</em> needs a session cookie or
<code>Authorization: Bearer &lt;token&gt;</code> (<code>leasehold server admin token create</code>);
<em>write</em> also needs the <code>x-csrf-token</code> header when it comes with a session cookie.
Errors are <code>{"error":{"code","message","detail"}}</code>. Machine-readable:
<a href="/v1/admin/openapi.json">OpenAPI 3.1 document</a>.</p>
<table>
<caption>Routes</caption>
<thead><tr><th scope="col">Method</th><th scope="col">Path</th><th scope="col">Access</th><th scope="col">What it does</th><th scope="col">Body</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</main>
</body>
</html>
`;
}
