import type { License } from '@leasehold/protocol';
import { domainMatches } from './domain.ts';

/** Seats in use per license number and component. */
export type Usage = (licenseNumber: string, component: string) => number;

export interface ActivationWish {
  components: string[];
  licenseNumber?: string;
  domain?: string;
}

export type Choice =
  | { kind: 'granted'; license: License; components: string[] }
  | { kind: 'denied'; code: DenialCode; detail: string };

export type DenialCode =
  | 'LICENSE_UNKNOWN'
  | 'COMPONENTS_NOT_LICENSED'
  | 'DOMAIN_NOT_SERVED'
  | 'LICENSE_NOT_ACTIVE'
  | 'NO_SEATS_AVAILABLE';

/** Every activation includes Base (L1), first, without repeats. */
export function withBase(components: readonly string[]): string[] {
  return ['Base', ...new Set(components.filter((c) => c !== 'Base'))];
}

/** Free seats of a component: its own free seats, capped by Base's (L1). */
export function freeSeats(license: License, component: string, usage: Usage): number {
  const seats = (name: string) => license.components.find((c) => c.name === name)?.seats ?? 0;
  const baseFree = seats('Base') - usage(license.number, 'Base');
  const ownFree = seats(component) - usage(license.number, component);
  return Math.max(0, Math.min(ownFree, baseFree));
}

export function isActive(license: License, today: string): boolean {
  return license.startDate <= today && today <= license.expiryDate;
}

// The most telling reason wins when no license can serve: a missing seat says more than a missing domain.
const RANK: Record<DenialCode, number> = {
  LICENSE_UNKNOWN: 0,
  COMPONENTS_NOT_LICENSED: 1,
  DOMAIN_NOT_SERVED: 2,
  LICENSE_NOT_ACTIVE: 3,
  NO_SEATS_AVAILABLE: 4,
};

/**
 * L1, L2, L4: the named license, or the first license in the allocation that can serve every
 * requested component for this domain today with a free seat each. Pure: usage and today come in.
 */
export function chooseLicense(
  licenses: readonly License[],
  wish: ActivationWish,
  usage: Usage,
  today: string,
): Choice {
  const components = withBase(wish.components);
  const candidates = wish.licenseNumber ? licenses.filter((l) => l.number === wish.licenseNumber) : licenses;
  if (candidates.length === 0) {
    return wish.licenseNumber
      ? { kind: 'denied', code: 'LICENSE_UNKNOWN', detail: `no license ${wish.licenseNumber} on this server` }
      : { kind: 'denied', code: 'COMPONENTS_NOT_LICENSED', detail: 'this server holds no licenses' };
  }
  let best: Extract<Choice, { kind: 'denied' }> | undefined;
  const consider = (code: DenialCode, detail: string) => {
    if (!best || RANK[code] > RANK[best.code]) best = { kind: 'denied', code, detail };
  };
  for (const license of candidates) {
    const missing = components.filter((c) => !license.components.some((lc) => lc.name === c));
    if (missing.length > 0) {
      consider('COMPONENTS_NOT_LICENSED', `missing: ${missing.join(', ')}`);
      continue;
    }
    if (!domainMatches(license.domain, wish.domain)) {
      consider('DOMAIN_NOT_SERVED', `license ${license.number} serves domain ${license.domain}`);
      continue;
    }
    if (!isActive(license, today)) {
      consider(
        'LICENSE_NOT_ACTIVE',
        `license ${license.number} runs ${license.startDate} to ${license.expiryDate}`,
      );
      continue;
    }
    const full = components.filter((c) => freeSeats(license, c, usage) < 1);
    if (full.length > 0) {
      consider('NO_SEATS_AVAILABLE', `no free seat of ${full.join(', ')}`);
      continue;
    }
    return { kind: 'granted', license, components };
  }
  return best as Extract<Choice, { kind: 'denied' }>;
}

/** Seats left if every current holder stays: negative when a sync shrank the license below its use (S2). */
export function freeSeatsAfterRelease(license: License, component: string, usage: Usage): number {
  const seats = (name: string) => license.components.find((c) => c.name === name)?.seats ?? 0;
  const cap = Math.min(seats(component), seats('Base'));
  return cap - usage(license.number, component);
}
