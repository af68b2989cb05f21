import { useId } from 'react';
import type { ComponentHistory } from '../api/types.ts';
import { bucketLabel, describeHistory, layoutChart } from './chart.ts';

/**
 * One component's use over time: a bar per bucket (the peak), a dashed line at max users, a red
 * mark over buckets with denials. The SVG has a summary as its text alternative; the table below
 * it (behind a disclosure) has every number.
 */
export function UsageChart({ history, bucket }: { history: ComponentHistory; bucket: 'hour' | 'day' }) {
  const id = useId();
  const chart = layoutChart(history, bucket);
  const summary = describeHistory(history, bucket);
  const title = `${history.component} — ${history.licenseNumber}`;
  return (
    <figure className="chart" data-component={history.component}>
      <figcaption id={`${id}-title`}>
        <strong>{history.component}</strong> <span className="hint">license {history.licenseNumber}</span>
      </figcaption>
      <svg
        viewBox={`0 0 ${chart.width} ${chart.height}`}
        role="img"
        aria-labelledby={`${id}-svg-title ${id}-desc`}
        className="chart-svg"
      >
        <title id={`${id}-svg-title`}>{title}</title>
        <desc id={`${id}-desc`}>{summary}</desc>
        {chart.yTicks.map((t) => (
          <g key={t.value} className="tick">
            <line x1={chart.plot.left} x2={chart.plot.left + chart.plot.width} y1={t.y} y2={t.y} />
            <text x={chart.plot.left - 6} y={t.y + 4} textAnchor="end">
              {t.value}
            </text>
          </g>
        ))}
        {chart.bars.map((b) => (
          <g key={b.at}>
            <title>{`${bucketLabel(b.at, bucket)}: peak ${b.peak}, ${b.denials} denied`}</title>
            <rect className="bar" x={b.x} y={b.y} width={b.width} height={b.height} />
            {b.denials > 0 ? (
              <rect className="denial" x={b.x} y={chart.plot.top - 8} width={b.width} height={5} />
            ) : null}
          </g>
        ))}
        <line
          className="max-line"
          x1={chart.plot.left}
          x2={chart.plot.left + chart.plot.width}
          y1={chart.maxUsersY}
          y2={chart.maxUsersY}
        />
        {chart.xLabels.map((l) => (
          <text key={`${l.x}`} className="x-label" x={l.x} y={chart.height - 8} textAnchor="middle">
            {l.text}
          </text>
        ))}
      </svg>
      <p className="chart-summary">{summary}</p>
      <details>
        <summary>Show the numbers as a table</summary>
        <table aria-label={`Usage of ${title}`}>
          <thead>
            <tr>
              <th scope="col">{bucket === 'day' ? 'Day' : 'Hour'}</th>
              <th scope="col" className="num">
                Peak in use
              </th>
              <th scope="col" className="num">
                Max users
              </th>
              <th scope="col" className="num">
                Denials
              </th>
            </tr>
          </thead>
          <tbody>
            {history.points.map((p) => (
              <tr key={p.at}>
                <th scope="row">{bucketLabel(p.at, bucket)}</th>
                <td className="num">{p.peak}</td>
                <td className="num">{history.maxUsers}</td>
                <td className="num">{p.denials}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
