import type { Lease, License } from '@leasehold/protocol';
import type Database from 'better-sqlite3';
import { freeSeats, isActive, type Usage } from '../leases/choose.ts';
import type { LocalServer } from '../localServer.ts';

/** One row of the Manager's Components table (M2). */
export interface ComponentUsage {
  licenseNumber: string;
  component: string;
  inUse: number;
  /** L1: a component can have no more users than Base has seats. */
  maxUsers: number;
  free: number;
  expiryDate: string;
  active: boolean;
}

/** Pure: the components of every license with their use today. */
export function componentUsage(licenses: readonly License[], usage: Usage, today: string): ComponentUsage[] {
  return licenses.flatMap((license) => {
    const base = license.components.find((c) => c.name === 'Base')?.seats ?? 0;
    const active = isActive(license, today);
    return license.components.map((c) => ({
      licenseNumber: license.number,
      component: c.name,
      inUse: usage(license.number, c.name),
      maxUsers: Math.min(c.seats, base),
      // An inactive license lends no seat, whatever its counts say.
      free: active ? freeSeats(license, c.name, usage) : 0,
      expiryDate: license.expiryDate,
      active,
    }));
  });
}

/** One row of the Current users table (M2). */
export interface CurrentUser {
  user: string;
  computer: string;
  components: string[];
  kind: 'floating' | 'checkout';
  licenseNumber: string;
  leaseId: string;
  since: string;
  until: string;
}

export function currentUsers(leases: readonly Lease[]): CurrentUser[] {
  return leases
    .map((l) => ({
      user: l.user,
      computer: l.computer,
      components: l.components,
      kind: l.kind,
      licenseNumber: l.licenseNumber,
      leaseId: l.id,
      since: l.grantedAt,
      until: l.expiresAt,
    }))
    .sort((a, b) => a.user.localeCompare(b.user) || a.since.localeCompare(b.since));
}

/** Seats held per license and component, read once (the engine counts the same rows per decision). */
export function seatUsage(db: Database.Database): Usage {
  const rows = db
    .prepare('select license_number as l, component as c, seats as n from seat_usage where seats > 0')
    .all() as { l: string; c: string; n: number }[];
  const counts = new Map(rows.map((r) => [`${r.l}\n${r.c}`, r.n]));
  return (license, component) => counts.get(`${license}\n${component}`) ?? 0;
}

/** The Components table as of now: leases whose renewals stopped give their seats back first. */
export function readComponents(server: LocalServer): ComponentUsage[] {
  server.leases.expire();
  const judgement = server.guard.judge();
  const today = (judgement.ok ? judgement.now : judgement.highWater).toISOString().slice(0, 10);
  const licenses = server.store.currentAllocation()?.allocation.licenses ?? [];
  return componentUsage(licenses, seatUsage(server.store.db), today);
}
