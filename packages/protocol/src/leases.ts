import { z } from 'zod';
import { componentNameSchema, licenseNumberSchema } from './schemas.ts';

/** What clients send as their domain: printable ASCII; spaces and tabs around it are trimmed (L4). */
export const clientDomainSchema = z
  .string()
  .max(300)
  .regex(/^[\x20-\x7e\t]*$/, 'a domain is 7-bit ASCII');

const clientName = z.string().trim().min(1).max(200);

/** A fresh random value per request that the answer's lease token must name (docs/leases.md, Lease tokens). */
export const nonceSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{16,64}$/, 'a nonce is 16 to 64 base64url characters');

export const activationRequestSchema = z.strictObject({
  components: z.array(componentNameSchema).min(1).max(100),
  licenseNumber: licenseNumberSchema.optional(),
  user: clientName,
  computer: clientName,
  domain: clientDomainSchema.optional(),
  /** Tells instances on one computer apart (L5); free text from the application. */
  instance: z.string().max(200).optional(),
  nonce: nonceSchema.optional(),
});
export type ActivationRequest = z.infer<typeof activationRequestSchema>;

/** The body of a renewal: only the nonce, and a client that sends none sends no body. */
export const renewalRequestSchema = z
  .strictObject({
    nonce: nonceSchema.optional(),
  })
  .optional();

/** A machine fingerprint (machine.ts): 43 base64url characters, an HMAC of the machine's id. */
export const machineFingerprintSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{43}$/, 'a machine fingerprint is 43 base64url characters');

export const checkoutRequestSchema = activationRequestSchema.extend({
  hours: z.int().min(1).max(8784),
  /** The machine the checkout is for (L3); the token names it and the SDK checks it offline. */
  machine: machineFingerprintSchema.optional(),
});
export type CheckoutRequest = z.infer<typeof checkoutRequestSchema>;

export const leaseSchema = z.object({
  id: z.string(),
  kind: z.enum(['floating', 'checkout']),
  licenseNumber: z.string(),
  components: z.array(z.string()),
  user: z.string(),
  computer: z.string(),
  grantedAt: z.iso.datetime(),
  /** When the lease was last granted or renewed; older servers do not send it. */
  renewedAt: z.iso.datetime().optional(),
  expiresAt: z.iso.datetime(),
  /** Floating leases: the lease length, and when the client should renew. */
  leaseSeconds: z.number(),
  renewAfterSeconds: z.number(),
});
export type Lease = z.infer<typeof leaseSchema>;

export const checkoutSchema = leaseSchema.extend({ token: z.string() });
export type Checkout = z.infer<typeof checkoutSchema>;
