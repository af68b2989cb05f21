import type autocannon from 'autocannon';
import { leaseId } from './fixtures.ts';

/** Renewals of random existing leases (ids 0…leases-1), the path chosen per request. */
export function renewRequests(leases: number): autocannon.Request[] {
  return [
    {
      method: 'POST',
      setupRequest: (request) => ({
        ...request,
        path: `/v1/leases/${leaseId(Math.floor(Math.random() * leases))}/renew`,
      }),
    },
  ];
}

export const ACTIVATION_BODY = JSON.stringify({
  components: ['Render'],
  user: 'bench-user',
  computer: 'bench-pc',
  domain: 'bench.example',
});

type Context = { leaseId?: string };

/** One activation then the release of the lease it got, per cycle and per connection. */
export function activateReleaseRequests(): autocannon.Request[] {
  return [
    {
      method: 'POST',
      path: '/v1/leases',
      headers: { 'content-type': 'application/json' },
      body: ACTIVATION_BODY,
      onResponse: (status, body, context) => {
        (context as Context).leaseId =
          status === 201 ? (JSON.parse(body) as { lease: { id: string } }).lease.id : undefined;
      },
    },
    {
      method: 'DELETE',
      setupRequest: (request, context) => {
        const id = (context as Context).leaseId;
        // No lease to release (the activation was refused): start the cycle again.
        if (!id) return undefined as unknown as autocannon.Request;
        return { ...request, path: `/v1/leases/${id}`, headers: {}, body: undefined };
      },
    },
  ];
}
