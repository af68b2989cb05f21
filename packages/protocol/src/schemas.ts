import { z } from 'zod';
import { LICENSE_NUMBER_PATTERN, LICENSE_SERVER_ID_PATTERN } from './ids.ts';

export const FORMAT_VERSION = 1;

/** A server key certificate carries the allocation; far larger than any allocation is refused unread. */
export const MAX_CERTIFICATE_BYTES = 8 * 1024 * 1024;

export const licenseServerIdSchema = z
  .string()
  .regex(LICENSE_SERVER_ID_PATTERN, 'a license server id looks like LS-XXXX-XXXX-XXXX');
export const licenseNumberSchema = z
  .string()
  .regex(LICENSE_NUMBER_PATTERN, 'a license number looks like XXXXX-XXXXX-XXXXX-XXXXX-XXXXX-XXXXXXX');

export const componentNameSchema = z
  .string()
  .regex(
    /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/,
    'a component name is a letter then up to 63 letters, digits, _ . or -',
  );

export const componentSchema = z.strictObject({
  name: componentNameSchema,
  seats: z.int().min(1).max(10_000_000),
});

// L4: 7-bit ASCII, no leading or trailing white space.
export const domainSchema = z
  .string()
  .min(1)
  .max(253)
  .regex(
    /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/,
    'a domain is printable 7-bit ASCII without surrounding spaces',
  );

const dateSchema = z.iso.date();

export const licenseSchema = z
  .strictObject({
    number: licenseNumberSchema,
    name: z.string().min(1).max(200).optional(),
    startDate: dateSchema,
    expiryDate: dateSchema,
    domain: domainSchema.optional(),
    maxCheckoutHours: z.int().min(0).max(8784),
    /** L3: false when a checkout of this license cannot be returned before its end (absent: it can). */
    earlyReturn: z.literal(false).optional(),
    components: z.array(componentSchema).min(1).max(1000),
  })
  .superRefine((license, ctx) => {
    if (license.expiryDate < license.startDate) {
      ctx.addIssue({
        code: 'custom',
        path: ['expiryDate'],
        message: 'the expiry date is before the start date',
      });
    }
    const names = license.components.map((c) => c.name);
    if (!names.includes('Base')) {
      ctx.addIssue({
        code: 'custom',
        path: ['components'],
        message: 'every license has a Base component (L1)',
      });
    }
    if (new Set(names).size !== names.length) {
      ctx.addIssue({ code: 'custom', path: ['components'], message: 'component names repeat' });
    }
  });
export type License = z.infer<typeof licenseSchema>;

export const allocationSchema = z
  .strictObject({
    licenseServerId: licenseServerIdSchema,
    version: z.int().min(1),
    issuedAt: z.iso.datetime(),
    licenses: z.array(licenseSchema).max(100_000),
  })
  .superRefine((allocation, ctx) => {
    const numbers = allocation.licenses.map((l) => l.number);
    if (new Set(numbers).size !== numbers.length) {
      ctx.addIssue({ code: 'custom', path: ['licenses'], message: 'license numbers repeat' });
    }
  });
export type Allocation = z.infer<typeof allocationSchema>;

const base64url = z.string().regex(/^[A-Za-z0-9_-]+$/);
export const ed25519PublicJwkSchema = z.strictObject({
  kty: z.literal('OKP'),
  crv: z.literal('Ed25519'),
  x: base64url.length(43),
});
export const x25519PublicJwkSchema = z.strictObject({
  kty: z.literal('OKP'),
  crv: z.literal('X25519'),
  x: base64url.length(43),
});
export type Ed25519PublicJwk = z.infer<typeof ed25519PublicJwkSchema>;
export type X25519PublicJwk = z.infer<typeof x25519PublicJwkSchema>;

export const requestIdSchema = base64url.min(16).max(64);

export const SYNC_REQUEST_TYPE = 'leasehold.sync-request';
export const SYNC_RESPONSE_TYPE = 'leasehold.sync-response';

