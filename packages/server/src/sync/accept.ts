import { DAY_MS, LeaseholdError, type SyncResponse } from '@leasehold/protocol';

export interface ResponseExpectations {
  licenseServerId: string;
  serverKeyId: string;
  currentVersion: number;
  now: Date;
}

/** The central server's clock and ours may differ by this much before a sync is refused. */
export const MAX_CLOCK_SKEW_MS = DAY_MS;

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
  const skew = Math.abs(new Date(response.issuedAt).getTime() - expect.now.getTime());
  if (skew > MAX_CLOCK_SKEW_MS) {
    throw new LeaseholdError(
      'CLOCK_SKEW',
      `the response was issued at ${response.issuedAt}, this server's clock says ${expect.now.toISOString()}`,
    );
  }
}
