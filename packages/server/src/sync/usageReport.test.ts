import { describe, expect, it } from 'vitest';
import type { HistoryRow } from '../leases/usageHistory.ts';
import { summarizeUsage, usageReport } from './usageReport.ts';

const L1 = 'LICEN-00000-00000-00000-00000-0000001';
const L2 = 'LICEN-00000-00000-00000-00000-0000002';
const row = (iso: string, license: string, component: string, peak: number, denials = 0): HistoryRow => ({
  hour: Date.parse(iso),
  license_number: license,
  component,
  peak,
  denials,
});

describe('the usage summary a sync carries', () => {
  it('takes per day, license and component the highest hourly peak and the sum of the denials', () => {
    const rows = [
      row('2026-03-01T09:00:00Z', L1, 'Base', 3),
      row('2026-03-01T10:00:00Z', L1, 'Base', 7, 2),
      row('2026-03-01T11:00:00Z', L1, 'Base', 4, 1),
      row('2026-03-01T10:00:00Z', L1, 'Analysis', 0, 5),
      row('2026-03-01T10:00:00Z', L2, 'Base', 1),
      row('2026-03-01T12:00:00Z', L2, 'Export', 0, 0),
      row('2026-03-02T00:00:00Z', L1, 'Base', 2),
    ];
    expect(summarizeUsage(rows)).toEqual([
      { day: '2026-03-01', licenseNumber: L1, component: 'Analysis', peakInUse: 0, denials: 5 },
      { day: '2026-03-01', licenseNumber: L1, component: 'Base', peakInUse: 7, denials: 3 },
      { day: '2026-03-01', licenseNumber: L2, component: 'Base', peakInUse: 1, denials: 0 },
      { day: '2026-03-02', licenseNumber: L1, component: 'Base', peakInUse: 2, denials: 0 },
    ]);
  });

  it('reads from the start of the day of the last sync (today on a first sync) through now', () => {
    const asked: Array<[string, string]> = [];
    const history = (from: number, to: number) => {
      asked.push([new Date(from).toISOString(), new Date(to).toISOString()]);
      return [];
    };
    const now = new Date('2026-03-05T15:30:00Z');
    expect(usageReport(history, new Date('2026-03-02T18:00:00Z'), now)).toEqual({
      from: '2026-03-02T00:00:00.000Z',
      to: '2026-03-05T15:30:00.000Z',
      days: [],
    });
    usageReport(history, undefined, now);
    expect(asked).toEqual([
      ['2026-03-02T00:00:00.000Z', '2026-03-05T15:30:00.001Z'],
      ['2026-03-05T00:00:00.000Z', '2026-03-05T15:30:00.001Z'],
    ]);
  });
});
