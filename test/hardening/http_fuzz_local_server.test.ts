import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminStore } from '../../packages/server/src/admin/adminStore.ts';
import { hashPassword } from '../../packages/server/src/admin/password.ts';
import { buildServerApp } from '../../packages/server/src/http/app.ts';
import type { LocalServer } from '../../packages/server/src/localServer.ts';
import { syncedLocalServer } from '../../packages/server/src/test-support/localServer.ts';
import { license } from '../../packages/server/src/test-support/syncedServer.ts';
import {
  type Answer,
  type Credentials,
  checkAnswer,
  duplicateQueryFailures,
  fuzzRoute,
} from '../support/hostileRequests.ts';
import { type WalkedRoute, withRouteTable } from '../support/routeWalk.ts';

/**
 * Every route of the local server (client API, admin API, Manager files), walked from the routes
 * the app registers, gets hostile bodies, queries and headers: no 500, no hang, a catalogue code
 * on every failure. Seeded: a failure prints the seed and the path to replay it.
 */
const SEED = Number(process.env.LEASEHOLD_FUZZ_SEED ?? 20_260_308);
const RUNS_PER_ROUTE = Number(process.env.LEASEHOLD_FUZZ_RUNS ?? 40);
const DEADLINE_MS = 5_000;

describe('HTTP fuzzing of every local server route', () => {
  let server: LocalServer;
  let app: FastifyInstance;
  let routes: WalkedRoute[];
  const credentials: Credentials = { valid: [] };
  const answers: Answer[] = [];

  beforeAll(async () => {
    ({ server } = await syncedLocalServer([
      license({
        components: [
          { name: 'Base', seats: 3 },
          { name: 'Analysis', seats: 1 },
        ],
        maxCheckoutHours: 24,
      }),
    ]));
    ({ app, routes } = await withRouteTable(() => buildServerApp(server)));
    const store = new AdminStore(server.store.db);
    const at = new Date('2027-03-01T09:00:00Z');
    store.createUser('root', await hashPassword('correct horse battery', { N: 1024, r: 8, p: 1 }), at);
    credentials.valid.push({ authorization: `Bearer ${store.createToken('fuzz', at).token}` });
    const login = await app.inject({
      method: 'POST',
      url: '/v1/admin/session',
      payload: { user: 'root', password: 'correct horse battery' },
    });
    const cookie = String(login.headers['set-cookie']).split(';')[0] as string;
    credentials.valid.push({ cookie, 'x-csrf-token': login.json().csrfToken });
  });
  afterAll(async () => {
    await app?.close();
    server?.close();
    const failures = answers.filter((a) => a.status >= 400).length;
    console.info(
      `local server fuzz: ${routes?.length} routes, ${answers.length} requests, ${failures} refusals, seed ${SEED}`,
    );
  });

  it('walks the client, admin and Manager routes from the registered route table', () => {
    const names = routes.map((r) => `${r.method} ${r.url}`);
    for (const expected of [
      'POST /v1/leases',
      'POST /v1/leases/:id/renew',
      'DELETE /v1/leases/:id',
      'POST /v1/checkouts',
      'DELETE /v1/checkouts/:id',
      'POST /v1/admin/session',
      'PUT /v1/admin/proxy',
      'POST /v1/admin/sync/response-file',
      'GET /manager/*',
    ]) {
      expect(names).toContain(expected);
    }
    expect(routes.filter((r) => r.url.startsWith('/v1/admin/')).length).toBeGreaterThan(15);
  });

  it('answers hostile requests on every route with no 500, no hang and a catalogue code', async () => {
    // HEAD mirrors GET and has no body to carry a code; GET is walked.
    for (const route of routes.filter((r) => r.method !== 'HEAD')) {
      await fuzzRoute(app, route, credentials, {
        seed: SEED,
        numRuns: RUNS_PER_ROUTE,
        deadlineMs: DEADLINE_MS,
        answers,
      });
    }
    expect(answers.length).toBeGreaterThan(routes.length * 10);
  }, 240_000);

  it('refuses a body over the limit with 413 MESSAGE_TOO_LARGE before parsing it', async () => {
    for (const url of ['/v1/leases', '/v1/checkouts', '/v1/admin/sync/response-file']) {
      const answer = await checkAnswer(
        app,
        {
          method: 'POST',
          url,
          headers: { 'content-type': 'application/json', ...credentials.valid[0] },
          payload: `{"file":"${'A'.repeat(2 * 1024 * 1024)}"}`,
        },
        DEADLINE_MS,
      );
      expect(answer, url).toMatchObject({ status: 413, code: 'MESSAGE_TOO_LARGE' });
    }
  });

  // Found by this suite: Fastify's router answered these with its own bodies (FST_ERR_BAD_URL,
  // FST_ERR_MAX_PARAM_LENGTH); the app now passes protocol's `frameworkErrors` (INVALID_INPUT).
  it.each([
    ['POST', '/v1/leases/%zz/renew'],
    ['DELETE', '/v1/admin/leases/%'],
    ['POST', `/v1/leases/${'x'.repeat(101)}/renew`],
  ])('answers %s %s (a bad path) with a catalogue code', async (method, url) => {
    await checkAnswer(app, { method: method as 'POST', url }, DEADLINE_MS);
  });

  // Found by this suite: `?action=a&action=b` reached SQLite's bind as an array (a 500); a query
  // parameter given twice is INVALID_INPUT now.
  it('answers a query parameter given twice with no 500 on every route', async () => {
    const failures = await duplicateQueryFailures(
      app,
      routes,
      credentials.valid[0] as Record<string, string>,
    );
    expect(failures).toEqual([]);
  });

  it('answers GET /v1/admin/audit?action=a&action=b with a catalogue code, not a 500', async () => {
    const headers = credentials.valid[0] as Record<string, string>;
    await checkAnswer(app, { method: 'GET', url: '/v1/admin/audit?action=a&action=b', headers }, DEADLINE_MS);
  });

  it('serves no file by a path: traversal under /manager/ finds nothing outside the built UI', async () => {
    for (const path of [
      '../../package.json',
      '..%2F..%2Fpackage.json',
      '%2e%2e/%2e%2e/etc/passwd',
      'assets/../../../README.md',
    ]) {
      const response = await app.inject({ method: 'GET', url: `/manager/${path}` });
      expect(response.body, path).not.toContain('"workspaces"');
      expect(response.body, path).not.toContain('root:x:0:0');
      expect(response.body, path).not.toContain('# Leasehold');
    }
  });
});
