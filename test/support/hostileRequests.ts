import { errorCatalogue, isErrorCode } from '@leasehold/protocol';
import fc from 'fast-check';
import type { FastifyInstance, InjectOptions } from 'fastify';
import type { WalkedRoute } from './routeWalk.ts';

/**
 * Hostile HTTP requests for any route (docs/security.md, The HTTP surfaces): wrong types, huge strings, deep nesting,
 * unicode (lone surrogates too), bad JSON, wrong content types, duplicate headers, path and query
 * junk. What every answer must be: no 500, within a deadline, and every failure a catalogue code.
 */

const printable = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
});

/** Field names our bodies use, so that generated objects get past "unknown key" and into the values. */
const FIELD_NAMES = [
  'components',
  'user',
  'computer',
  'domain',
  'hours',
  'licenseNumber',
  'instance',
  'file',
  'mode',
  'url',
  'username',
  'password',
  'name',
  'role',
  'customer',
  'expiry',
  'startDate',
  'expiryDate',
  'seats',
  'reason',
  'number',
  'activationCode',
  'displayName',
  'maxCheckoutHours',
  '__proto__',
  'constructor',
];

const hugeString = fc.integer({ min: 1_000, max: 70_000 }).map((n) => 'x'.repeat(n));
const weirdString = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'grapheme' }),
  fc.constantFrom('', ' ', '\t', '\u0000', '\ud800', 'Base', 'BASE ', '../../etc/passwd', '%00', 'null'),
  hugeString,
);
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  weirdString,
  fc.double(),
  fc.constantFrom(0, -1, 2 ** 53, Number.MAX_VALUE, true, false, null),
  fc.array(weirdString, { maxLength: 5 }),
  fc.array(fc.integer(), { maxLength: 5 }),
  fc.dictionary(weirdString, fc.jsonValue(), { maxKeys: 3 }),
);
const nearValidObject = fc.dictionary(fc.constantFrom(...FIELD_NAMES), hostileValue, { maxKeys: 6 });

/** Deep nesting as text: nothing may recurse over it unchecked. */
const deepJson = fc
  .tuple(fc.integer({ min: 100, max: 20_000 }), fc.constantFrom('[', '{"a":'))
  .map(([depth, open]) => open.repeat(depth) + (open === '[' ? ']' : '1}').repeat(depth));

export const hostileBody: fc.Arbitrary<string | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.string(), // mostly bad JSON
  nearValidObject.map((o) => JSON.stringify(o)),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  deepJson,
  fc.constantFrom('{', '{"user":', 'null', '[]', '"x"', '{"__proto__":{"admin":true}}', '\u0000'),
  fc.integer({ min: 60_000, max: 200_000 }).map((n) => JSON.stringify({ user: 'y'.repeat(n) })),
);

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-16',
  'text/plain',
  'application/jose',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
  'text/html',
  'application/json, text/plain',
  ';;;',
  'application/x-leasehold-unknown',
];

/** The query parameters the routes read (both servers). */
export const QUERY_KEYS = ['action', 'since', 'days', 'from', 'to', 'serverId', 'limit'];

export interface Credentials {
  /** Header sets that authenticate (a bearer token, a session cookie with its CSRF header…). */
  valid: Record<string, string>[];
}

/** Percent-encodes any string, lone surrogates included (they go out as U+FFFD). */
const pct = (text: string) =>
  [...Buffer.from(text, 'utf8')]
    .map((b) =>
      /[A-Za-z0-9_.~-]/.test(String.fromCharCode(b))
        ? String.fromCharCode(b)
        : `%${b.toString(16).padStart(2, '0')}`,
    )
    .join('');

const segment = fc.oneof(
  weirdString.map(pct),
  fc.string({ unit: 'binary', maxLength: 8 }).map(pct),
  fc.constantFrom('..', '%2e%2e', '%2F', '%00', '%', '%zz', 'AAAAAAAAAAAAAAAA', 'LS-AAAA-BBBB-CCCC', 'a?b=c'),
);

export function hostileRequest(route: WalkedRoute, credentials: Credentials): fc.Arbitrary<InjectOptions> {
  const auth = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...credentials.valid) },
    { weight: 1, arbitrary: fc.constant({}) },
    {
      weight: 1,
      arbitrary: fc.record({
        authorization: fc.oneof(
          printable,
          printable.map((s) => `Bearer ${s}`),
          hugeString.map((s) => `Bearer ${s}`),
        ),
      }),
    },
  );
  const extraHeaders = fc.dictionary(
    fc.constantFrom(
      'cookie',
      'x-csrf-token',
      'origin',
      'x-forwarded-for',
      'accept',
      'content-length-x',
      'host',
    ),
    fc.oneof(printable, fc.array(printable, { minLength: 2, maxLength: 3 })),
    { maxKeys: 3 },
  );
  const contentType = fc.option(
    fc.oneof(
      fc.constantFrom(...CONTENT_TYPES),
      fc.array(fc.constantFrom(...CONTENT_TYPES), { minLength: 2, maxLength: 2 }),
    ),
    { nil: undefined },
  );
  // Keys may repeat (`?since=a&since=b` parses to an array); duplicateQueryFailures walks each key too.
  const query = fc.array(fc.tuple(fc.oneof(weirdString, fc.constantFrom(...QUERY_KEYS)), weirdString), {
    maxLength: 4,
  });
  const rawQuery = fc.subarray([
    '%zz',
    '%',
    '&&==',
    'a[b]=1',
    '__proto__[x]=1',
    'since=2027-13-45',
    'limit=-1',
  ]);
  const params = fc.array(segment, { minLength: 3, maxLength: 3 });
  return fc
    .record({ auth, extraHeaders, contentType, query, rawQuery, params, body: hostileBody })
    .map(({ auth, extraHeaders, contentType, query, rawQuery, params, body }) => {
      let i = 0;
      const path = route.url
        .split('/')
        .map((part) =>
          part.startsWith(':') || part === '*' ? (params[i++ % params.length] as string) : part,
        )
        .join('/');
      const search = [...query.map(([k, v]) => `${pct(k)}=${pct(v)}`), ...rawQuery].join('&');
      const headers: Record<string, string | string[]> = { ...extraHeaders, ...auth };
      if (contentType !== undefined) headers['content-type'] = contentType;
      return {
        method: route.method as InjectOptions['method'],
        url: search ? `${path}?${search}` : path,
        headers,
        ...(body !== undefined && route.method !== 'GET' && route.method !== 'HEAD' ? { payload: body } : {}),
      };
    });
}

