import { z } from 'zod';
import { componentNameSchema, licenseNumberSchema } from './schemas.ts';

/** What clients send as their domain: printable ASCII; spaces and tabs around it are trimmed (L4). */
export const clientDomainSchema = z
  .string()
  .max(300)
  .regex(/^[\x20-\x7e\t]*$/, 'a domain is 7-bit ASCII');

const clientName = z.string().trim().min(1).max(200);

export const activationRequestSchema = z.strictObject({
  components: z.array(componentNameSchema).min(1).max(100),
  licenseNumber: licenseNumberSchema.optional(),
  user: clientName,
  computer: clientName,
  domain: clientDomainSchema.optional(),
  /** Tells instances on one computer apart (L5); free text from the application. */
  instance: z.string().max(200).optional(),
});
export type ActivationRequest = z.infer<typeof activationRequestSchema>;

export const checkoutRequestSchema = activationRequestSchema.extend({
  hours: z.int().min(1).max(8784),
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
  expiresAt: z.iso.datetime(),
  /** Floating leases: the lease length, and when the client should renew. */
  leaseSeconds: z.number(),
  renewAfterSeconds: z.number(),
});
export type Lease = z.infer<typeof leaseSchema>;

export const checkoutSchema = leaseSchema.extend({ token: z.string() });
export type Checkout = z.infer<typeof checkoutSchema>;
