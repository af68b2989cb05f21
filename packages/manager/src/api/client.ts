import type { ApiErrorBody } from './types.ts';

/** A refusal of the admin API, with the catalogue's code and the message that names the fix. */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  readonly fix: string | undefined;

  constructor(status: number, body: ApiErrorBody) {
    super(body.message);
    this.name = 'ApiError';
    this.code = body.code;
    this.status = status;
    this.fix = body.fix;
  }
}

function errorBody(value: unknown, status: number): ApiErrorBody {
  const error = (value as { error?: Partial<ApiErrorBody> } | null)?.error;
  if (error && typeof error.code === 'string' && typeof error.message === 'string') {
    return {
      code: error.code,
      message: error.message,
      ...(typeof error.fix === 'string' ? { fix: error.fix } : {}),
    };
  }
  return {
    code: status === 0 ? 'SERVER_UNREACHABLE' : `HTTP_${status}`,
    message:
      status === 0
        ? 'The license server did not answer; check that `leasehold server serve` is running, then reload.'
        : `The license server answered ${status} without an error document; see its log.`,
  };
}

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * The admin API over fetch. The session cookie is HttpOnly, so the page never sees it; every change
 * carries the CSRF token the login answered (docs/admin-api.md).
 */
export class AdminApi {
  csrfToken: string | undefined;
  /** Called when a request finds the session gone, so the app can show the login form. */
  onSessionEnded: (() => void) | undefined;

  async request<T>(method: Method, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (method !== 'GET' && this.csrfToken) headers['x-csrf-token'] = this.csrfToken;
    let response: Response;
    try {
      response = await fetch(`/v1/admin${path}`, {
        method,
        headers,
        credentials: 'same-origin',
        cache: 'no-store',
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch {
      throw new ApiError(0, errorBody(undefined, 0));
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!response.ok) {
      const body = errorBody(parsed, response.status);
      // A login limit says how long to wait; the banner says it in seconds rather than naming a header.
      const retryAfter = response.headers.get('retry-after');
      if (retryAfter) body.fix = `Try again in ${retryAfter} s.`;
      const error = new ApiError(response.status, body);
      if (error.code === 'SERVER_ADMIN_AUTH_REQUIRED' && path !== '/session') this.onSessionEnded?.();
      throw error;
    }
    return parsed as T;
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }
  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }
  put<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('PUT', path, body);
  }
  delete<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }
}

/** Any thrown value as the banner shows it. */
export function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError(0, {
    code: 'MANAGER_ERROR',
    message: error instanceof Error ? error.message : String(error),
  });
}