export interface Answer {
  status: number;
  code?: string;
  ms: number;
}

/** Sends one request; fails (throws) on a 500, a hang past the deadline, or a failure without a catalogue code. */
export async function checkAnswer(
  app: FastifyInstance,
  request: InjectOptions,
  deadlineMs: number,
): Promise<Answer> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${deadlineMs} ms`)), deadlineMs);
  });
  const response = await Promise.race([app.inject(request), hung]).finally(() => clearTimeout(timer));
  const ms = performance.now() - started;
  const where = `${request.method} ${String(request.url).slice(0, 200)}`;
  if (response.statusCode >= 500 && response.statusCode !== 502 && response.statusCode !== 503)
    throw new Error(`${where} answered ${response.statusCode}: ${response.body.slice(0, 300)}`);
  if (response.statusCode < 400) return { status: response.statusCode, ms };
  let code: unknown;
  try {
    code = (JSON.parse(response.body) as { error?: { code?: unknown } }).error?.code;
  } catch {
    throw new Error(
      `${where} answered ${response.statusCode} without a JSON error: ${response.body.slice(0, 200)}`,
    );
  }
  if (!isErrorCode(code)) throw new Error(`${where} answered ${response.statusCode} with no catalogue code`);
  if (errorCatalogue[code].status !== response.statusCode)
    throw new Error(
      `${where}: ${code} came with ${response.statusCode}, the catalogue says ${errorCatalogue[code].status}`,
    );
  return { status: response.statusCode, code, ms };
}

/** A request in a line or two, for a failure report (bodies and URLs can be megabytes). */
export function summarize(request: InjectOptions): string {
  const short = (text: unknown) => {
    const s = typeof text === 'string' ? text : JSON.stringify(text);
    return s.length > 160 ? `${s.slice(0, 160)}… (${s.length} chars)` : s;
  };
  return `${request.method} ${short(request.url)} headers=${short(request.headers)} body=${short(request.payload ?? '')}`;
}

/**
 * Fuzzes one route with fast-check and throws a short report (seed, path, request summary, reason)
 * instead of fast-check's, which would print megabytes of generated body.
 */
export async function fuzzRoute(
  app: FastifyInstance,
  route: WalkedRoute,
  credentials: Credentials,
  options: {
    seed: number;
    numRuns: number;
    deadlineMs: number;
    answers: Answer[];
    /** Takes a known bug out of the generated requests (the bug then has its own it.fails test). */
    rewrite?: (request: InjectOptions) => InjectOptions;
  },
): Promise<void> {
  const requests = hostileRequest(route, credentials).map(options.rewrite ?? ((r) => r));
  const details = await fc.check(
    fc.asyncProperty(requests, async (request) => {
      options.answers.push(await checkAnswer(app, request, options.deadlineMs));
    }),
    { seed: options.seed, numRuns: options.numRuns, endOnFailure: true },
  );
  if (details.failed) {
    const [request] = details.counterexample ?? [];
    const reason =
      details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
    throw new Error(
      `${route.method} ${route.url} failed (replay: seed ${details.seed}, path "${details.counterexamplePath}"): ${reason.slice(0, 400)}\n  request: ${request ? summarize(request) : '?'}`,
    );
  }
}

/**
 * Every route with each query parameter given twice (`?since=a&since=b` parses to an array): the
 * routes, as `METHOD url?key`, whose answer breaks the rules.
 */
export async function duplicateQueryFailures(
  app: FastifyInstance,
  routes: readonly WalkedRoute[],
  headers: Record<string, string>,
): Promise<string[]> {
  const failures: string[] = [];
  for (const route of routes.filter((r) => r.method === 'GET')) {
    for (const key of QUERY_KEYS) {
      for (const values of [
        ['a', 'b'],
        ['2027-01-01T00:00:00Z', '1'],
      ]) {
        const url = `${route.url.replace(/:[a-zA-Z]+/g, 'AAAAAAAAAAAAAAAA').replace('*', 'x')}?${values.map((v) => `${key}=${encodeURIComponent(v)}`).join('&')}`;
        try {
          await checkAnswer(app, { method: 'GET', url, headers }, 5_000);
        } catch {
          failures.push(`${route.method} ${route.url}?${key}`);
          break;
        }
      }
    }
  }
  return failures;
}
