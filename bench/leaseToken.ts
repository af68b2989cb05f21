import { sign, verify } from 'node:crypto';
import {
  certifyAllocation,
  type Ed25519PublicJwk,
  generatePartyKeys,
  LEASE_TOKEN_TYPE,
  type LeaseToken,
  leaseTokenSigner,
  publicJwkOf,
  randomToken,
  type VerifiedCertificate,
  verifyLeaseToken,
} from '@leasehold/protocol';
import { log, type Mode, round } from './common.ts';
import { benchLicense } from './fixtures.ts';
import type { Results } from './results.ts';

/** Microseconds per call of `fn`, after a warm-up of a tenth as many calls. */
function perCallUs(calls: number, fn: () => void): number {
  for (let i = 0; i < calls / 10; i++) fn();
  const started = performance.now();
  for (let i = 0; i < calls; i++) fn();
  return ((performance.now() - started) * 1000) / calls;
}

/**
 * The cost of trust on each renewal (docs/leases.md, Lease tokens): the server signs a lease token,
 * the SDK verifies it (its certificate verified once and cached), against the bare Ed25519
 * signature and verification of the same bytes with node:crypto, measured in the same run.
 */
export async function measureLeaseTokens(mode: Mode, results: Results): Promise<void> {
  const calls = mode.name === 'quick' ? 2_000 : 20_000;
  log(`lease tokens: sign and verify, ${calls} each, against bare Ed25519`);
  const vendor = await generatePartyKeys();
  const server = await generatePartyKeys();
  const issuedAt = new Date();
  const allocation = {
    licenseServerId: 'LS-BNCH-0000-0001',
    version: 1,
    issuedAt: issuedAt.toISOString(),
    licenses: [benchLicense()],
  };
  const certificate = certifyAllocation(
    allocation,
    publicJwkOf(server.signing.publicKey) as Ed25519PublicJwk,
    vendor.signing,
  );
  const signToken = leaseTokenSigner(server.signing, certificate);
  const nonce = randomToken(16);
  const claims: LeaseToken = {
    type: LEASE_TOKEN_TYPE,
    leaseId: randomToken(16),
    licenseServerId: allocation.licenseServerId,
    licenseNumber: allocation.licenses[0]?.number as string,
    components: ['Base'],
    user: 'bench-user',
    computer: 'bench-pc',
    nonce,
    issuedAt: issuedAt.toISOString(),
    expiresAt: new Date(issuedAt.getTime() + 300_000).toISOString(),
  };
  const token = signToken(claims);
  const certificates = new Map<string, VerifiedCertificate>();
  const trust = {
    vendorSigningKeys: new Map([[vendor.signing.kid, vendor.signing.publicKey]]),
    nonce,
    certificates,
  };
  const signingInput = Buffer.from(token.slice(0, token.lastIndexOf('.')), 'latin1');
  const signature = sign(null, signingInput, server.signing.privateKey);

  const bareSignUs = perCallUs(calls, () => sign(null, signingInput, server.signing.privateKey));
  const signUs = perCallUs(calls, () => signToken(claims));
  const bareVerifyUs = perCallUs(calls, () =>
    verify(null, signingInput, server.signing.publicKey, signature),
  );
  const verifyUs = perCallUs(calls, () => verifyLeaseToken(token, trust));
  const figures: Array<[string, number, number, string]> = [
    ['the server signs a lease token', signUs, bareSignUs, 'Ed25519 sign of the same bytes'],
    [
      'the SDK verifies a lease token (certificate cached)',
      verifyUs,
      bareVerifyUs,
      'Ed25519 verify of the same bytes',
    ],
  ];
  for (const [name, value, baseline, baselineName] of figures) {
    results.add({
      section: 'Lease tokens',
      name,
      value: round(value, 1),
      unit: 'µs',
      baseline: { name: baselineName, value: round(baseline, 1), unit: 'µs' },
      ratio: value / baseline,
      note: `per renewal; ${calls} calls; token ${token.length} bytes with its certificate`,
    });
  }
}
