import diagnostics from 'node:diagnostics_channel';
import type { FastifyInstance } from 'fastify';

export interface WalkedRoute {
  method: string;
  url: string;
}

/**
 * Builds an app and returns it with every route it registers, as registered: Fastify publishes each
 * new instance on the `fastify.initialization` channel before any route exists, so an `onRoute`
 * hook added there sees all of them, plugins included. A route added tomorrow is walked tomorrow.
 */
export async function withRouteTable<T extends FastifyInstance>(
  build: () => T | Promise<T>,
): Promise<{ app: T; routes: WalkedRoute[] }> {
  const routes: WalkedRoute[] = [];
  const channel = diagnostics.channel('fastify.initialization');
  const onInit = (message: unknown) => {
    const { fastify } = message as { fastify: FastifyInstance };
    fastify.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) routes.push({ method: String(method), url: route.url });
    });
  };
  channel.subscribe(onInit);
  let app: T;
  try {
    app = await build();
  } finally {
    channel.unsubscribe(onInit);
  }
  await app.ready();
  const seen = new Set<string>();
  const unique = routes.filter((r) => {
    const key = `${r.method} ${r.url}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return { app, routes: unique };
}
