/**
 * The one catalogue of Leasehold error codes. Every failure a user can see carries one of these
 * codes, an HTTP status and a message that names the likely cause and the fix.
 * `docs/errors.md` mirrors this table; a test fails when the two disagree. Retired codes are never reused.
 */
export const errorCatalogue = {
  // Input and configuration
  INVALID_INPUT: { status: 400, message: 'The input is not valid; correct the fields named in the details.' },
  CONFIG_INVALID: {
    status: 500,
    message:
      'The configuration file is not valid; correct the settings named in the details or run init again.',
  },
  NOT_INITIALIZED: {
    status: 500,
    message:
      'This data folder has not been initialized; run `leasehold central init` or `leasehold server init` first.',
  },
  DATA_FROM_NEWER_VERSION: {
    status: 500,
    message:
      'The database was migrated by a newer Leasehold; run that version or a later one, or restore a backup made by this one. Nothing was changed.',
  },
  ALREADY_INITIALIZED: {
    status: 409,
    message: 'This data folder is already initialized; use another --data-dir, or keep the existing one.',
  },
  ADMIN_AUTH_REQUIRED: {
    status: 401,
    message:
      'A valid admin token is required; pass the token printed by `leasehold central init` or `leasehold central token create`.',
  },
  NOT_FOUND: { status: 404, message: 'No such route; check the URL and the Leasehold version.' },
  ADMIN_FORBIDDEN: {
    status: 403,
    message:
      'This admin token may not do that (a reader token only reads); use a token created with `leasehold central token create --role admin`.',
  },
  ADMIN_TOKEN_EXISTS: {
    status: 409,
    message:
      'An admin token with this name exists or existed (names are never reused, so the audit log stays unambiguous); choose another name.',
  },
  ADMIN_TOKEN_NOT_FOUND: {
    status: 404,
    message: 'No admin token has this name; list them with `leasehold central token list`.',
  },
  SERVER_ADMIN_AUTH_REQUIRED: {
    status: 401,
    message:
      'The local server admin API needs a login: sign in to the License Server Manager again (sessions end after 8 idle hours), or send a token from `leasehold server admin token create` as `Authorization: Bearer <token>`.',
  },
  SERVER_ADMIN_CSRF_FAILED: {
    status: 403,
    message:
      'This change needs the `x-csrf-token` header with the token the login answered; reload the License Server Manager, or use an API token (which needs no CSRF header).',
  },
  SERVER_ADMIN_LOGIN_FAILED: {
    status: 401,
    message:
      'The user name or password is wrong; use the admin account created by `leasehold server init` (the password was printed once, or read from --admin-password-stdin).',
  },
  SERVER_ADMIN_LOGIN_LIMITED: {
    status: 429,
    message:
      'Too many failed logins from this address in the last minute; wait for the time in the Retry-After header, then try again.',
  },
  AUDIT_CHAIN_BROKEN: {
    status: 409,
    message:
      'The audit log was changed outside Leasehold: the named entry, or the one before it, was edited or deleted. Keep the data folder as it is for investigation and compare it with a backup.',
  },
  ADMIN_REMOTE_REFUSED: {
    status: 403,
    message:
      'The admin API and the License Server Manager answer this computer only; open them on the license server itself (or through an SSH tunnel), or add your address to adminRemoteAddresses in server.json.',
  },
  SERVER_ADMIN_SESSION_REQUIRED: {
    status: 403,
    message:
      'Changing the admin password needs a login to the License Server Manager (a session), not an API token; on the server itself use `leasehold server admin password`.',
  },
  SERVER_ADMIN_PASSWORD_WRONG: {
    status: 403,
    message:
      'The current password is wrong; nothing was changed. Tries are limited like logins. If it is lost, set a new one on the server with `leasehold server admin password`.',
  },
  SERVER_ADMIN_TOKEN_EXISTS: {
    status: 409,
    message:
      'A local server API token with this name exists or existed (names are never reused, so the audit log stays unambiguous); choose another name.',
  },
  SERVER_ADMIN_TOKEN_NOT_FOUND: {
    status: 404,
    message: 'No active API token has this name; list them with `leasehold server admin token list`.',
  },
  MANAGER_NOT_BUILT: {
    status: 503,
    message:
      'The License Server Manager web UI is not built in this installation; run `npm run build` (npm install runs it too), then restart `leasehold server serve`.',
  },
  RATE_LIMITED: {
    status: 429,
    message:
      'Too many sync requests from this address in the last minute; wait for the time in the Retry-After header (at most a minute), then retry.',
  },
  DATABASE_UNAVAILABLE: {
    status: 503,
    message:
      'The central server cannot reach its database; check that PostgreSQL is running and reachable at the URL in central.json.',
  },
  INTERNAL: {
    status: 500,
    message:
      'An unexpected error occurred; the server log has the details. Tell the administrator the time it happened.',
  },

  // Messages and envelopes (S8)
  MESSAGE_MALFORMED: {
    status: 400,
    message:
      'The message is not a well-formed Leasehold message; it was damaged or is not from Leasehold. Create a new one.',
  },
  MESSAGE_TOO_LARGE: {
    status: 413,
    message:
      'The message is larger than any Leasehold message can be and was refused; send only the file or message Leasehold wrote.',
  },
  MESSAGE_TAMPERED: {
    status: 400,
    message:
      'The message was altered after it was sealed (decryption failed); create a new one and send it again.',
  },
  MESSAGE_NOT_FOR_RECIPIENT: {
    status: 400,
    message:
      'The message is encrypted to another key: it was meant for a different server. Use the file or response made for this one.',
  },
  MESSAGE_TYPE_UNEXPECTED: {
    status: 400,
    message:
      'The message is of the wrong kind here (for example a request where a response belongs); check which file was chosen.',
  },
  SIGNATURE_INVALID: {
    status: 400,
    message: 'The message signature does not verify; the message was altered or forged. Create a new one.',
  },
  SIGNER_UNKNOWN: {
    status: 400,
    message:
      'The message is signed by a key this server does not trust; check that the vendor public key file installed is the right one.',
  },
  PROTOCOL_VERSION_UNSUPPORTED: {
    status: 400,
    message:
      'The message uses a protocol version this program does not know; update Leasehold on the older side.',
  },

  FILE_CORRUPT: {
    status: 400,
    message:
      'The file is not a complete Leasehold sync file: it was cut short or altered (mail clients sometimes do), or it is another file. Export it again.',
  },

  // Central server: ids, bindings, licenses (S3, S4, C1)
  SERVER_ID_UNKNOWN: {
    status: 404,
    message:
      'The central server does not know this license server id; check the id against what your vendor sent.',
  },
  SERVER_ID_IN_USE: {
    status: 409,
    message:
      'This license server id is bound to another server (another key). Use the server it is bound to, or ask the vendor to clear the binding.',
  },
  SERVER_KEY_WEAK: {
    status: 400,
    message:
      'The server key in the request cannot be bound: it is a small-order or non-canonical key, which Leasehold never makes. Make new keys by initializing the local server in a new data folder (`leasehold server init`).',
  },
  ACTIVATION_CODE_REQUIRED: {
    status: 403,
    message:
      'The first sync of this id needs its activation code; run `leasehold server init` with --activation-code.',
  },
  ACTIVATION_CODE_INVALID: {
    status: 403,
    message: 'The activation code does not match this id; check it against what your vendor sent.',
  },
  ACTIVATION_CODE_USED: {
    status: 403,
    message:
      'This activation code was already used to bind the id and cannot be used again; ask the vendor for the new code issued when the binding was cleared.',
  },
  REQUEST_REPLAYED: {
    status: 409,
    message: 'This sync request was already answered; create a new request with `leasehold server sync`.',
  },
  SERVER_ID_EXISTS: {
    status: 409,
    message: 'A license server id with this value already exists; choose another.',
  },
  LICENSE_NOT_FOUND: {
    status: 404,
    message:
      'No license with this number exists for this id; list them with `leasehold central license list`.',
  },
  LICENSE_EXISTS: {
    status: 409,
    message: 'A license with this number already exists; use `leasehold central license change` to alter it.',
  },
  BINDING_NOT_FOUND: { status: 404, message: 'This id is not bound to any server; nothing to clear.' },
  VENDOR_KEY_UNKNOWN: {
    status: 404,
    message:
      'No vendor signing key in use has this key id (it may be retired already); list the keys with `leasehold central keys list`.',
  },
  VENDOR_KEY_ACTIVE: {
    status: 409,
    message:
      'This is the active vendor signing key; rotate first (`leasehold central keys rotate`), then retire it once local servers have learned the new key.',
  },
  VENDOR_KEY_LIMIT: {
    status: 409,
    message:
      'Too many previous vendor keys still announce the active one; retire the oldest (`leasehold central keys retire KID`) before rotating again.',
  },
  VENDOR_KEYS_FROM_ENVIRONMENT: {
    status: 409,
    message:
      'The vendor keys come from LEASEHOLD_VENDOR_PRIVATE_KEYS, which this program cannot change; rotate on a copy of the key file without that variable set, put the new file into the secret store, and restart the nodes (docs/key-rotation.md).',
  },
  SYNC_RATE_LIMITED: {
    status: 429,
    message:
      'Too many sync requests for this license server id in the last minute; wait for the time in the Retry-After header, then retry. A server that syncs in a loop needs its schedule checked.',
  },

  // Local server: sync and issuing (S1, S5, S9, S10)
  NOT_SYNCHRONIZED: {
    status: 403,
    message:
      'The license server is not synchronized: it has never synchronized or the last sync is more than 366 days old. Run `leasehold server sync` (or sync via file).',
  },
  RESPONSE_CERTIFICATE_INVALID: {
    status: 502,
    message:
      "The sync response's server key certificate does not verify or does not match the response; nothing was changed. Sync again; if it persists, tell the vendor.",
  },
  SERVER_STATE_REFUSED: {
    status: 403,
    message:
      'The vendor refuses syncs from this license server while its state looks copied or restored (the details name what was seen); contact the vendor: they can clear the binding or lift the refusal, and nothing was changed.',
  },
  LOCAL_STATE_INVALID: {
    status: 403,
    message:
      "The license server's stored allocation does not verify with the vendor's keys (edited, copied from another server, or stored by an earlier Leasehold), so no licenses are issued; run `leasehold server sync` (or sync via file) to replace it, or restore the data folder from a backup.",
  },
  CLOCK_ROLLBACK: {
    status: 403,
    message:
      'The system clock is earlier than a time this server has already seen; set the clock right (check NTP). Licenses are refused until then. If the clock was ahead by mistake and is right now, synchronize once (`leasehold server sync`, or a sync by file): a response whose signed time agrees with this clock brings the server back.',
  },
  RESPONSE_EXPIRED: {
    status: 400,
    message:
      'The sync response was made more than 30 days ago; export a new request file (`leasehold server sync export`) and have the vendor answer it.',
  },
  CLOCK_SKEW: {
    status: 400,
    message:
      "The central server's time and this server's clock differ by more than a day; set the clock right (check NTP).",
  },
  RESPONSE_STALE: {
    status: 409,
    message:
      'The sync response is older than (or the same as) the allocation already stored; it was refused. Sync again.',
  },
  RESPONSE_NOT_FOR_THIS_SERVER: {
    status: 400,
    message:
      'The sync response is for another license server id or another server key; use the response made for this server.',
  },
  RESPONSE_NOT_FOR_THIS_REQUEST: {
    status: 400,
    message: 'The sync response does not answer the request this server sent; sync again.',
  },
  PORTS_BLOCKED: {
    status: 502,
    message:
      'Neither port 443 nor port 8080 of the central server can be reached; open outbound TCP 443 or 8080 to the central server, set a proxy, or sync via file.',
  },
  DNS_FAILED: {
    status: 502,
    message:
      "The central server's host name cannot be resolved; check DNS and the central URL in the configuration.",
  },
  TLS_FAILED: {
    status: 502,
    message:
      'The TLS connection to the central server failed (certificate or interception); check the proxy and the system clock.',
  },
  PROXY_AUTH_REQUIRED: {
    status: 502,
    message:
      'The proxy refused the connection (HTTP 407): its user name or password is missing or wrong. Set them with `leasehold server proxy set`.',
  },
  PROXY_UNREACHABLE: {
    status: 502,
    message:
      'The proxy cannot be reached; check the proxy address and port (`leasehold server proxy set`) or HTTPS_PROXY.',
  },
  CENTRAL_TIMEOUT: {
    status: 504,
    message:
      'The central server accepted the connection but did not answer in time; try again later, or sync via file.',
  },
  CENTRAL_UNAVAILABLE: {
    status: 503,
    message: 'The central server answered with an error or not at all; try again later or sync via file.',
  },
  SERVER_UNREACHABLE: {
    status: 503,
    message:
      'The license server cannot be reached (no answer, refused, or a gateway error page); check its URL, that it is running, and the network.',
  },

  // Leases and checkouts (L1-L6, S2)
  LICENSE_UNKNOWN: {
    status: 404,
    message:
      'This license server holds no license with that number; `leasehold server status` lists the license numbers.',
  },
  COMPONENTS_NOT_LICENSED: {
    status: 403,
    message:
      'No single license on this server covers all the requested components; the details name what is missing. Ask the vendor.',
  },
  DOMAIN_NOT_SERVED: {
    status: 403,
    message:
      "The licenses that cover these components serve another domain; check the application's domain setting.",
  },
  LICENSE_NOT_ACTIVE: {
    status: 403,
    message:
      'The license that covers these components has expired or has not started yet; ask the vendor for a renewal.',
  },
  NO_SEATS_AVAILABLE: {
    status: 409,
    message:
      'Every seat of the requested components is in use; try again when a user releases one, or ask for more seats.',
  },
  LEASE_NOT_TRUSTED: {
    status: 502,
    message:
      "The license server's answer carries no lease token the vendor's keys vouch for (not a Leasehold server the vendor certified, an answer to another request, or outside what the vendor allocated); no lease was taken. Check the server URL the application uses.",
  },
  LEASE_NOT_FOUND: {
    status: 404,
    message:
      'This license server holds no lease with that id (released, expired or never granted); activate again.',
  },
  LEASE_EXPIRED: {
    status: 410,
    message: 'The lease ran out because it was not renewed in time; activate again.',
  },
  LEASE_SEATS_WITHDRAWN: {
    status: 409,
    message:
      'The lease was not renewed: the last sync removed or shrank its license. Activate again to get a seat if one is free.',
  },
  CHECKOUT_NOT_ALLOWED: {
    status: 403,
    message:
      'The license does not allow checkout (its maximum checkout time is 0 hours); use a floating license.',
  },
  CHECKOUT_TOO_LONG: {
    status: 400,
    message:
      'The checkout period asked for is longer than the license allows; ask for at most the maximum named in the details.',
  },
  CHECKOUT_NOT_FOUND: {
    status: 404,
    message: 'This license server holds no checkout with that id (returned or ended); nothing to return.',
  },
  CHECKOUT_NOT_RELEASABLE: {
    status: 409,
    message:
      'A checkout cannot be released by the administrator; it ends at its time or when its holder returns it.',
  },
  CHECKOUT_TOKEN_INVALID: {
    status: 400,
    message:
      'The checkout token does not verify (altered, for someone else, or from an untrusted server); check out again.',
  },
  CHECKOUT_EXPIRED: {
    status: 410,
    message: 'The checkout period has ended; connect to the license server and check out again.',
  },
  CHECKOUT_RETURN_NOT_ALLOWED: {
    status: 403,
    message:
      'The vendor does not allow returning a checkout of this license before its end; the seat comes back when the checkout ends (the details say when).',
  },
  CHECKOUT_RETURNED: {
    status: 410,
    message:
      'This checkout was returned to the license server, so its token no longer licenses anything; check out again.',
  },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof errorCatalogue;

export class LeaseholdError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: unknown;

  constructor(code: ErrorCode, detail?: string, details?: unknown) {
    const entry = errorCatalogue[code];
    super(detail ? `${entry.message} (${detail})` : entry.message);
    this.name = 'LeaseholdError';
    this.code = code;
    this.status = entry.status;
    this.details = details;
  }

  toJSON(): { code: ErrorCode; message: string; details?: unknown } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(errorCatalogue, value);
}

