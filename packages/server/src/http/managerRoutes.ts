import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { managerDistDir } from '@leasehold/manager';
import { LeaseholdError } from '@leasehold/protocol';
import type { FastifyInstance } from 'fastify';

/** Where `npm run build` puts the License Server Manager: found through its package, not a path in the repository. */
export const DEFAULT_MANAGER_DIST = managerDistDir;

export const MANAGER_BASE = '/manager/';

export interface ManagerFile {
  body: Buffer;
  contentType: string;
  cacheControl: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

// Vite names every file under assets/ by its content hash: a changed file gets a new name.
const IMMUTABLE = 'public, max-age=31536000, immutable';

function cacheControlFor(url: string): string {
  if (url.startsWith(`${MANAGER_BASE}assets/`)) return IMMUTABLE;
  // index.html names the current hashed files, so it must never be served from a cache.
  if (url.endsWith('.html')) return 'no-store';
  return 'no-cache';
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(path);
    // Only regular files: a symlink in dist must not expose anything outside it.
    return entry.isFile() ? [path] : [];
  });
}

/**
 * The built UI as a map from URL path to file, read once. Requests are answered from this map only,
 * so no request path ever reaches the file system. Undefined when the UI is not built.
 */
export function loadManagerFiles(distDir: string): Map<string, ManagerFile> | undefined {
  if (!existsSync(join(distDir, 'index.html'))) return undefined;
  const files = new Map<string, ManagerFile>();
  for (const path of filesUnder(distDir)) {
    const url = MANAGER_BASE + relative(distDir, path).split(sep).join('/');
    files.set(url, {
      body: readFileSync(path),
      contentType: CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream',
      cacheControl: cacheControlFor(url),
    });
  }
  return files;
}

/** Which file answers a path: the file itself, or index.html for an app page (a path without a dot). */
export function resolveManagerPath(
  files: ReadonlyMap<string, ManagerFile>,
  pathname: string,
): ManagerFile | undefined {
  const exact = files.get(pathname);
  if (exact) return exact;
  const last = pathname.slice(pathname.lastIndexOf('/') + 1);
  return last.includes('.') ? undefined : files.get(`${MANAGER_BASE}index.html`);
}

/**
 * The License Server Manager (M1) under /manager/: the static files `npm run build` makes, served
 * by the local server on its client port, next to the admin API the UI calls.
 */
export function registerManagerRoutes(app: FastifyInstance, options: { distDir?: string } = {}): void {
  const files = loadManagerFiles(options.distDir ?? DEFAULT_MANAGER_DIST);
  app.get('/manager', async (_request, reply) => reply.redirect(MANAGER_BASE, 301));
  app.get('/manager/*', async (request, reply) => {
    if (!files)
      throw new LeaseholdError('MANAGER_NOT_BUILT', 'the @leasehold/manager web build has no index.html');
    const pathname = request.url.split('?')[0] ?? request.url;
    const file = resolveManagerPath(files, pathname);
    if (!file) throw new LeaseholdError('NOT_FOUND', `GET ${pathname}`);
    return reply
      .header('content-type', file.contentType)
      .header('cache-control', file.cacheControl)
      .send(file.body);
  });
}
