// What `leasehold server serve` loads on top of the server tree: the HTTP server (Fastify) and the
// logger. Imported lazily, and from the package's http entry rather than its index: esbuild's code
// splitting would otherwise pull the HTTP server into every chunk that imports the index.
export { serveServer } from '@leasehold/server/http';
export { serverLogger } from './logger.ts';
