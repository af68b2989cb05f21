import {
  type AuditAnchor,
  armor,
  dearmor,
  FORMAT_VERSION,
  LeaseholdError,
  openSyncResponse,
  type PartyKeys,
  publicJwkOf,
  randomToken,
  SYNC_REQUEST_TYPE,
  type SyncRequest,
  sealSyncRequest,
  type UsageReport,
} from '@leasehold/protocol';
import type { ClockGuard } from '../clock/guard.ts';
import type { ServerConfig } from '../config.ts';
import { distrustRetiredVendorKeys, type TrustedVendorKeys, trustAnnouncedVendorKey } from '../keys.ts';
import type { ServerStore } from '../store/serverStore.ts';
import type { VerifyCertificate } from '../store/signedState.ts';
import { checkResponse, responseCertificate } from './accept.ts';
import type { SyncTransport } from './transport.ts';

export interface SyncClientDeps {
  config: ServerConfig;
  keys: PartyKeys;
  vendor: TrustedVendorKeys;
  store: ServerStore;
  guard: ClockGuard;
  /** Checks a certificate against the trusted vendor keys, this id and this server key (signedState.ts). */
  verifyCertificate: VerifyCertificate;
  /** The usage summary since the last sync (usageReport.ts); sent with each request when given. */
  usage?: (since: Date | undefined, now: Date) => UsageReport;
}

export interface SyncResult {
  licenseServerId: string;
  allocationVersion: number;
  licenses: number;
  syncedAt: string;
  method: 'online' | 'file';
  /** A new vendor signing key this sync taught the server (S8). */
  learnedVendorKeyId?: string;
  /** Vendor signing keys this sync told the server to stop trusting. */
  retiredVendorKeyIds?: string[];
}

/**
 * Both ways of syncing share this: a request is prepared (and remembered as pending), and a response
 * is opened, checked against what was asked and stored. Online sync joins the two over a transport;
 * file sync carries them by hand.
 */
export class SyncClient {
  private readonly deps: SyncClientDeps;

  constructor(deps: SyncClientDeps) {
    this.deps = deps;
  }

  async prepareRequest(method: 'online' | 'file'): Promise<{ requestId: string; message: string }> {
    const { config, keys, vendor, store } = this.deps;
    const now = this.#requestTime();
    const request: SyncRequest = {
      type: SYNC_REQUEST_TYPE,
      formatVersion: FORMAT_VERSION,
      licenseServerId: config.licenseServerId,
      requestId: randomToken(16),
      createdAt: now.toISOString(),
      syncCount: store.syncCount(),
      // Every stored version, verified or not: an edited row shows the vendor what was tried.
      allocationVersion: store.storedVersion(),
      serverKeys: {
        signing: publicJwkOf(keys.signing.publicKey) as SyncRequest['serverKeys']['signing'],
        encryption: publicJwkOf(keys.encryption.publicKey) as SyncRequest['serverKeys']['encryption'],
      },
      ...(config.activationCode && !store.lastSyncAt() ? { activationCode: config.activationCode } : {}),
      ...this.#usage(now),
      ...this.#audit(),
    };
    const message = await sealSyncRequest(request, keys, vendor);
    store.recordPendingRequest(request.requestId, now, method, request.audit?.head.id);
    return { requestId: request.requestId, message };
  }

