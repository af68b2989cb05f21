import { describeIssues, LeaseholdError, randomToken, systemClock } from '@leasehold/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { AdminStore } from '../admin/adminStore.ts';
import { adminDocsPage, DOCS_ICON, DOCS_STYLESHEET } from '../admin/docsPage.ts';
import { parseHistoryDays, readHistory } from '../admin/history.ts';
import { ACCOUNT_FAILURES_PER_MINUTE, LoginLimiter } from '../admin/loginLimiter.ts';
import { adminOpenApi } from '../admin/openapi.ts';
import { hashPassword, hashSecret, verifyPassword } from '../admin/password.ts';
import {
  type AdminRoute,
  authorize,
  autoSyncBody,
  loginBody,
  type Principal,
  passwordBody,
  policyFor,
  proxyBody,
  responseFileBody,
  tokenBody,
} from '../admin/policies.ts';
import {
  clearedSessionCookie,
  readSessionCookie,
  SESSION_IDLE_MS,
  sessionCookie,
  sessionExpiresAt,
} from '../admin/sessions.ts';
import { currentUsers, readComponents } from '../admin/usage.ts';
import { diagnoseLocalServer } from '../diagnose/index.ts';
import type { LocalServer } from '../localServer.ts';
import { readStatus } from '../status.ts';
import { readAutoSyncStatus, setAutoSyncMode } from '../sync/autoSyncStore.ts';
import { clearProxySetting, maskProxy, parseProxyUrl, saveProxySetting } from '../sync/proxy.ts';

// A response file carries the whole allocation; the client API's 64 KiB would cut a large one.
const RESPONSE_FILE_LIMIT_BYTES = 1024 * 1024 + 4096;

type Handler = (request: FastifyRequest, reply: FastifyReply, principal: Principal | undefined) => unknown;

function parse<S extends z.ZodType>(schema: S, request: FastifyRequest): z.infer<S> {
  const parsed = schema.safeParse(request.body);
  if (!parsed.success) throw new LeaseholdError('INVALID_INPUT', describeIssues(parsed.error).join('; '));
  return parsed.data;
}

/** A query parameter given once, or absent; `?a=1&a=2` is refused rather than guessed at. */
function queryString(value: unknown, name: string): string | undefined {
  if (value === undefined || typeof value === 'string') return value;
  throw new LeaseholdError('INVALID_INPUT', `${name} may be given once`);
}

function sinceParam(value: unknown): number {
  if (value === undefined || value === '') return 0;
  const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms))
    throw new LeaseholdError('INVALID_INPUT', 'since takes an ISO time such as 2027-01-31T00:00:00Z');
  return ms;
}

/**
 * The admin API of the local server (M1; docs/admin-api.md): thin adapters over the domain functions,
 * each behind the one authorize() of the policy table. `secure` marks the session cookie Secure
 * (TLS).
 */
