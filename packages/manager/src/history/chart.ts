import type { ComponentHistory } from '../api/types.ts';

/** Pure geometry of one usage chart: bars for peaks, a line for max users, marks for denials. */
export interface ChartLayout {
  width: number;
  height: number;
  plot: { left: number; top: number; width: number; height: number };
  yMax: number;
  yTicks: { value: number; y: number }[];
  bars: { x: number; y: number; width: number; height: number; peak: number; denials: number; at: string }[];
  xLabels: { x: number; text: string }[];
  maxUsersY: number;
}

const MARGIN = { left: 40, right: 12, top: 12, bottom: 28 };
const MAX_X_LABELS = 8;

/** Whole-number tick steps (1, 2, 5, 10, 20, 50 …) giving at most about five ticks. */
export function tickStep(max: number): number {
  for (let magnitude = 1; ; magnitude *= 10) {
    for (const step of [1, 2, 5]) if (max / (step * magnitude) <= 5) return step * magnitude;
  }
}

export function bucketLabel(at: string, bucket: 'hour' | 'day'): string {
  const date = new Date(at);
  const pad = (n: number) => String(n).padStart(2, '0');
  const day = `${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  return bucket === 'day' ? day : `${day} ${pad(date.getHours())}:00`;
}

export function layoutChart(
  history: ComponentHistory,
  bucket: 'hour' | 'day',
  width = 960,
  height = 200,
): ChartLayout {
  const plot = {
    left: MARGIN.left,
    top: MARGIN.top,
    width: width - MARGIN.left - MARGIN.right,
    height: height - MARGIN.top - MARGIN.bottom,
  };
  const highest = Math.max(history.maxUsers, 1, ...history.points.map((p) => p.peak));
  const step = tickStep(highest);
  const yMax = Math.ceil(highest / step) * step;
  const y = (value: number) => plot.top + plot.height - (value / yMax) * plot.height;
  const yTicks = [];
  for (let value = 0; value <= yMax; value += step) yTicks.push({ value, y: y(value) });
  const n = Math.max(history.points.length, 1);
  const band = plot.width / n;
  const gap = band > 6 ? Math.min(band * 0.2, 6) : 0;
  const bars = history.points.map((p, i) => ({
    x: plot.left + i * band + gap / 2,
    y: y(p.peak),
    width: Math.max(band - gap, 1),
    height: plot.top + plot.height - y(p.peak),
    peak: p.peak,
    denials: p.denials,
    at: p.at,
  }));
  const every = Math.ceil(history.points.length / MAX_X_LABELS) || 1;
  const xLabels = history.points
    .map((p, i) => ({ i, text: bucketLabel(p.at, bucket) }))
    .filter(({ i }) => i % every === 0)
    .map(({ i, text }) => ({ x: plot.left + i * band + band / 2, text }));
  return { width, height, plot, yMax, yTicks, bars, xLabels, maxUsersY: y(history.maxUsers) };
}

/** The chart's text alternative in one sentence (the table below it has every number). */
export function describeHistory(history: ComponentHistory, bucket: 'hour' | 'day'): string {
  const peak = Math.max(0, ...history.points.map((p) => p.peak));
  const denials = history.points.reduce((sum, p) => sum + p.denials, 0);
  const busiest = history.points.find((p) => p.peak === peak && peak > 0);
  return (
    `${history.component} on license ${history.licenseNumber}: highest use ${peak} of ${history.maxUsers}` +
    (busiest ? ` (${bucketLabel(busiest.at, bucket)})` : '') +
    `, ${denials} denied request${denials === 1 ? '' : 's'} over ${history.points.length} ${bucket}s.`
  );
}