/**
 * Usage since the last sync (docs/central.md, Usage reports): per day, license and component, the
 * peak in use and the denials. Days are whole UTC days; a day sent twice (it was not over at the
 * first sync) is merged by the central server with the larger numbers, so a report sent twice counts
 * once.
 */
export const MAX_USAGE_ROWS = 10_000;
export const usageDaySchema = z.strictObject({
  day: dateSchema,
  licenseNumber: licenseNumberSchema,
  component: componentNameSchema,
  peakInUse: z.int().min(0).max(10_000_000),
  denials: z.int().min(0).max(1_000_000_000),
});
export type UsageDay = z.infer<typeof usageDaySchema>;
export const usageReportSchema = z.strictObject({
  from: z.iso.datetime(),
  to: z.iso.datetime(),
  days: z.array(usageDaySchema).max(MAX_USAGE_ROWS),
});
export type UsageReport = z.infer<typeof usageReportSchema>;

/** One entry of the local audit chain: its id and its hash (docs/leases.md, Audit integrity). */
export const auditPointSchema = z.strictObject({
  id: z.int().min(0),
  hash: z.string().max(128),
});
/**
 * S12: the audit chain's head, and, as they read now, the entries earlier requests reported as head
 * (the last answered one and any sent since whose answer never came). The central keeps the head of
 * each sync it answers; a chain in which that entry is gone or changed does not extend it.
 */
export const auditAnchorSchema = z.strictObject({
  head: auditPointSchema,
  anchored: z.array(auditPointSchema).max(32).optional(),
});
export type AuditAnchor = z.infer<typeof auditAnchorSchema>;

export const syncRequestSchema = z.strictObject({
  type: z.literal(SYNC_REQUEST_TYPE),
  formatVersion: z.literal(FORMAT_VERSION),
  licenseServerId: licenseServerIdSchema,
  requestId: requestIdSchema,
  createdAt: z.iso.datetime(),
  // S3: the local server counts its syncs; a count that goes backwards is flagged to the vendor.
  syncCount: z.int().min(0),
  allocationVersion: z.int().min(0),
  serverKeys: z.strictObject({ signing: ed25519PublicJwkSchema, encryption: x25519PublicJwkSchema }),
  activationCode: z.string().min(1).max(200).optional(),
  usage: usageReportSchema.optional(),
  audit: auditAnchorSchema.optional(),
});
export type SyncRequest = z.infer<typeof syncRequestSchema>;

/** Vendor key rotation (keyAnnouncement.ts): a few compact JWS, each small. */
export const MAX_ANNOUNCEMENTS = 8;
export const announcementsSchema = z.array(z.string().min(1).max(1000)).max(MAX_ANNOUNCEMENTS);

export const syncResponseSchema = z.strictObject({
  type: z.literal(SYNC_RESPONSE_TYPE),
  formatVersion: z.literal(FORMAT_VERSION),
  licenseServerId: licenseServerIdSchema,
  // S8: a response is bound to the request that asked for it and to the server's key.
  requestId: requestIdSchema,
  serverKeyId: z.string().min(1).max(100),
  issuedAt: z.iso.datetime(),
  allocation: allocationSchema,
  /** The vendor's signed statement that this server key belongs to this id: the root of offline checkout (L3). */
  serverKeyCertificate: z.string().min(1).max(MAX_CERTIFICATE_BYTES),
  /** S8: the signing key of this response, announced by older vendor keys (present while keys rotate). */
  vendorKeyAnnouncements: announcementsSchema.optional(),
  /** S8: vendor signing keys the vendor retired; a local server stops trusting them. */
  retiredVendorKeyIds: z.array(z.string().min(1).max(100)).max(50).optional(),
  /** S3: what the central server noticed about this server's state, e.g. a sync count gone backwards. */
  stateFlags: z
    .array(z.enum(['SERVER_STATE_ROLLBACK']))
    .max(4)
    .optional(),
});
export type SyncResponse = z.infer<typeof syncResponseSchema>;

/** Turns zod issues into a short list an administrator can read. */
export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
}
