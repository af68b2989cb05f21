import { type ErrorCode, errorCatalogue } from '@leasehold/protocol';

/**
 * One link of the chain to the central server, as `leasehold server diagnose` reports it (S9):
 * what was checked, whether it passed, and when not, the error code and the fix from the catalogue.
 */
export type StepStatus = 'passed' | 'failed' | 'skipped';
export type StepName = 'dns' | `tcp:${number}` | 'tls' | 'protocol' | 'clock' | 'binding';

export interface StepResult {
  step: StepName;
  status: StepStatus;
  detail: string;
  code?: ErrorCode;
  fix?: string;
}

export const passed = (step: StepName, detail: string): StepResult => ({ step, status: 'passed', detail });

export const skipped = (step: StepName, detail: string): StepResult => ({ step, status: 'skipped', detail });

/** A failed step; with a code, the fix is the catalogue's message for it unless a better one is given. */
export function failed(step: StepName, detail: string, code?: ErrorCode, fix?: string): StepResult {
  const remedy = fix ?? (code ? errorCatalogue[code].message : undefined);
  return {
    step,
    status: 'failed',
    detail,
    ...(code ? { code } : {}),
    ...(remedy ? { fix: remedy } : {}),
  };
}

/** What went wrong on the way to the central server, reduced to what the steps need to decide. */
export type NetworkFailureKind =
  | 'dns'
  | 'unreachable'
  | 'connect-timeout'
  | 'answer-timeout'
  | 'tls'
  | 'proxy-status'
  | 'closed'
  | 'other';

export interface NetworkFailure {
  kind: NetworkFailureKind;
  /** The system, OpenSSL or undici code, for the detail line. */
  code: string;
  /** The status a proxy answered a CONNECT with (undici reports it only in the message). */
  proxyStatus?: number;
}

const DNS = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'ENODATA']);
const UNREACHABLE = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'EHOSTDOWN']);
const CONNECT_TIMEOUT = new Set(['ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT']);
const ANSWER_TIMEOUT = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
const CLOSED = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

export function isTlsCode(code: string): boolean {
  return (
    code.startsWith('ERR_TLS') ||
    code.startsWith('ERR_SSL') ||
    code.includes('CERT') ||
    code.includes('SIGNATURE') ||
    code === 'EPROTO'
  );
}

/** Classifies an error from node:net, node:tls or undici (which keeps the socket error in `cause`). */
export function classifyNetworkError(error: unknown): NetworkFailure {
  const e = error as { code?: unknown; name?: unknown; message?: unknown; cause?: { code?: unknown } };
  const message = typeof e.message === 'string' ? e.message : '';
  // A refused tunnel; and for a request undici did not tunnel, its own wording of a 407.
  const proxy =
    /Proxy response \((\d{3})\)/.exec(message) ?? /Proxy Authentication Required \((407)\)/.exec(message);
  if (proxy) return { kind: 'proxy-status', code: 'PROXY', proxyStatus: Number(proxy[1]) };
  if (e.name === 'TimeoutError') return { kind: 'connect-timeout', code: 'TIMEOUT' };
  const code = String(
    (typeof e.cause?.code === 'string' ? e.cause.code : undefined) ??
      (typeof e.code === 'string' ? e.code : undefined) ??
      'UNKNOWN',
  );
  if (DNS.has(code)) return { kind: 'dns', code };
  if (UNREACHABLE.has(code)) return { kind: 'unreachable', code };
  if (CONNECT_TIMEOUT.has(code)) return { kind: 'connect-timeout', code };
  if (ANSWER_TIMEOUT.has(code)) return { kind: 'answer-timeout', code };
  if (isTlsCode(code)) return { kind: 'tls', code };
  if (CLOSED.has(code)) return { kind: 'closed', code };
  return { kind: 'other', code };
}

/** Rejects with ETIMEDOUT when the promise takes longer than `ms` (DNS lookups have no timeout of their own). */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(Object.assign(new Error(`no answer in ${ms} ms`), { code: 'ETIMEDOUT' })),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;
