import {
  CHECKOUT_TOKEN_TYPE,
  type CheckoutToken,
  type Lease,
  LeaseholdError,
  type PartyKeys,
  signCheckoutToken,
} from '@leasehold/protocol';
import type { ServerStore } from '../store/serverStore.ts';

/** Signs checkout tokens with this server's key, carrying the vendor's certificate of that key (L3). */
export async function signCheckout(
  lease: Lease,
  licenseServerId: string,
  keys: PartyKeys,
  store: ServerStore,
  machine?: string,
): Promise<string> {
  const certificate = store.currentAllocation()?.certificate;
  if (!certificate)
    throw store.stateError() ?? new LeaseholdError('NOT_SYNCHRONIZED', 'no server key certificate yet');
  const token: CheckoutToken = {
    type: CHECKOUT_TOKEN_TYPE,
    checkoutId: lease.id,
    licenseServerId,
    licenseNumber: lease.licenseNumber,
    components: lease.components,
    user: lease.user,
    computer: lease.computer,
    ...(machine === undefined ? {} : { machine }),
    issuedAt: lease.grantedAt,
    expiresAt: lease.expiresAt,
  };
  return signCheckoutToken(token, keys.signing, certificate);
}