  async applyResponse(
    message: string,
    method: 'online' | 'file',
    expectedRequestId?: string,
  ): Promise<SyncResult> {
    const { config, keys, vendor, store, guard } = this.deps;
    // In CLOCK_ROLLBACK a sync is still the way back (S10): its signed time, checked against the
    // system clock within the allowed skew, proves that clock right and lowers the floor to it.
    const judgement = guard.judge();
    const now = judgement.ok ? judgement.now : guard.systemNow();
    const { response, vendorKid, learnedVendorKey } = await openSyncResponse(message, keys, vendor);
    checkResponse(response, {
      licenseServerId: config.licenseServerId,
      serverKeyId: keys.signing.kid,
      currentVersion: store.verifiedVersion(),
      now,
    });
    if (expectedRequestId && response.requestId !== expectedRequestId) {
      throw new LeaseholdError(
        'RESPONSE_NOT_FOR_THIS_REQUEST',
        'the answer names another request than the one just sent',
      );
    }
    const certificate = responseCertificate(response, learnedVendorKey, this.deps.verifyCertificate);
    // The signed issue time also moves the clock's high-water mark (S10), less the tolerance so that
    // a central clock slightly ahead of ours does not look like a rollback.
    const signedTime = new Date(response.issuedAt).getTime() - guard.toleranceMs;
    store.applyAllocation({
      certificate,
      requestId: response.requestId,
      method,
      receivedAt: now,
      clockHighWater: new Date(Math.max(signedTime, now.getTime())),
      ...(judgement.ok ? {} : { clockReset: { from: judgement.highWater.getTime() } }),
    });
    if (response.stateFlags?.includes('SERVER_STATE_ROLLBACK'))
      store.setMeta('sync.stateRollbackAt', now.toISOString());
    // S8: a key announced by a trusted one is kept only once its response has been accepted.
    if (learnedVendorKey) trustAnnouncedVendorKey(vendor, learnedVendorKey.kid, learnedVendorKey.publicKey);
    const dropped = distrustRetiredVendorKeys(vendor, response.retiredVendorKeyIds ?? [], vendorKid);
    return {
      licenseServerId: config.licenseServerId,
      allocationVersion: response.allocation.version,
      licenses: response.allocation.licenses.length,
      syncedAt: now.toISOString(),
      method,
      ...(learnedVendorKey ? { learnedVendorKeyId: learnedVendorKey.kid } : {}),
      ...(dropped.length ? { retiredVendorKeyIds: dropped } : {}),
    };
  }

  /** Sync via file, step one (S5): a request file to carry to the vendor. */
  async exportRequestFile(): Promise<{ requestId: string; file: string }> {
    const { requestId, message } = await this.prepareRequest('file');
    const file = armor('REQUEST', message, {
      'License-Server-Id': this.deps.config.licenseServerId,
      Created: this.#requestTime().toISOString(),
      Request: requestId,
    });
    return { requestId, file };
  }

  /** Sync via file, step two: the response file the vendor made from this server's request file. */
  async importResponseFile(file: string): Promise<SyncResult> {
    try {
      return await this.applyResponse(dearmor(file, 'RESPONSE').message, 'file');
    } catch (error) {
      this.#recordFailure('file', error);
      throw error;
    }
  }

  /** One complete sync over a transport; failures are recorded in the sync history with their code. */
  async sync(transport: SyncTransport): Promise<SyncResult> {
    try {
      const { requestId, message } = await this.prepareRequest(transport.method);
      const answer = await transport.exchange(message);
      return await this.applyResponse(answer, transport.method, requestId);
    } catch (error) {
      this.#recordFailure(transport.method, error);
      throw error;
    }
  }

  /**
   * The time a request is made at: the guarded clock, or in CLOCK_ROLLBACK the system clock as it
   * reads. A request grants nothing; it asks the central for a signed time to compare with.
   */
  #requestTime(): Date {
    const judgement = this.deps.guard.judge();
    return judgement.ok ? judgement.now : this.deps.guard.systemNow();
  }

  /** S12: the audit chain's head and the last anchored entry, for the central to keep and compare. */
  #audit(): { audit?: AuditAnchor } {
    const audit = this.deps.store.auditAnchor();
    return audit ? { audit } : {};
  }

  /** The usage report, or nothing: a summary that cannot be made must not stop the sync that carries it. */
  #usage(now: Date): { usage?: UsageReport } {
    if (!this.deps.usage) return {};
    try {
      const usage = this.deps.usage(this.deps.store.lastSyncAt(), now);
      return usage.days.length ? { usage } : {};
    } catch {
      return {};
    }
  }

  #recordFailure(method: 'online' | 'file', error: unknown): void {
    const code = error instanceof LeaseholdError ? error.code : 'INTERNAL';
    const judgement = this.deps.guard.judge();
    const at = judgement.ok ? judgement.now : judgement.highWater;
    this.deps.store.recordSyncOutcome(
      at,
      method,
      code,
      error instanceof Error ? error.message : String(error),
    );
  }
}
