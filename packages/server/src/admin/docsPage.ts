import { adminOpenApi } from './openapi.ts';

interface Schema {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  description?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  default?: unknown;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
}

interface Operation {
  summary: string;
  'x-leasehold-access': string;
  'x-leasehold-session-only'?: boolean;
  parameters?: Array<{ name: string; in: string; description?: string; schema: Schema }>;
  requestBody?: { content: { 'application/json': { schema: Schema } } };
  responses: Record<string, { content?: { 'application/json'?: { schema?: Schema } } }>;
}

/** The page's only style, served as /docs/docs.css: the CSP (`default-src 'self'`) allows no inline style. */
export const DOCS_STYLESHEET = `body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:80rem;padding:0 1rem;color:#1d232b}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #d0d5db;padding:.4rem .5rem;text-align:left;vertical-align:top}
th{background:#f1f3f5}caption{text-align:left;font-weight:bold;padding:.5rem 0}
code{background:#f1f3f5;padding:0 .2rem}ul{margin:0;padding-left:1.1rem}td:first-child{font-weight:bold}
`;

/** Its icon, so the browser does not ask for /favicon.ico (a 404 in its console). */
export const DOCS_ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#1d4f91"/><path d="M5 3v10h6" stroke="#fff" stroke-width="2" fill="none"/></svg>`;

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

/** A value's type in words: `off | daily | weekly`, `string, 12–1024 characters`, `integer 1–366 (30)`. */
function typeText(s: Schema): string {
  if (s.enum) return s.enum.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(' | ');
  if (s.const !== undefined) return JSON.stringify(s.const);
  const type = Array.isArray(s.type) ? s.type.join(' | ') : (s.type ?? 'value');
  if (type === 'array') return `${s.items ? typeText(s.items) : 'value'}[]`;
  const range = (lo: number | undefined, high: number | undefined, unit: string) => {
    const hi = high === Number.MAX_SAFE_INTEGER ? undefined : high;
    if (hi === undefined) return lo === undefined ? '' : `, at least ${lo}${unit}`;
    return `, ${lo ?? 0}–${hi}${unit}`;
  };
  return [
    type,
    s.format ? ` (${s.format})` : '',
    type === 'string' ? range(s.minLength, s.maxLength, ' characters') : range(s.minimum, s.maximum, ''),
    s.default !== undefined ? `, default ${JSON.stringify(s.default)}` : '',
  ].join('');
}

/** An object's fields as a nested list; arrays of objects show their items' fields. */
function fieldList(schema: Schema | undefined): string {
  const object = schema?.type === 'array' ? schema.items : schema;
  if (!object?.properties) return '';
  const items = Object.entries(object.properties).map(([name, p]) => {
    const optional = object.required?.includes(name) ? '' : ' (optional)';
    const about = p.description ? ` — ${escapeHtml(p.description)}` : '';
    return `<li><code>${escapeHtml(name)}</code>: ${escapeHtml(typeText(p))}${optional}${about}${fieldList(p)}</li>`;
  });
  return `<ul>${items.join('')}</ul>`;
}

function row(method: string, path: string, op: Operation): string {
  const access = `${op['x-leasehold-access']}${op['x-leasehold-session-only'] ? ' (session only)' : ''}`;
  const query = (op.parameters ?? []).filter((p) => p.in === 'query');
  const input = [
    query.length > 0
      ? `Query:<ul>${query
          .map(
            (p) =>
              `<li><code>${escapeHtml(p.name)}</code>: ${escapeHtml(typeText(p.schema))}${p.description ? ` — ${escapeHtml(p.description)}` : ''}</li>`,
          )
          .join('')}</ul>`
      : '',
    op.requestBody ? `Body:${fieldList(op.requestBody.content['application/json'].schema)}` : '',
  ].join('');
  const answer = fieldList(op.responses['200']?.content?.['application/json']?.schema);
  return `<tr><td>${method.toUpperCase()}</td><td><code>${escapeHtml(path)}</code></td><td>${escapeHtml(access)}</td><td>${escapeHtml(op.summary)}</td><td>${input}</td><td>${answer}</td></tr>`;
}

/**
 * `GET /docs`: the admin API for people, rendered from the OpenAPI document (itself built from the
 * route table), so page, document and guard cannot disagree. No script; the style is a file.
 */
export function adminDocsPage(): string {
  const document = adminOpenApi();
  const rows = Object.entries(document.paths).flatMap(([path, operations]) =>
    Object.entries(operations as Record<string, Operation>).map(([method, op]) => row(method, path, op)),
  );
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Leasehold local server — admin API</title><link rel="stylesheet" href="/docs/docs.css"><link rel="icon" href="/docs/icon.svg" type="image/svg+xml"></head>
<body>
<main>
<h1>Local license server: admin API</h1>
<p>JSON under <code>/v1/admin/</code>, for the License Server Manager and scripts; answered only to
this computer unless <code>adminRemoteAddresses</code> in server.json allows more.
Access: <em>public</em> needs nothing; <em>read</em> needs a session cookie or
<code>Authorization: Bearer &lt;token&gt;</code> (<code>leasehold server admin token create</code>);
<em>write</em> also needs the <code>x-csrf-token</code> header when it comes with a session cookie.
Errors are <code>{"error":{"code","message","detail"}}</code> (codes in docs/errors.md). Machine-readable:
<a href="/v1/admin/openapi.json">OpenAPI 3.1 document</a>.</p>
<table>
<caption>Routes</caption>
<thead><tr><th scope="col">Method</th><th scope="col">Path</th><th scope="col">Access</th><th scope="col">What it does</th><th scope="col">Query and body</th><th scope="col">Answer</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
</main>
</body>
</html>
`;
}
