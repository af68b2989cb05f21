// `@leasehold/server/http`: the local server's HTTP side (the Fastify app factory and `serve`). Kept
// out of the package's index so that a program which never serves (the CLI's other commands) does
// not load Fastify; esbuild's code splitting would otherwise pull it in through the index.
export * from './http/app.ts';
export * from './serve.ts';
