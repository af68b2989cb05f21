import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ComponentHistory } from '../api/types.ts';
import { describeHistory, layoutChart, tickStep } from './chart.ts';

const history = (peaks: number[], maxUsers = 5, denials: number[] = []): ComponentHistory => ({
  licenseNumber: 'AAAAA-AAAAA-AAAAA-AAAAA-AAAAA-0000001',
  component: 'Analysis',
  maxUsers,
  points: peaks.map((peak, i) => ({
    at: new Date(Date.UTC(2027, 0, 1 + i)).toISOString(),
    peak,
    denials: denials[i] ?? 0,
  })),
});

describe('usage chart layout', () => {
  it('chooses whole-number ticks, at most about five', () => {
    expect([1, 4, 5, 6, 10, 11, 30, 250].map(tickStep)).toEqual([1, 1, 1, 2, 2, 5, 10, 50]);
  });

  it('keeps every bar inside the plot and taller for a higher peak', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 500 }), { minLength: 1, maxLength: 366 }), (peaks) => {
        const chart = layoutChart(history(peaks, 10), 'day');
        const bottom = chart.plot.top + chart.plot.height;
        for (const [i, bar] of chart.bars.entries()) {
          expect(bar.y).toBeGreaterThanOrEqual(chart.plot.top - 1e-9);
          expect(bar.y + bar.height).toBeCloseTo(bottom);
          expect(bar.x + bar.width).toBeLessThanOrEqual(chart.plot.left + chart.plot.width + 1e-9);
          const next = chart.bars[i + 1];
          if (next && (peaks[i + 1] ?? 0) > (peaks[i] ?? 0)) expect(next.height).toBeGreaterThan(bar.height);
        }
        expect(chart.yMax).toBeGreaterThanOrEqual(Math.max(10, ...peaks));
        expect(chart.xLabels.length).toBeLessThanOrEqual(8);
      }),
    );
  });

  it('puts the max-users line at its value', () => {
    const chart = layoutChart(history([1, 2, 3], 4), 'day');
    const four = chart.yTicks.find((t) => t.value === 4);
    expect(chart.maxUsersY).toBeCloseTo(four?.y ?? Number.NaN);
  });

  it('sums the chart up in a sentence (its text alternative)', () => {
    expect(describeHistory(history([0, 3, 1], 5, [0, 2, 1]), 'day')).toMatch(
      /^Analysis on license AAAAA-AAAAA-AAAAA-AAAAA-AAAAA-0000001: highest use 3 of 5 \(\d\d-\d\d\), 3 denied requests over 3 days\.$/,
    );
  });
});
