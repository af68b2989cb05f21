import {
  certifyAllocation,
  type Ed25519PublicJwk,
  FORMAT_VERSION,
  type License,
  type PartyKeys,
  publicJwkOf,
  randomToken,
  SYNC_REQUEST_TYPE,
  SYNC_RESPONSE_TYPE,
  type SyncRequest,
  type SyncResponse,
} from '@leasehold/protocol';
import { CompactEncrypt, CompactSign, compactDecrypt, compactVerify } from 'jose';

/** A license shaped like the central benchmarks' (a name, three components). */
export function sampleLicense(i: number): License {
  return {
    number: `CRYPT-00000-00000-00000-00000-${String(i).padStart(7, '0')}`,
    name: `Round trip ${i}`,
    startDate: '2020-01-01',
    expiryDate: '2099-12-31',
    maxCheckoutHours: 24,
    components: [
      { name: 'Base', seats: 25 },
      { name: 'Render', seats: 10 },
      { name: 'Export', seats: 5 },
    ],
  };
}

export function syncRequestFor(licenseServerId: string, server: PartyKeys): SyncRequest {
  return {
    type: SYNC_REQUEST_TYPE,
    formatVersion: FORMAT_VERSION,
    licenseServerId,
    requestId: randomToken(16),
    createdAt: new Date().toISOString(),
    syncCount: 1,
    allocationVersion: 0,
    serverKeys: {
      signing: publicJwkOf(server.signing.publicKey) as SyncRequest['serverKeys']['signing'],
      encryption: publicJwkOf(server.encryption.publicKey) as SyncRequest['serverKeys']['encryption'],
    },
  };
}

export async function syncResponseFor(
  request: SyncRequest,
  server: PartyKeys,
  vendor: PartyKeys,
  licenses: number,
): Promise<SyncResponse> {
  const issuedAt = new Date().toISOString();
  const allocation = {
    licenseServerId: request.licenseServerId,
    version: 2,
    issuedAt,
    licenses: Array.from({ length: licenses }, (_, i) => sampleLicense(i)),
  };
  return {
    type: SYNC_RESPONSE_TYPE,
    formatVersion: FORMAT_VERSION,
    licenseServerId: request.licenseServerId,
    requestId: request.requestId,
    serverKeyId: server.signing.kid,
    issuedAt,
    allocation,
    serverKeyCertificate: certifyAllocation(allocation, request.serverKeys.signing, vendor.signing),
  };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Sign then encrypt with jose, as the envelope does, with nothing else around it. */
async function bareSeal(payload: unknown, typ: string, signer: PartyKeys, recipient: PartyKeys) {
  const jws = await new CompactSign(encoder.encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'EdDSA', kid: signer.signing.kid, typ, lhv: 1 })
    .sign(signer.signing.privateKey);
  return new CompactEncrypt(encoder.encode(jws))
    .setProtectedHeader({ alg: 'ECDH-ES', enc: 'A256GCM', kid: recipient.encryption.kid, typ, lhv: 1 })
    .encrypt(recipient.encryption.publicKey);
}

/** Decrypt then verify with jose, and parse the JSON. */
async function bareOpen(message: string, signer: PartyKeys, recipient: PartyKeys): Promise<unknown> {
  const { plaintext } = await compactDecrypt(message, recipient.encryption.privateKey);
  const { payload } = await compactVerify(decoder.decode(plaintext), signer.signing.publicKey);
  return JSON.parse(decoder.decode(payload));
}

export interface CryptoCost {
  licenses: number;
  /** Milliseconds per sync, each operation run in turn on one core. */
  sealRequestMs: number;
  openRequestMs: number;
  sealResponseMs: number;
  openResponseMs: number;
  /** All four: the bare cryptography of one sync. */
  totalMs: number;
  /** What the central server does of it: open the request, seal the response. */
  centralMs: number;
}

/**
 * The bare cryptography of one sync (sign, encrypt, decrypt, verify of the request and of the
 * response, with jose over the same keys and payloads), timed operation by operation.
 */
export async function measureCrypto(
  server: PartyKeys,
  vendor: PartyKeys,
  licenses: number,
  cycles: number,
): Promise<CryptoCost> {
  const request = syncRequestFor('LS-CRPT-0000-0001', server);
  const response = await syncResponseFor(request, server, vendor, licenses);
  const totals = [0, 0, 0, 0];
  const time = async <T>(slot: number, fn: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    const value = await fn();
    totals[slot] = (totals[slot] as number) + performance.now() - t;
    return value;
  };
  // One unmeasured cycle compiles the paths.
  for (let i = -1; i < cycles; i++) {
    if (i === 0) totals.fill(0);
    const sealedRequest = await time(0, () => bareSeal(request, SYNC_REQUEST_TYPE, server, vendor));
    await time(1, () => bareOpen(sealedRequest, server, vendor));
    const sealedResponse = await time(2, () => bareSeal(response, SYNC_RESPONSE_TYPE, vendor, server));
    await time(3, () => bareOpen(sealedResponse, vendor, server));
  }
  const [sealRequestMs, openRequestMs, sealResponseMs, openResponseMs] = totals.map((t) => t / cycles) as [
    number,
    number,
    number,
    number,
  ];
  return {
    licenses,
    sealRequestMs,
    openRequestMs,
    sealResponseMs,
    openResponseMs,
    totalMs: sealRequestMs + openRequestMs + sealResponseMs + openResponseMs,
    centralMs: openRequestMs + sealResponseMs,
  };
}
