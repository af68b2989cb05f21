import { describe, expect, it } from 'vitest';
import { summarizeUsage, type UsageEvent } from './usageReport.ts';

const L1 = 'LICEN-00000-00000-00000-00000-0000001';
const L2 = 'LICEN-00000-00000-00000-00000-0000002';
const at = (iso: string) => Date.parse(iso);
const ev = (
  iso: string,
  action: string,
  leaseId: string | null,
  licenseNumber: string | null = L1,
): UsageEvent => ({
  at: at(iso),
  action,
  leaseId,
  licenseNumber,
});

describe('the usage summary a sync carries', () => {
  it('reports the peak of leases open at once per day and license as Base, and denials under *', () => {
    const events = [
      ev('2026-03-01T09:00:00Z', 'lease.granted', 'a'),
      ev('2026-03-01T09:10:00Z', 'lease.granted', 'b'),
      ev('2026-03-01T09:20:00Z', 'lease.released', 'a'),
      ev('2026-03-01T09:30:00Z', 'lease.granted', 'c'),
      ev('2026-03-01T09:40:00Z', 'lease.granted', 'd', L2),
      ev('2026-03-01T09:50:00Z', 'lease.denied', null, null),
      ev('2026-03-01T09:51:00Z', 'lease.denied', null, L2),
      ev('2026-03-01T10:00:00Z', 'lease.renewed', 'b'),
      ev('2026-03-01T11:00:00Z', 'lease.expired', 'b'),
      ev('2026-03-01T11:00:00Z', 'lease.force-released', 'c'),
    ];
    expect(summarizeUsage(events, at('2026-03-01T00:00:00Z'), at('2026-03-01T12:00:00Z'))).toEqual([
      { day: '2026-03-01', licenseNumber: L1, component: 'Base', peakInUse: 2, denials: 0 },
      { day: '2026-03-01', licenseNumber: L2, component: 'Base', peakInUse: 1, denials: 0 },
      { day: '2026-03-01', licenseNumber: '*', component: '*', peakInUse: 0, denials: 1 },
      { day: '2026-03-01', licenseNumber: L2, component: '*', peakInUse: 0, denials: 1 },
    ]);
  });

  it('counts leases open before the window, and on days with no event (a checkout over a weekend)', () => {
    const events = [
      ev('2026-02-20T09:00:00Z', 'lease.granted', 'old'),
      ev('2026-02-20T10:00:00Z', 'lease.released', 'old'),
      ev('2026-02-27T17:00:00Z', 'checkout.granted', 'trip'),
      ev('2026-03-02T08:00:00Z', 'checkout.returned', 'trip'),
    ];
    const days = summarizeUsage(events, at('2026-02-28T06:00:00Z'), at('2026-03-02T12:00:00Z'));
    expect(days.map((d) => [d.day, d.peakInUse])).toEqual([
      ['2026-02-28', 1],
      ['2026-03-01', 1],
      ['2026-03-02', 1],
    ]);
  });

  it('is empty when nothing happened, and ignores events after its end', () => {
    expect(summarizeUsage([], at('2026-03-01T00:00:00Z'), at('2026-03-03T00:00:00Z'))).toEqual([]);
    const later = [ev('2026-03-05T09:00:00Z', 'lease.granted', 'x')];
    expect(summarizeUsage(later, at('2026-03-01T00:00:00Z'), at('2026-03-03T00:00:00Z'))).toEqual([]);
  });
});
