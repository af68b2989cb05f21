import { isDeepStrictEqual } from 'node:util';
import {
  type AnnouncedKey,
  DAY_MS,
  LeaseholdError,
  type SyncResponse,
  type VerifiedCertificate,
} from '@leasehold/protocol';
import type { VerifyCertificate } from '../store/signedState.ts';

export interface ResponseExpectations {
  licenseServerId: string;
  serverKeyId: string;
  currentVersion: number;
  now: Date;
}

/** The central server's clock and ours may differ by this much before a sync is refused. */
export const MAX_CLOCK_SKEW_MS = DAY_MS;

/**
 * How old a response may be when it is imported: a response file travels by hand (e-mail, a USB
 * stick) and may take days. The 366 days count from its signed issue time, so a late import gains
 * nothing; older than this, the request is answered again.
 */
export const RESPONSE_VALID_MS = 30 * DAY_MS;

/**
 * Decides whether a verified response may replace the stored allocation (S2, S8). Pure: the store
 * repeats the version and request checks inside its write transaction.
 */
export function checkResponse(response: SyncResponse, expect: ResponseExpectations): void {
  if (
    response.licenseServerId !== expect.licenseServerId ||
    response.allocation.licenseServerId !== expect.licenseServerId
  ) {
    throw new LeaseholdError(
      'RESPONSE_NOT_FOR_THIS_SERVER',
      `it is for ${response.licenseServerId}, this server is ${expect.licenseServerId}`,
    );
  }
  if (response.serverKeyId !== expect.serverKeyId) {
    throw new LeaseholdError('RESPONSE_NOT_FOR_THIS_SERVER', 'it was made for another server key');
  }
  if (response.allocation.version <= expect.currentVersion) {
    throw new LeaseholdError(
      'RESPONSE_STALE',
      `stored version ${expect.currentVersion}, response version ${response.allocation.version}`,
    );
  }
  // Only a response from the future is a clock problem; an old one is the post.
  const ahead = new Date(response.issuedAt).getTime() - expect.now.getTime();
  if (ahead > MAX_CLOCK_SKEW_MS) {
    throw new LeaseholdError(
      'CLOCK_SKEW',
      `the response was issued at ${response.issuedAt}, this server's clock says ${expect.now.toISOString()}`,
    );
  }
  if (-ahead > RESPONSE_VALID_MS) {
    throw new LeaseholdError(
      'RESPONSE_EXPIRED',
      `it was issued at ${response.issuedAt}, more than ${RESPONSE_VALID_MS / DAY_MS} days before ${expect.now.toISOString()}`,
    );
  }
}

/**
 * The response's certificate, verified as the server will verify it at every later load, with a
 * vendor key this response announced counted too (S8): the allocation is read from it, so it must
 * be the allocation and the time the response states.
 */
export function responseCertificate(
  response: SyncResponse,
  learned: AnnouncedKey | undefined,
  verify: VerifyCertificate,
): VerifiedCertificate & { compact: string } {
  const compact = response.serverKeyCertificate;
  const verified = verify(compact, {
    code: 'RESPONSE_CERTIFICATE_INVALID',
    ...(learned ? { also: learned } : {}),
  });
  const { payload } = verified;
  if (payload.issuedAt !== response.issuedAt || !isDeepStrictEqual(payload.allocation, response.allocation))
    throw new LeaseholdError(
      'RESPONSE_CERTIFICATE_INVALID',
      'it certifies another allocation than the response carries',
    );
  return { ...verified, compact };
}
