export {
  type Checkout,
  type CheckoutToken,
  type ErrorCode,
  type Lease,
  LeaseholdError,
} from '@leasehold/protocol';
export * from './client.ts';
export * from './errors.ts';
export * from './lease.ts';
export { isDefinitiveRefusal, renewalDelayMs, retryDelayMs } from './schedule.ts';