export function registerAdminRoutes(
  app: FastifyInstance,
  server: LocalServer,
  options: { secure: boolean },
): void {
  const store = new AdminStore(server.store.db);
  const addressLimiter = new LoginLimiter();
  const accountLimiter = new LoginLimiter(ACCOUNT_FAILURES_PER_MINUTE);
  const now = () => {
    const judgement = server.guard.judge();
    return judgement.ok ? judgement.now : judgement.highWater;
  };
  // A login for an unknown user costs the same scrypt as a wrong password, so timing tells nothing.
  let decoy: Promise<string> | undefined;

  const principals = new WeakMap<FastifyRequest, Principal>();
  const route = (method: AdminRoute['method'], url: string, handler: Handler) => {
    const policy = policyFor(method, url);
    if (!policy) throw new Error(`admin route ${method} ${url} is not in admin/policies.ts`);
    app.route({
      method,
      url,
      ...(url === '/v1/admin/sync/response-file' ? { bodyLimit: RESPONSE_FILE_LIMIT_BYTES } : {}),
      // Before the body is read: a caller without credentials gets 401, not a parse error.
      onRequest: async (request, reply) => {
        const principal = authorize(
          policy.access,
          {
            authorization: request.headers.authorization,
            cookie: request.headers.cookie,
            csrf: request.headers['x-csrf-token'],
            secure: options.secure,
          },
          store,
          now(),
        );
        if (policy.sessionOnly && principal?.kind !== 'session')
          throw new LeaseholdError('SERVER_ADMIN_SESSION_REQUIRED');
        if (principal) principals.set(request, principal);
        reply.header('cache-control', 'no-store');
      },
      handler: async (request, reply) => handler(request, reply, principals.get(request)),
    });
  };

  route('GET', '/v1/admin/openapi.json', async () => adminOpenApi());
  // Outside /v1/admin (it is a page, not the API) and public, like the OpenAPI document.
  const docs = adminDocsPage();
  app.get('/docs', async (_request, reply) => reply.type('text/html; charset=utf-8').send(docs));
  app.get('/docs/docs.css', async (_request, reply) =>
    reply.type('text/css; charset=utf-8').send(DOCS_STYLESHEET),
  );
  app.get('/docs/icon.svg', async (_request, reply) => reply.type('image/svg+xml').send(DOCS_ICON));

  // Tries are limited per address and, more loosely (so that no one can lock the admin out), per account.
  // A try counts as a failure before the (slow, asynchronous) password check and is forgiven when
  // it succeeds: counted only after, a burst of parallel guesses would all pass the limit.
  const takeTry = (reply: FastifyReply, user: string, at: Date, ip: string) => {
    const wait = Math.max(
      addressLimiter.retryAfterSeconds(ip, at.getTime()) ?? 0,
      accountLimiter.retryAfterSeconds(user, at.getTime()) ?? 0,
    );
    if (wait > 0) {
      reply.header('retry-after', String(wait));
      throw new LeaseholdError('SERVER_ADMIN_LOGIN_LIMITED', `${user} from ${ip}: wait ${wait} s`);
    }
    addressLimiter.fail(ip, at.getTime());
    accountLimiter.fail(user, at.getTime());
  };
  const checkPassword = async (reply: FastifyReply, user: string, password: string, at: Date, ip: string) => {
    takeTry(reply, user, at, ip);
    const stored = store.passwordHash(user);
    decoy ??= hashPassword(randomToken(16));
    const ok = await verifyPassword(password, stored ?? (await decoy));
    if (!stored || !ok) return false;
    addressLimiter.succeed(ip);
    accountLimiter.succeed(user);
    return true;
  };

  route('POST', '/v1/admin/session', async (request, reply) => {
    const { user, password } = parse(loginBody, request);
    const at = now();
    if (!(await checkPassword(reply, user, password, at, request.ip))) {
      store.audit(at, 'admin.login-failed', `${user} from ${request.ip}`);
      throw new LeaseholdError('SERVER_ADMIN_LOGIN_FAILED');
    }
    // A session id a browser brought to the login is never kept: the login always issues a new one.
    const presented = readSessionCookie(request.headers.cookie, options);
    if (presented) store.endSession(hashSecret(presented));
    const created = store.createSession(user, at);
    store.audit(at, 'admin.login', `${user} from ${request.ip}`);
    reply.header(
      'set-cookie',
      sessionCookie(created.sessionId, { secure: options.secure, maxAgeSeconds: SESSION_IDLE_MS / 1000 }),
    );
    return {
      user,
      csrfToken: created.csrfToken,
      expiresAt: new Date(sessionExpiresAt(created.session, at.getTime())).toISOString(),
    };
  });
  route('GET', '/v1/admin/session', async (_request, _reply, who) =>
    who?.kind === 'session'
      ? {
          via: 'session',
          user: who.user,
          csrfToken: who.session.csrfToken,
          expiresAt: new Date(sessionExpiresAt(who.session, now().getTime())).toISOString(),
        }
      : { via: 'token', token: who?.kind === 'token' ? who.name : null },
  );
  route('DELETE', '/v1/admin/session', async (_request, reply, who) => {
    if (who?.kind !== 'session') return { loggedOut: false };
    store.endSession(who.session.idHash);
    store.audit(now(), 'admin.logout', who.user);
    reply.header('set-cookie', clearedSessionCookie({ secure: options.secure }));
    return { loggedOut: true };
  });
  route('PUT', '/v1/admin/password', async (request, reply, principal) => {
    if (principal?.kind !== 'session') throw new LeaseholdError('SERVER_ADMIN_SESSION_REQUIRED');
    const { currentPassword, newPassword } = parse(passwordBody, request);
    const at = now();
    if (!(await checkPassword(reply, principal.user, currentPassword, at, request.ip))) {
      store.audit(at, 'admin.password-change-failed', `${principal.user} from ${request.ip}`);
      throw new LeaseholdError('SERVER_ADMIN_PASSWORD_WRONG');
    }
    if (newPassword === currentPassword)
      throw new LeaseholdError('INVALID_INPUT', 'the new password must differ from the current one');
    store.setPassword(principal.user, await hashPassword(newPassword), at);
    store.endSessionsOf(principal.user, principal.session.idHash);
    return { changed: true };
  });

  route('GET', '/v1/admin/status', async () => readStatus(server));
  route('GET', '/v1/admin/licenses', async () => ({
    licenses: server.store.currentAllocation()?.allocation.licenses ?? [],
  }));
  route('GET', '/v1/admin/components', async () => ({ components: readComponents(server) }));
  route('GET', '/v1/admin/users', async () => ({ users: currentUsers(server.leases.list()) }));
  route('GET', '/v1/admin/leases', async () => ({ leases: server.leases.list() }));
  route('DELETE', '/v1/admin/leases/:id', async (request) => {
    const { id } = request.params as { id: string };
    return server.leases.release(id, { kind: 'floating', by: 'admin' });
  });

  route('POST', '/v1/admin/sync', async () => server.syncClient.sync(server.onlineTransport()));
  route('GET', '/v1/admin/sync/settings', async () => readAutoSyncStatus(server.store, now()));
  route('PUT', '/v1/admin/sync/settings', async (request) => {
    const { mode } = parse(autoSyncBody, request);
    const at = now();
    setAutoSyncMode(server.store, mode, at);
    return readAutoSyncStatus(server.store, at);
  });
  route('POST', '/v1/admin/sync/request-file', async () => {
    const exported = await server.syncClient.exportRequestFile();
    return { ...exported, fileName: `${server.config.licenseServerId}-sync-request.txt` };
  });
  route('POST', '/v1/admin/sync/response-file', async (request) => {
    const { file } = parse(responseFileBody, request);
    return server.syncClient.importResponseFile(file);
  });

  const shownProxy = () => {
    const proxy = server.centralProxy();
    return proxy
      ? {
          proxy: maskProxy(proxy),
          source: proxy.source,
          authenticated: Boolean(proxy.username),
          noProxy: proxy.noProxy,
        }
      : { proxy: null, source: null, authenticated: false, noProxy: [] };
  };
  route('GET', '/v1/admin/proxy', async () => shownProxy());
  route('PUT', '/v1/admin/proxy', async (request) => {
    const { url, username, password } = parse(proxyBody, request);
    saveProxySetting(server.dataDir, parseProxyUrl(url, { username, password }));
    return shownProxy();
  });
  route('DELETE', '/v1/admin/proxy', async () => ({
    cleared: clearProxySetting(server.dataDir),
    ...shownProxy(),
  }));
  // The plain system clock: a diagnosis only reads, and must not move the rollback guard's mark.
  route('GET', '/v1/admin/diagnose', async () => diagnoseLocalServer(server, systemClock));

  route('GET', '/v1/admin/audit', async (request) => {
    const query = request.query as Record<string, unknown>;
    const action = queryString(query.action, 'action');
    return {
      entries: server.leases.audit({
        ...(action ? { action } : {}),
        sinceMs: sinceParam(queryString(query.since, 'since')),
      }),
    };
  });
  route('GET', '/v1/admin/denials', async (request) => ({
    entries: server.leases.audit({
      action: 'lease.denied',
      sinceMs: sinceParam(queryString((request.query as Record<string, unknown>).since, 'since')),
    }),
  }));

  route('GET', '/v1/admin/history', async (request) =>
    readHistory(
      server,
      parseHistoryDays(queryString((request.query as Record<string, unknown>).days, 'days')),
    ),
  );

  route('GET', '/v1/admin/tokens', async () => ({ tokens: store.listTokens() }));
  route('POST', '/v1/admin/tokens', async (request, reply) => {
    const { name } = parse(tokenBody, request);
    return reply.status(201).send(store.createToken(name, now()));
  });
  route('DELETE', '/v1/admin/tokens/:name', async (request) =>
    store.revokeToken((request.params as { name: string }).name, now()),
  );
}
