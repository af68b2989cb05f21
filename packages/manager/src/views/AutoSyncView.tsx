import { type FormEvent, useEffect, useState } from 'react';
import type { AutoSync } from '../api/types.ts';
import { useApi } from '../apiContext.ts';
import { ErrorBanner, SuccessBanner } from '../Banner.tsx';
import { dateTime } from '../format.ts';
import type { ViewProps } from '../Layout.tsx';
import { PageHeading } from '../PageHeading.tsx';
import { useAction } from '../useAsync.ts';

const MODES = [
  { mode: 'off', label: 'Off', hint: 'synchronize by hand only (the default)' },
  { mode: 'daily', label: 'Daily', hint: 'once a day' },
  { mode: 'weekly', label: 'Weekly', hint: 'once a week' },
] as const;

/** Server → Automatic Synchronization (S6): off, daily or weekly, and how the last run went. */
export function AutoSyncView({ status, reloadStatus }: ViewProps) {
  const api = useApi();
  const current = status?.autoSync;
  const [mode, setMode] = useState<AutoSync['mode'] | undefined>(undefined);
  useEffect(() => {
    if (mode === undefined && current) setMode(current.mode);
  }, [current, mode]);
  const save = useAction(async (chosen: AutoSync['mode']) => {
    const answer = await api.put<AutoSync>('/sync/settings', { mode: chosen });
    await reloadStatus();
    return answer;
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (mode) void save.run(mode);
  };
  const shown = save.result ?? current;
  return (
    <>
      <PageHeading intro="The server synchronizes by itself while it runs; a failed run is retried with back-off.">
        Automatic Synchronization
      </PageHeading>
      <form onSubmit={submit} className="card">
        <fieldset>
          <legend>Synchronize automatically</legend>
          {MODES.map((m) => (
            <div key={m.mode} className="radio">
              <input
                type="radio"
                id={`auto-${m.mode}`}
                name="auto-sync"
                value={m.mode}
                checked={mode === m.mode}
                onChange={() => setMode(m.mode)}
              />
              <label htmlFor={`auto-${m.mode}`}>
                {m.label} <span className="hint">— {m.hint}</span>
              </label>
            </div>
          ))}
        </fieldset>
        <button type="submit" className="primary" disabled={save.running || !mode}>
          Save
        </button>
      </form>
      <ErrorBanner error={save.error} title="Could not change automatic synchronization" />
      {save.result ? (
        <SuccessBanner>Automatic synchronization is now {save.result.mode}.</SuccessBanner>
      ) : null}
      <dl className="facts-inline" id="auto-sync-facts">
        <div>
          <dt>Mode</dt>
          <dd id="auto-sync-mode">{shown?.mode ?? '…'}</dd>
        </div>
        <div>
          <dt>Next run</dt>
          <dd>{dateTime(shown?.nextRunAt)}</dd>
        </div>
        <div>
          <dt>Last run</dt>
          <dd>
            {dateTime(shown?.lastRunAt)}
            {shown?.lastOutcome ? ` — ${shown.lastOutcome}` : ''}
          </dd>
        </div>
        {shown && shown.consecutiveFailures > 0 ? (
          <div>
            <dt>Failures in a row</dt>
            <dd className="bad">
              {shown.consecutiveFailures}, next try {dateTime(shown.retryAt)}
            </dd>
          </div>
        ) : null}
      </dl>
      <p className="hint">
        Same as <code>leasehold server sync auto off|daily|weekly</code>.
      </p>
    </>
  );
}
