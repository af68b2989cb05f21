import { useCallback, useState } from 'react';
import type { UsageHistory } from '../api/types.ts';
import { useApi } from '../apiContext.ts';
import { ErrorBanner } from '../Banner.tsx';
import { dateTime } from '../format.ts';
import { UsageChart } from '../history/UsageChart.tsx';
import { POLL_MS } from '../Layout.tsx';
import { PageHeading } from '../PageHeading.tsx';
import { usePolled } from '../useAsync.ts';

const RANGES = [
  { days: 1, label: 'Last 24 hours' },
  { days: 7, label: 'Last 7 days' },
  { days: 30, label: 'Last 30 days' },
  { days: 90, label: 'Last 90 days' },
  { days: 366, label: 'Last year' },
] as const;

/** History (M4): peak use and denials per component over time. */
export function HistoryView() {
  const api = useApi();
  const [days, setDays] = useState<number>(30);
  const read = useCallback(() => api.get<UsageHistory>(`/history?days=${days}`), [api, days]);
  const history = usePolled(read, POLL_MS * 5);
  // A server from before the history API answers NOT_FOUND: an empty state, not an error.
  const missing = history.error?.code === 'NOT_FOUND';
  const data = history.data;
  return (
    <>
      <PageHeading intro="The highest number of seats in use in each period, against the maximum, and the requests that were refused.">
        Usage history
      </PageHeading>
      <div className="toolbar">
        <label htmlFor="history-range">Period</label>
        <select id="history-range" value={days} onChange={(e) => setDays(Number(e.target.value))}>
          {RANGES.map((r) => (
            <option key={r.days} value={r.days}>
              {r.label}
            </option>
          ))}
        </select>
        <button type="button" onClick={() => void history.reload()}>
          Refresh
        </button>
        {data ? (
          <span className="hint">
            {dateTime(data.from)} to {dateTime(data.to)}, per {data.bucket}
          </span>
        ) : null}
      </div>
      <p className="legend" aria-hidden="true">
        <span className="key key-bar" /> peak in use <span className="key key-max" /> max users{' '}
        <span className="key key-denial" /> denials
      </p>
      {missing ? (
        <p className="empty-state" id="history-empty">
          This license server does not keep usage history yet.
        </p>
      ) : (
        <ErrorBanner error={history.error} title="Could not read the history" />
      )}
      {data && data.components.length === 0 ? (
        <p className="empty-state" id="history-empty">
          No usage recorded in this period.
        </p>
      ) : null}
      <div className="charts" id="charts">
        {data?.components.map((c) => (
          <UsageChart key={`${c.licenseNumber}/${c.component}`} history={c} bucket={data.bucket} />
        ))}
      </div>
    </>
  );
}
