import { errorFromWire, LeaseholdError } from '@leasehold/protocol';
import { type Dispatcher, request } from 'undici';

/** Carries one sealed sync request to the central server and brings back the sealed response. */
export interface SyncTransport {
  readonly method: 'online' | 'file';
  exchange(sealedRequest: string): Promise<string>;
}

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
const DNS = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME']);

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

export interface OnlineTransportOptions {
  centralUrl: string;
  ports: number[];
  timeoutMs: number;
  /** Connections, trust and proxy: from createCentralDispatcher. */
  dispatcher: Dispatcher;
}

/**
 * Online sync (S5): HTTPS to the central host on port 443, and on 8080 when 443 cannot be reached.
 * Only a failure to connect moves on to the next port; an answer of any kind is final.
 */
export class OnlineTransport implements SyncTransport {
  readonly method = 'online' as const;
  readonly #options: OnlineTransportOptions;
  readonly #dispatcher: Dispatcher;

  constructor(options: OnlineTransportOptions) {
    this.#options = options;
    this.#dispatcher = options.dispatcher;
  }

  async exchange(sealedRequest: string): Promise<string> {
    const tried: string[] = [];
    for (const port of this.#options.ports) {
      const url = new URL('/v1/sync', this.#options.centralUrl);
      url.port = String(port);
      let response: Dispatcher.ResponseData;
      try {
        response = await request(url, {
          method: 'POST',
          body: sealedRequest,
          headers: { 'content-type': 'application/jose', accept: 'application/jose, application/json' },
          dispatcher: this.#dispatcher,
          headersTimeout: this.#options.timeoutMs,
          bodyTimeout: this.#options.timeoutMs,
        });
      } catch (error) {
        const code = errorCode(error);
        if (DNS.has(code)) throw new LeaseholdError('DNS_FAILED', `${url.hostname}: ${code}`);
        if (isTlsError(code)) throw new LeaseholdError('TLS_FAILED', `${url.host}: ${code}`);
        if (UNREACHABLE.has(code)) {
          tried.push(`${url.host} (${code})`);
          continue;
        }
        throw new LeaseholdError('CENTRAL_UNAVAILABLE', `${url.host}: ${code}`);
      }
      return readAnswer(response, url.host);
    }
    throw new LeaseholdError('PORTS_BLOCKED', `tried ${tried.join(', ')}`);
  }
}

async function readAnswer(response: Dispatcher.ResponseData, host: string): Promise<string> {
  const type = String(response.headers['content-type'] ?? '');
  const text = await response.body.text();
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
    `${host} answered HTTP ${response.statusCode} without a Leasehold response`,
  );
}
