import { errorFromWire, LeaseholdError } from '@leasehold/protocol';
import type { Dispatcher } from 'undici';
import type { CentralConnection } from './dispatcher.ts';
import { maskProxy } from './proxy.ts';
import { undici } from './undici.ts';

/** Carries one sealed sync request to the central server and brings back the sealed response. */
export interface SyncTransport {
  readonly method: 'online' | 'file';
  exchange(sealedRequest: string): Promise<string>;
}

/** Before a connection: the port cannot be reached, so the next one is tried. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);
/** Before a connection through a proxy: the proxy itself cannot be reached. */
const PROXY_DOWN = new Set([
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const DNS = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME']);
const TIMEOUT = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

function errorCode(error: unknown): string {
  const e = error as { code?: string; cause?: { code?: string } };
  return e.cause?.code ?? e.code ?? 'UNKNOWN';
}

function isTlsError(code: string): boolean {
  return (
    code.startsWith('ERR_TLS') ||
    code.startsWith('ERR_SSL') ||
    code.includes('CERT') ||
    code === 'EPROTO' ||
    code.includes('SIGNATURE')
  );
}

/**
 * What a proxy answered to CONNECT, when it refused to open the tunnel. undici 7 has no field for
 * it: a refused tunnel is a RequestAbortedError (UND_ERR_ABORTED) whose message reads
 * "Proxy response (407) !== 200 when HTTP Tunneling" (and an untunnelled request an
 * InvalidArgumentError "Proxy Authentication Required (407)").
 */
export function proxyAnswer(error: unknown): number | undefined {
  const message = error instanceof Error ? error.message : '';
  const match =
    /Proxy response \((\d{3})\)/.exec(message) ?? /Proxy Authentication Required \((407)\)/.exec(message);
  return match ? Number(match[1]) : undefined;
}

export type FailureJudgement =
  | { kind: 'next-port'; reason: string }
  | { kind: 'final'; error: LeaseholdError };

/**
 * Decides what a failed attempt on one port means (S5, S9). `sent` tells whether undici had put the
 * request on a connected socket (through the tunnel, when proxied):
 * - before that, nothing reached the central server: a refused, reset or timed-out connection means
 *   this port is blocked and the next is tried. A reset before the request went out is what many
 *   firewalls do to a forbidden port (some only after the TLS ClientHello names the host), so it
 *   counts as blocked;
 * - after that, the port is open and the central server may have acted on the request, so the
 *   failure is final: a silence is CENTRAL_TIMEOUT, a cut connection CENTRAL_UNAVAILABLE. Sending
 *   the same request to 8080 then would at best be refused as a replay.
 * Through a proxy, our only TCP connection is to the proxy: failing to make it is PROXY_UNREACHABLE
 * (never a reason to try 8080), a 407 is PROXY_AUTH_REQUIRED, and any other refusal of the tunnel
 * (403, 502, 503, a CONNECT left unanswered) is the proxy's way of saying the port is blocked.
 */
export function judgeFailure(
  error: unknown,
  context: { host: string; sent: boolean; proxy?: string | undefined; timeoutMs: number },
): FailureJudgement {
  const { host, sent, proxy } = context;
  const code = errorCode(error);
  const final = (error: LeaseholdError): FailureJudgement => ({ kind: 'final', error });
  const via = proxy ? ` via proxy ${proxy}` : '';
  if (sent) {
    if (TIMEOUT.has(code))
      return final(
        new LeaseholdError('CENTRAL_TIMEOUT', `${host}${via} sent no answer within ${context.timeoutMs} ms`),
      );
    return final(
      new LeaseholdError(
        'CENTRAL_UNAVAILABLE',
        `${host}${via}: connection lost before a full answer (${code})`,
      ),
    );
  }
  if (isTlsError(code)) return final(new LeaseholdError('TLS_FAILED', `${host}${via}: ${code}`));
  if (proxy) {
    const answer = proxyAnswer(error);
    if (answer === 407)
      return final(new LeaseholdError('PROXY_AUTH_REQUIRED', `${proxy} answered 407 to CONNECT ${host}`));
    if (answer !== undefined) return { kind: 'next-port', reason: `proxy answered ${answer}` };
    if (code === 'UND_ERR_HEADERS_TIMEOUT')
      return { kind: 'next-port', reason: 'proxy opened no tunnel in time' };
    if (PROXY_DOWN.has(code) || DNS.has(code))
      return final(new LeaseholdError('PROXY_UNREACHABLE', `${proxy}: ${code}`));
  } else if (DNS.has(code)) {
    return final(new LeaseholdError('DNS_FAILED', `${host.replace(/:\d+$/, '')}: ${code}`));
  }
  if (UNREACHABLE.has(code)) return { kind: 'next-port', reason: code };
  return final(new LeaseholdError('CENTRAL_UNAVAILABLE', `${host}${via}: ${code}`));
}

type SentWatcherClass = new (
  handler: Dispatcher.DispatchHandler,
  onSent: () => void,
) => Dispatcher.DispatchHandler;
let sentWatcherClass: SentWatcherClass | undefined;

/** Notes when undici puts the request on a connected socket: from then on the central server may have it. */
function sentWatcher(handler: Dispatcher.DispatchHandler, onSent: () => void): Dispatcher.DispatchHandler {
  // Defined on first use: its base class comes from undici, which loads only when a sync connects.
  if (!sentWatcherClass) {
    const { DecoratorHandler } = undici();
    sentWatcherClass = class SentWatcher extends DecoratorHandler {
      readonly #onSent: () => void;

      constructor(handler: Dispatcher.DispatchHandler, onSent: () => void) {
        super(handler);
        this.#onSent = onSent;
      }

      // DecoratorHandler implements onRequestStart, but undici's type declaration does not list it.
      onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
        this.#onSent();
        (DecoratorHandler.prototype as Dispatcher.DispatchHandler).onRequestStart?.call(
          this,
          controller,
          context,
        );
      }
    };
  }
  return new sentWatcherClass(handler, onSent);
}

export interface OnlineTransportOptions {
  centralUrl: string;
  ports: number[];
  timeoutMs: number;
  /**
   * Connections, trust and proxy (centralConnection), made when an exchange starts: a proxy setting
   * that cannot be used then fails the sync, and is recorded with it, instead of its preparation.
   */
  connect: () => CentralConnection;
}

/**
 * Online sync (S5): HTTPS to the central host on port 443, and on 8080 when 443 cannot be reached.
 * Only a failure to connect moves on to the next port; an answer of any kind is final.
 */
export class OnlineTransport implements SyncTransport {
  readonly method = 'online' as const;
  readonly #options: OnlineTransportOptions;

  constructor(options: OnlineTransportOptions) {
    this.#options = options;
  }

  async exchange(sealedRequest: string): Promise<string> {
    const connection = this.#options.connect();
    const tried: string[] = [];
    let via = '';
    for (const port of this.#options.ports) {
      const url = new URL('/v1/sync', this.#options.centralUrl);
      url.port = String(port);
      const route = connection.proxyFor(url);
      const context = {
        host: url.host,
        sent: false,
        proxy: route ? maskProxy(route) : undefined,
        timeoutMs: this.#options.timeoutMs,
      };
      if (context.proxy) via = ` via proxy ${context.proxy}`;
      const dispatcher = connection.dispatcher.compose(
        (dispatch) => (options, handler) =>
          dispatch(
            options,
            sentWatcher(handler, () => {
              context.sent = true;
            }),
          ),
      );
      let response: Dispatcher.ResponseData;
      try {
        response = await undici().request(url, {
          method: 'POST',
          body: sealedRequest,
          headers: { 'content-type': 'application/jose', accept: 'application/jose, application/json' },
          dispatcher,
          headersTimeout: this.#options.timeoutMs,
          bodyTimeout: this.#options.timeoutMs,
        });
      } catch (error) {
        const judgement = judgeFailure(error, context);
        if (judgement.kind === 'final') throw judgement.error;
        tried.push(`${url.host} (${judgement.reason})`);
        continue;
      }
      return readAnswer(response, context);
    }
    throw new LeaseholdError('PORTS_BLOCKED', `tried ${tried.join(', ')}${via}`);
  }
}

async function readAnswer(
  response: Dispatcher.ResponseData,
  context: Parameters<typeof judgeFailure>[1],
): Promise<string> {
  const type = String(response.headers['content-type'] ?? '');
  let text: string;
  try {
    text = await response.body.text();
  } catch (error) {
    // The answer had begun: whatever cut it, the port is open (see judgeFailure).
    const judgement = judgeFailure(error, { ...context, sent: true });
    throw judgement.kind === 'final' ? judgement.error : error;
  }
  if (response.statusCode === 200 && type.startsWith('application/jose')) return text;
  if (type.startsWith('application/json')) {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const error = errorFromWire(body);
    if (error) throw error;
  }
  throw new LeaseholdError(
    'CENTRAL_UNAVAILABLE',
    `${context.host} answered HTTP ${response.statusCode} without a Leasehold response`,
  );
}
