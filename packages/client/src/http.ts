import { errorFromWire, LeaseholdError } from '@leasehold/protocol';
import { LeaseholdClientError } from './errors.ts';

export interface HttpOptions {
  /** The local server's client URL, without a trailing slash. */
  baseUrl: string;
  timeoutMs: number;
  fetch: typeof fetch;
}

/** Checks the URL an administrator gave the application (L0) once, so a typo fails at start-up. */
export function normalizeServerUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new LeaseholdError(
      'INVALID_INPUT',
      `"${url}" is not a URL; give the license server URL your administrator gave you, such as https://licenses.example.com`,
    );
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new LeaseholdError('INVALID_INPUT', `the license server URL must start with https:// (got ${url})`);
  }
  return parsed.href.replace(/\/+$/, '');
}

function unreachable(options: HttpOptions, reason: string, cause?: unknown): LeaseholdClientError {
  return new LeaseholdClientError(
    `The license server at ${options.baseUrl} cannot be reached (${reason}); check the URL your administrator gave you, that the server is running, and that the network lets you reach it.`,
    { cause },
  );
}

function describeFetchFailure(error: unknown, timeoutMs: number): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(error);
}

/**
 * One request to the client API. Resolves with the JSON body of a 2xx answer; throws the server's
 * error as a `LeaseholdError` (code verbatim), and anything that is not an answer from a Leasehold
 * server as a `LeaseholdClientError`.
 */
export async function callServer(
  options: HttpOptions,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<unknown> {
  let status: number;
  let text: string;
  try {
    // The content type goes only with a body: Fastify refuses an empty body declared as JSON.
    const response = await options.fetch(`${options.baseUrl}${path}`, {
      method,
      headers: body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    status = response.status;
    text = await response.text();
  } catch (error) {
    throw unreachable(options, describeFetchFailure(error, options.timeoutMs), error);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (status >= 200 && status < 300) return json;
  const refusal = errorFromWire(json);
  if (refusal) throw refusal;
  // A gateway or proxy in front of the server answered for it: as good as no answer.
  if (status >= 500) throw unreachable(options, `HTTP ${status} without a Leasehold error`);
  throw new LeaseholdError(
    'MESSAGE_MALFORMED',
    `HTTP ${status} from ${options.baseUrl}${path} is not a Leasehold answer; check that the URL is the license server's`,
  );
}

/** The part of a protocol (zod) schema used here; the SDK depends on @leasehold/protocol only. */
interface AnswerSchema<T> {
  safeParse(value: unknown): { success: true; data: T } | { success: false };
}

/** Checks a 2xx answer against its schema, so the application never holds a half-formed lease. */
export function expectAnswer<T>(schema: AnswerSchema<T>, json: unknown, what: string): T {
  const parsed = schema.safeParse(json);
  if (!parsed.success)
    throw new LeaseholdError('MESSAGE_MALFORMED', `the license server's answer holds no valid ${what}`);
  return parsed.data;
}
