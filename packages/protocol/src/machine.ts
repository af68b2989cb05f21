import { createHmac } from 'node:crypto';

/**
 * A machine fingerprint (L3; docs/leases.md, Checkouts): HMAC-SHA256 of the operating system's
 * machine id under a key named for the product, base64url. The raw id never leaves the machine,
 * and two products that name themselves differently get fingerprints nobody can link.
 */
export function machineFingerprint(machineId: string, product: string): string {
  return createHmac('sha256', `leasehold-machine-v1:${product}`).update(machineId.trim()).digest('base64url');
}