/** Rebuilds an error received over HTTP (`{ error: { code, message } }`) as a LeaseholdError. */
export function errorFromWire(body: unknown): LeaseholdError | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } }).error;
  if (!error || !isErrorCode(error.code)) return undefined;
  const result = new LeaseholdError(error.code, undefined, error.details);
  if (typeof error.message === 'string') result.message = error.message;
  return result;
}

/** What an HTTP adapter sends for any thrown error: the catalogue's status and `{ error }`. */
export function errorReply(error: unknown): {
  status: number;
  body: { error: ReturnType<LeaseholdError['toJSON']> };
  unexpected: boolean;
} {
  if (error instanceof LeaseholdError)
    return { status: error.status, body: { error: error.toJSON() }, unexpected: false };
  const e = error as { validation?: unknown; statusCode?: number; message?: string };
  if (e.validation || (e.statusCode && e.statusCode >= 400 && e.statusCode < 500)) {
    const mapped = new LeaseholdError(
      e.statusCode === 413 ? 'MESSAGE_TOO_LARGE' : 'INVALID_INPUT',
      e.message,
    );
    return { status: mapped.status, body: { error: mapped.toJSON() }, unexpected: false };
  }
  return { status: 500, body: { error: new LeaseholdError('INTERNAL').toJSON() }, unexpected: true };
}

