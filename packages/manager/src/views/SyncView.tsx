import type { SyncResult } from '../api/types.ts';
import { useApi } from '../apiContext.ts';
import { ErrorBanner, SuccessBanner } from '../Banner.tsx';
import { dateTime, daysRemainingText, plural } from '../format.ts';
import type { ViewProps } from '../Layout.tsx';
import { PageHeading } from '../PageHeading.tsx';
import { useAction } from '../useAsync.ts';

/** Server → Synchronize Server (S6): an online sync now, with its progress and result. */
export function SyncView({ status, reloadStatus }: ViewProps) {
  const api = useApi();
  const sync = useAction(async () => {
    try {
      return await api.post<SyncResult>('/sync');
    } finally {
      await reloadStatus();
    }
  });
  const attempt = status?.lastSyncAttempt;
  return (
    <>
      <PageHeading
        intro={
          <>
            Sends this server's sync request to the central server at <code>{status?.centralUrl ?? '…'}</code>{' '}
            (its port 443, then 8080, unless configured otherwise) and stores the licenses it answers.
          </>
        }
      >
        Synchronize Server
      </PageHeading>
      <dl className="facts-inline">
        <div>
          <dt>State</dt>
          <dd id="sync-state">
            {status ? daysRemainingText(status.daysRemaining, status.synchronized) : '…'}
          </dd>
        </div>
        <div>
          <dt>Last successful sync</dt>
          <dd>{dateTime(status?.lastSyncAt)}</dd>
        </div>
        <div>
          <dt>Last attempt</dt>
          <dd>
            {attempt
              ? `${dateTime(attempt.at)} (${attempt.method}): ${attempt.outcome}${attempt.detail ? ` — ${attempt.detail}` : ''}`
              : '—'}
          </dd>
        </div>
        <div>
          <dt>Allocation version</dt>
          <dd>{status?.allocationVersion ?? '…'}</dd>
        </div>
      </dl>
      <div className="toolbar">
        <button type="button" className="primary" onClick={() => void sync.run()} disabled={sync.running}>
          {sync.running ? 'Synchronizing…' : 'Synchronize now'}
        </button>
      </div>
      <div aria-live="polite" id="sync-progress">
        {sync.running ? (
          <p className="progress-line">
            <progress aria-label="Synchronizing" /> Contacting the central server…
          </p>
        ) : null}
      </div>
      <ErrorBanner error={sync.error} title="The sync failed" />
      {sync.result ? (
        <SuccessBanner>
          <p id="sync-result">
            Synchronized at {dateTime(sync.result.syncedAt)}: allocation version{' '}
            {sync.result.allocationVersion}, {plural(sync.result.licenses, 'license')}.
          </p>
        </SuccessBanner>
      ) : null}
      <p className="hint">
        Same as <code>leasehold server sync</code>. When the central server cannot be reached, use Sync via
        file or check the Proxy and Diagnose pages.
      </p>
    </>
  );
}
