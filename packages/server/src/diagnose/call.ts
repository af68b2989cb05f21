import { errorCatalogue, errorFromWire, type LeaseholdError } from '@leasehold/protocol';
import type { Dispatcher } from 'undici';
import { undici } from '../sync/undici.ts';
import { classifyNetworkError, type NetworkFailure } from './steps.ts';

/** One HTTP exchange with the central server, as a value: the steps decide what it means. */
export type CentralCall =
  | { kind: 'answered'; status: number; json: unknown; wireError?: LeaseholdError }
  | { kind: 'failed'; failure: NetworkFailure };

// The answers diagnose asks for are a few hundred bytes; a page this large is not the central server.
const MAX_ANSWER_BYTES = 256 * 1024;

/**
 * Calls the central server through the dispatcher sync uses, so trust, timeouts and the proxy are
 * exactly those of a real sync.
 */
export async function callCentral(
  dispatcher: Dispatcher,
  url: URL,
  options: { body?: string; timeoutMs: number },
): Promise<CentralCall> {
  try {
    const response = await undici().request(url, {
      method: options.body === undefined ? 'GET' : 'POST',
      dispatcher,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      headers: {
        accept: 'application/json',
        ...(options.body === undefined ? {} : { 'content-type': 'application/jose' }),
      },
      ...(options.body === undefined ? {} : { body: options.body }),
    });
    const type = String(response.headers['content-type'] ?? '');
    const length = Number(response.headers['content-length'] ?? 0);
    if (!type.startsWith('application/json') || length > MAX_ANSWER_BYTES) {
      await response.body.dump();
      return { kind: 'answered', status: response.statusCode, json: undefined };
    }
    let json: unknown;
    try {
      json = JSON.parse(await response.body.text());
    } catch {
      json = undefined;
    }
    const wireError = errorFromWire(json);
    return { kind: 'answered', status: response.statusCode, json, ...(wireError ? { wireError } : {}) };
  } catch (error) {
    return { kind: 'failed', failure: classifyNetworkError(error) };
  }
}

/** The specific part of an error the central server sent (the catalogue's fix is shown on its own). */
export function wireDetail(error: LeaseholdError, fallback: string): string {
  const base = errorCatalogue[error.code].message;
  if (!error.message.startsWith(base)) return error.message;
  const rest = error.message.slice(base.length).trim();
  return rest.replace(/^\((.*)\)$/, '$1') || fallback;
}