interface Reply {
  status(code: number): { send(body: unknown): unknown };
}

/** The slice of a Fastify app the error mapping needs (the protocol package does not depend on Fastify). */
export interface ErrorHandlingApp {
  setErrorHandler(
    handler: (
      error: unknown,
      request: { log: { error(context: unknown, message: string): void } },
      reply: Reply,
    ) => unknown,
  ): unknown;
  setNotFoundHandler(handler: (request: { method: string; url: string }, reply: Reply) => unknown): unknown;
}

/** Both servers answer every failure as `{ error: { code, message } }` with the catalogue's status. */
export function installErrorHandling(app: ErrorHandlingApp): void {
  app.setErrorHandler((error, request, reply) => {
    const { status, body, unexpected } = errorReply(error);
    if (unexpected) request.log.error({ err: error }, 'unexpected error');
    return reply.status(status).send(body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .status(404)
      .send({ error: new LeaseholdError('NOT_FOUND', `${request.method} ${request.url}`).toJSON() }),
  );
}

/**
 * Fastify's router refuses some URLs before any handler or error handler runs (a bad percent
 * escape, an over-long path parameter); pass this as its `frameworkErrors` option so those answers
 * carry a catalogue code too.
 */
export function frameworkErrors(error: { message: string }, _request: unknown, reply: unknown): void {
  (reply as Reply)
    .status(400)
    .send({ error: new LeaseholdError('INVALID_INPUT', error.message.slice(0, 300)).toJSON() });
}
